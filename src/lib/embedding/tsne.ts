// t-SNE with Barnes-Hut (van der Maaten 2014) or FFT-interpolated (Linderman et al. 2019) repulsion, step by step so the map can animate and a run can be cancelled.
// Pure. Input: sparse affinities P (affinities.ts) and an initial layout; defaults follow common practice:
// early exaggeration 12 for 250 iterations, momentum 0.5 then 0.8, gains (Jacobs 1988), learning rate
// max(200, n / 12) (Belkina et al. 2019), theta 0.5.
import type { Affinities } from './affinities';
import { QuadTree } from './sptree';
import { DEFAULT_REPULSION, FftRepulsion, type RepulsionOptions } from './interpolation';

export interface TsneOptions {
  iterations: number;
  exaggeration: number;
  exaggerationIterations: number;
  learningRate: number | 'auto';
  theta: number;
  momentum: number;
  finalMomentum: number;
  /** Repulsion: Barnes-Hut tree, FFT interpolation (FIt-SNE), or 'auto': FFT from `fftFromPoints` on, where it
   *  overtakes the tree in JavaScript (measured: both take about 41 s for 1,000 iterations at 10,000 points; the
   *  tree's cost grows as n log n, the FFT grid's hardly with n). */
  repulsion: 'auto' | 'bh' | 'fft';
  fftFromPoints: number;
  /** Grid of the FFT interpolation. */
  fftGrid: RepulsionOptions;
}

export const DEFAULT_TSNE: TsneOptions = {
  iterations: 1000,
  exaggeration: 12,
  exaggerationIterations: 250,
  learningRate: 'auto',
  theta: 0.5,
  momentum: 0.5,
  finalMomentum: 0.8,
  repulsion: 'auto',
  fftFromPoints: 12000,
  fftGrid: DEFAULT_REPULSION,
};

export class BarnesHutTsne {
  readonly n: number;
  readonly y: Float32Array;
  iteration = 0;
  private readonly update: Float32Array;
  private readonly gains: Float32Array;
  private readonly grad: Float64Array;
  private readonly tree: QuadTree;
  private readonly stack: Int32Array;
  private lastZ = 1;
  private readonly fft: FftRepulsion | null;
  private readonly force: Float64Array;
  private readonly options: TsneOptions;
  private readonly learningRate: number;

  constructor(
    private readonly p: Affinities,
    initial: Float32Array,
    options: Partial<TsneOptions> = {},
  ) {
    this.options = { ...DEFAULT_TSNE, ...options };
    this.n = p.rows;
    if (initial.length !== 2 * this.n) throw new Error('initial layout must be n x 2');
    this.y = Float32Array.from(initial);
    this.update = new Float32Array(2 * this.n);
    this.gains = new Float32Array(2 * this.n).fill(1);
    this.grad = new Float64Array(2 * this.n);
    this.tree = new QuadTree(4 * this.n + 16);
    this.stack = new Int32Array(4 * 64 + 16);
    const useFft = this.options.repulsion === 'fft' || (this.options.repulsion === 'auto' && this.n >= this.options.fftFromPoints);
    this.fft = useFft ? new FftRepulsion(this.options.fftGrid) : null;
    this.force = new Float64Array(useFft ? 2 * this.n : 0);
    const lr = this.options.learningRate;
    this.learningRate = lr === 'auto' ? Math.max(200, this.n / this.options.exaggeration) : lr;
  }

  get done() {
    return this.iteration >= this.options.iterations;
  }

  /** One gradient step. */
  step(): void {
    const { n, y, grad, p } = this;
    const exaggerating = this.iteration < this.options.exaggerationIterations;
    const exaggeration = exaggerating ? this.options.exaggeration : 1;
    const momentum = exaggerating ? this.options.momentum : this.options.finalMomentum;
    // Repulsion and Z: FFT interpolation for large n, else Barnes-Hut.
    let z = 0;
    if (this.fft) {
      z = this.fft.compute(y, n, this.force);
      for (let i = 0; i < 2 * n; i++) grad[i] = -this.force[i];
    } else {
      this.tree.build(y, n);
      const theta2 = this.options.theta * this.options.theta;
      const force = new Float64Array(2);
      for (let i = 0; i < n; i++) {
        z += this.tree.repulsion(i, y[2 * i], y[2 * i + 1], theta2, force, this.stack);
        grad[2 * i] = -force[0];
        grad[2 * i + 1] = -force[1];
      }
    }
    z = Math.max(z, 1e-12);
    this.lastZ = z;
    for (let i = 0; i < 2 * n; i++) grad[i] /= z;
    // Attraction over the sparse P: p_ij * q_ij Z * (y_i - y_j).
    for (let i = 0; i < n; i++) {
      const xi = y[2 * i];
      const yi = y[2 * i + 1];
      let ax = 0;
      let ay = 0;
      for (let q = p.rowPtr[i]; q < p.rowPtr[i + 1]; q++) {
        const j = p.colIdx[q];
        const dx = xi - y[2 * j];
        const dy = yi - y[2 * j + 1];
        const w = (exaggeration * p.values[q]) / (1 + dx * dx + dy * dy);
        ax += w * dx;
        ay += w * dy;
      }
      grad[2 * i] += ax;
      grad[2 * i + 1] += ay;
    }
    // Gains, momentum, update (the factor 4 of the gradient is folded into the step).
    const lr = this.learningRate;
    for (let i = 0; i < 2 * n; i++) {
      const g = 4 * grad[i];
      const sameSign = g > 0 === this.update[i] > 0;
      let gain = sameSign ? this.gains[i] * 0.8 : this.gains[i] + 0.2;
      if (gain < 0.01) gain = 0.01;
      this.gains[i] = gain;
      this.update[i] = momentum * this.update[i] - lr * gain * g;
      y[i] += this.update[i];
    }
    // Keep the layout centred (t-SNE is translation invariant; this keeps numbers small).
    let mx = 0;
    let my = 0;
    for (let i = 0; i < n; i++) {
      mx += y[2 * i];
      my += y[2 * i + 1];
    }
    mx /= n;
    my /= n;
    for (let i = 0; i < n; i++) {
      y[2 * i] -= mx;
      y[2 * i + 1] -= my;
    }
    this.iteration++;
  }

  /** KL(P || Q) over the stored P, with Z from the latest step (an estimate, exact up to the tree's error). */
  klDivergence(): number {
    const { n, y, p } = this;
    let kl = 0;
    for (let i = 0; i < n; i++) {
      for (let q = p.rowPtr[i]; q < p.rowPtr[i + 1]; q++) {
        const pij = p.values[q];
        if (pij <= 0) continue;
        const j = p.colIdx[q];
        const dx = y[2 * i] - y[2 * j];
        const dy = y[2 * i + 1] - y[2 * j + 1];
        const qij = 1 / (1 + dx * dx + dy * dy) / this.lastZ;
        kl += pij * Math.log(pij / Math.max(qij, 1e-300));
      }
    }
    return kl;
  }
}

/** A deterministic start: the data's top two principal components, scaled to standard deviation 1e-4. */
export function pcaInit(data: Float32Array, n: number, dim: number): Float32Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d] / n;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) centred[d] = data[i * dim + d] - mean[d];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) cov[a * dim + b] = cov[b * dim + a];
  // Two leading eigenvectors by power iteration with deflation (dim is small, 50).
  const vecs: Float64Array[] = [];
  for (let c = 0; c < Math.min(2, dim); c++) {
    let v = new Float64Array(dim).map((_, d) => 1 / Math.sqrt(dim) + (d === c ? 0.5 : 0));
    for (let it = 0; it < 200; it++) {
      const w = new Float64Array(dim);
      for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) w[a] += cov[a * dim + b] * v[b];
      for (const u of vecs) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += w[d] * u[d];
        for (let d = 0; d < dim; d++) w[d] -= dot * u[d];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    vecs.push(v);
  }
  const out = new Float32Array(2 * n);
  for (let c = 0; c < 2; c++) {
    const v = vecs[c] ?? new Float64Array(dim);
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (data[i * dim + d] - mean[d]) * v[d];
      out[2 * i + c] = s;
      sumSq += s * s;
    }
    const std = Math.sqrt(sumSq / n) || 1;
    // A tiny deterministic offset breaks exact ties (identical rows) without randomness.
    for (let i = 0; i < n; i++) out[2 * i + c] = (out[2 * i + c] / std) * 1e-4 + 1e-7 * Math.sin(i * 12.9898 + c * 78.233);
  }
  return out;
}

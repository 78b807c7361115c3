// FFT-accelerated interpolation of the t-SNE repulsion (Linderman, Rachh, Hoskins, Steinerberger and Kluger 2019,
// "Fast interpolation-based t-SNE for improved visualization of single-cell RNA-seq data", FIt-SNE). Pure.
// The plane is cut into boxes with p Lagrange nodes each; point charges are spread to the nodes, the squared
// Cauchy kernel 1/(1+d^2)^2 between equispaced nodes is a convolution done by FFT, and potentials are
// interpolated back. Four charges (1, x, y, x^2+y^2) give both the repulsive forces and the normalization Z.
import { fft2dScrambled, ifft2dScrambled } from './fft';

const P = 3; // interpolation nodes per box and axis

export interface RepulsionOptions {
  /** Boxes per unit of embedding length (FIt-SNE's intervals_per_integer). */
  boxesPerUnit: number;
  minBoxes: number;
  maxGrid: number;
}

// minBoxes 40 keeps small layouts on a 256 x 256 grid (42 boxes). maxGrid 512: a 512 x 512 grid holds 85 boxes; beyond a layout range of 85 the boxes widen past one
// unit and accuracy falls gently (measured in the unit test), which t-SNE's late iterations tolerate. A bigger grid
// costs four times as much per doubling in JavaScript.
export const DEFAULT_REPULSION: RepulsionOptions = { boxesPerUnit: 1, minBoxes: 40, maxGrid: 512 };

const nextPow2 = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(2, v)));

/** Lagrange weights of the P nodes (at (j + 0.5) / P of the box) for a relative position t in [0, 1]. */
function lagrange(t: number, out: Float64Array, o: number) {
  for (let j = 0; j < P; j++) {
    const tj = (j + 0.5) / P;
    let w = 1;
    for (let m = 0; m < P; m++) if (m !== j) w *= (t - (m + 0.5) / P) / (tj - (m + 0.5) / P);
    out[o + j] = w;
  }
}

export class FftRepulsion {
  private gridRe = new Float64Array(0);
  private gridIm = new Float64Array(0);
  private kernelRe = new Float64Array(0);
  private kernelIm = new Float64Array(0);
  private grid2Re = new Float64Array(0);
  private grid2Im = new Float64Array(0);
  // Per-point interpolation state, reused across iterations (this runs every t-SNE step).
  private cellX = new Int32Array(0);
  private cellY = new Int32Array(0);
  private weights = new Float64Array(0);
  private kernelSpacing = NaN;
  constructor(private readonly options: RepulsionOptions = DEFAULT_REPULSION) {}

  /**
   * Writes into `force` (n x 2) the unnormalized repulsion sum_j q_ij^2 Z^2 (y_i - y_j) and returns
   * Z = sum_{i != j} 1 / (1 + |y_i - y_j|^2).
   */
  compute(y: Float32Array, n: number, force: Float64Array): number {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, y[2 * i]); maxX = Math.max(maxX, y[2 * i]);
      minY = Math.min(minY, y[2 * i + 1]); maxY = Math.max(maxY, y[2 * i + 1]);
    }
    const range = Math.max(maxX - minX, maxY - minY, 1e-6) * 1.0001;
    const wanted = Math.max(this.options.minBoxes, Math.ceil(range * this.options.boxesPerUnit));
    // Grid of N = P * boxes nodes per axis; the convolution needs 2N (zero padding): round up to a power of two
    // and use the extra room for more boxes.
    const m = Math.min(this.options.maxGrid, nextPow2(2 * P * wanted));
    const boxes = Math.floor(m / (2 * P));
    const nodes = boxes * P;
    // The box width is rounded up to a ladder of steps of 2^(1/32) (2.2%), so the kernel's spectrum, which depends
    // only on it and m, is recomputed when the layout has grown a step, not every iteration.
    const boxWidth = 2 ** (Math.ceil(Math.log2(range / boxes) * 32) / 32);
    const spacing = boxWidth / P;
    const size = m * m;
    if (this.gridRe.length !== 2 * size) {
      this.gridRe = new Float64Array(2 * size); // two grids packed: charges (1, x) and (y, x^2 + y^2)
      this.gridIm = new Float64Array(2 * size);
      this.kernelRe = new Float64Array(size);
      this.kernelIm = new Float64Array(size);
      this.grid2Re = this.gridRe.subarray(size);
      this.grid2Im = this.gridIm.subarray(size);
      this.kernelSpacing = NaN;
    }
    // Kernel on the circulant grid: K(d) for node offsets d in [-(m/2), m/2); its spectrum is real (K is real and
    // even) and in the same bit-reversed order as the charges' spectra.
    const kRe = this.kernelRe, kIm = this.kernelIm;
    if (spacing !== this.kernelSpacing) {
      this.kernelSpacing = spacing;
      kIm.fill(0);
      for (let a = 0; a < m; a++) {
        const da = (a < m / 2 ? a : a - m) * spacing;
        for (let b = 0; b < m; b++) {
          const db = (b < m / 2 ? b : b - m) * spacing;
          const q = 1 / (1 + da * da + db * db);
          kRe[a * m + b] = q * q;
        }
      }
      fft2dScrambled(kRe, kIm, m);
    }

    // Spread charges. Grid 1: re = 1, im = x; grid 2: re = y, im = x^2 + y^2.
    const g1r = this.gridRe.subarray(0, size), g1i = this.gridIm.subarray(0, size);
    const g2r = this.grid2Re, g2i = this.grid2Im;
    g1r.fill(0); g1i.fill(0); g2r.fill(0); g2i.fill(0);
    const wx = new Float64Array(P), wy = new Float64Array(P);
    if (this.cellX.length !== n) {
      this.cellX = new Int32Array(n);
      this.cellY = new Int32Array(n);
      this.weights = new Float64Array(n * 2 * P);
    }
    const { cellX, cellY, weights } = this;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i], py = y[2 * i + 1];
      const bx = Math.min(boxes - 1, Math.floor((px - minX) / boxWidth));
      const by = Math.min(boxes - 1, Math.floor((py - minY) / boxWidth));
      lagrange((px - minX) / boxWidth - bx, weights, i * 2 * P);
      lagrange((py - minY) / boxWidth - by, weights, i * 2 * P + P);
      cellX[i] = bx * P;
      cellY[i] = by * P;
      for (let j = 0; j < P; j++) {
        wx[j] = weights[i * 2 * P + j];
        wy[j] = weights[i * 2 * P + P + j];
      }
      const c1 = px, c2 = py, c3 = px * px + py * py;
      for (let a = 0; a < P; a++) {
        const row = (cellY[i] + a) * m + cellX[i];
        for (let b = 0; b < P; b++) {
          const w = wy[a] * wx[b];
          const g = row + b;
          g1r[g] += w;
          g1i[g] += w * c1;
          g2r[g] += w * c2;
          g2i[g] += w * c3;
        }
      }
    }
    // Convolve both packed grids with the (real, even) kernel: a real even kernel has a real spectrum, so the
    // product keeps the two real charge grids separable in the real and imaginary parts.
    // Charges sit in the first `nodes` rows and columns; potentials are only read there too.
    fft2dScrambled(g1r, g1i, m, nodes);
    fft2dScrambled(g2r, g2i, m, nodes);
    for (let t = 0; t < size; t++) {
      const k = kRe[t];
      g1r[t] *= k; g1i[t] *= k; g2r[t] *= k; g2i[t] *= k;
    }
    ifft2dScrambled(g1r, g1i, m, nodes);
    ifft2dScrambled(g2r, g2i, m, nodes);
    const norm = 1 / size;

    // Gather potentials at the points and assemble forces and Z.
    let z = 0;
    for (let i = 0; i < n; i++) {
      let p0 = 0, p1 = 0, p2 = 0, p3 = 0;
      for (let a = 0; a < P; a++) {
        const row = (cellY[i] + a) * m + cellX[i];
        const wya = weights[i * 2 * P + P + a];
        for (let b = 0; b < P; b++) {
          const w = wya * weights[i * 2 * P + b];
          const g = row + b;
          p0 += w * g1r[g];
          p1 += w * g1i[g];
          p2 += w * g2r[g];
          p3 += w * g2i[g];
        }
      }
      p0 *= norm; p1 *= norm; p2 *= norm; p3 *= norm;
      const px = y[2 * i], py = y[2 * i + 1];
      z += (1 + px * px + py * py) * p0 - 2 * (px * p1 + py * p2) + p3;
      force[2 * i] = px * p0 - p1;
      force[2 * i + 1] = py * p0 - p2;
    }
    return Math.max(z - n, 1e-12);
  }
}

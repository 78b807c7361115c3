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

/** Everything the repulsion keeps between steps, as plain typed arrays. */
export interface RepulsionBuffers {
  n: number;
  maxGrid: number;
  /** Two packed charge grids: grid 0 holds (1, x), grid 1 holds (y, x^2 + y^2) as real and imaginary parts. */
  gridRe: [Float64Array, Float64Array];
  gridIm: [Float64Array, Float64Array];
  kernelRe: Float64Array;
  kernelIm: Float64Array;
  cellX: Int32Array;
  cellY: Int32Array;
  weights: Float64Array;
  /** Potentials at the points: 4 x n (charges 1, x, y, x^2 + y^2). */
  pot: Float64Array;
  /** Geometry of the current step: m, boxes, nodes, minX, minY, boxWidth, spacing of the cached kernel. */
  geom: Float64Array;
}

export function allocateRepulsion(n: number, maxGrid: number): RepulsionBuffers {
  const f64 = (len: number) => new Float64Array(len);
  const size = maxGrid * maxGrid;
  const geom = f64(8);
  geom[6] = NaN;
  return {
    n,
    maxGrid,
    gridRe: [f64(size), f64(size)],
    gridIm: [f64(size), f64(size)],
    kernelRe: f64(size),
    kernelIm: f64(size),
    cellX: new Int32Array(n),
    cellY: new Int32Array(n),
    weights: f64(n * 2 * P),
    pot: f64(4 * n),
    geom,
  };
}

export class FftRepulsion {
  private buffers: RepulsionBuffers;
  constructor(private readonly options: RepulsionOptions = DEFAULT_REPULSION) {
    this.buffers = allocateRepulsion(0, options.maxGrid);
  }

  /**
   * Writes into `force` (n x 2) the unnormalized repulsion sum_j q_ij^2 Z^2 (y_i - y_j) and returns
   * Z = sum_{i != j} 1 / (1 + |y_i - y_j|^2).
   */
  compute(y: Float32Array, n: number, force: Float64Array): number {
    this.prepare(y, n);
    this.convolve(0, y, n);
    this.convolve(1, y, n);
    return this.finish(y, n, force);
  }

  /** Step 1: the grid for this layout, the kernel's spectrum when the grid's spacing changed, and each
   *  point's box and interpolation weights. */
  prepare(y: Float32Array, n: number): void {
    if (this.buffers.n !== n) this.buffers = allocateRepulsion(n, this.options.maxGrid);
    const { geom, cellX, cellY, weights } = this.buffers;
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i],
        py = y[2 * i + 1];
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
    }
    const range = Math.max(maxX - minX, maxY - minY, 1e-6) * 1.0001;
    const wanted = Math.max(this.options.minBoxes, Math.ceil(range * this.options.boxesPerUnit));
    // Grid of N = P * boxes nodes per axis; the convolution needs 2N (zero padding): round up to a power of two
    // and use the extra room for more boxes.
    const m = Math.min(this.options.maxGrid, nextPow2(2 * P * wanted));
    const boxes = Math.floor(m / (2 * P));
    // The box width is rounded up to a ladder of steps of 2^(1/32) (2.2%), so the kernel's spectrum, which depends
    // only on it and m, is recomputed when the layout has grown a step, not every iteration.
    const boxWidth = 2 ** (Math.ceil(Math.log2(range / boxes) * 32) / 32);
    const spacing = boxWidth / P;
    if (spacing !== geom[6] || m !== geom[0]) {
      // Kernel on the circulant grid: K(d) for node offsets d in [-(m/2), m/2); its spectrum is real (K is real
      // and even) and in the same order as the charges' spectra (fft2dScrambled).
      const kRe = this.buffers.kernelRe.subarray(0, m * m),
        kIm = this.buffers.kernelIm.subarray(0, m * m);
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
      geom[6] = spacing;
    }
    geom[0] = m;
    geom[1] = boxes;
    geom[2] = boxes * P;
    geom[3] = minX;
    geom[4] = minY;
    geom[5] = boxWidth;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i],
        py = y[2 * i + 1];
      const bx = Math.min(boxes - 1, Math.floor((px - minX) / boxWidth));
      const by = Math.min(boxes - 1, Math.floor((py - minY) / boxWidth));
      lagrange((px - minX) / boxWidth - bx, weights, i * 2 * P);
      lagrange((py - minY) / boxWidth - by, weights, i * 2 * P + P);
      cellX[i] = bx * P;
      cellY[i] = by * P;
    }
  }

  /** Step 2, one call per grid: spread the grid's two charges, convolve with the
   *  kernel by FFT, and gather its two potentials at the points. */
  convolve(g: 0 | 1, y: Float32Array, n: number): void {
    const { geom, cellX, cellY, weights, pot } = this.buffers;
    const m = geom[0],
      nodes = geom[2],
      size = m * m;
    const re = this.buffers.gridRe[g].subarray(0, size),
      im = this.buffers.gridIm[g].subarray(0, size);
    const kRe = this.buffers.kernelRe;
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < n; i++) {
      const px = y[2 * i],
        py = y[2 * i + 1];
      const cr = g === 0 ? 1 : py;
      const ci = g === 0 ? px : px * px + py * py;
      const o = i * 2 * P;
      for (let a = 0; a < P; a++) {
        const row = (cellY[i] + a) * m + cellX[i];
        const wya = weights[o + P + a];
        for (let b = 0; b < P; b++) {
          const w = wya * weights[o + b];
          re[row + b] += w * cr;
          im[row + b] += w * ci;
        }
      }
    }
    // The kernel is real and even, so its spectrum is real and the product keeps the two real charges apart in the
    // real and imaginary parts. Charges sit in the first `nodes` rows and columns; potentials are read there too.
    fft2dScrambled(re, im, m, nodes);
    for (let t = 0; t < size; t++) {
      const k = kRe[t];
      re[t] *= k;
      im[t] *= k;
    }
    ifft2dScrambled(re, im, m, nodes);
    const norm = 1 / size;
    const outRe = 2 * g * n,
      outIm = (2 * g + 1) * n;
    for (let i = 0; i < n; i++) {
      const o = i * 2 * P;
      let pr = 0,
        pi = 0;
      for (let a = 0; a < P; a++) {
        const row = (cellY[i] + a) * m + cellX[i];
        const wya = weights[o + P + a];
        for (let b = 0; b < P; b++) {
          const w = wya * weights[o + b];
          pr += w * re[row + b];
          pi += w * im[row + b];
        }
      }
      pot[outRe + i] = pr * norm;
      pot[outIm + i] = pi * norm;
    }
  }

  /** Z from the four potentials. */
  normalization(y: Float32Array, n: number): number {
    const pot = this.buffers.pot;
    let z = 0;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i],
        py = y[2 * i + 1];
      z += (1 + px * px + py * py) * pot[i] - 2 * (px * pot[n + i] + py * pot[2 * n + i]) + pot[3 * n + i];
    }
    return Math.max(z - n, 1e-12);
  }

  /** Step 3: Z, and the unnormalized repulsive force of each point into `force`. */
  finish(y: Float32Array, n: number, force: Float64Array): number {
    const pot = this.buffers.pot;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i],
        py = y[2 * i + 1];
      force[2 * i] = px * pot[i] - pot[n + i];
      force[2 * i + 1] = py * pot[i] - pot[2 * n + i];
    }
    return this.normalization(y, n);
  }
}

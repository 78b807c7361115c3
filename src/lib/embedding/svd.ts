// Truncated SVD of a sparse matrix by the randomized range finder of Halko, Martinsson and Tropp (2011),
// "Finding structure with randomness", Algorithms 4.4 (subspace iteration) and 5.1 (direct SVD).
// Pure. Tall-skinny orthonormalization is CholeskyQR2 (two Cholesky QR passes; Fukaya et al. 2014): one pass over
// the m x l block each, instead of l passes of Gram-Schmidt. The row embedding returned is U * Sigma, what
// scikit-learn's TruncatedSVD.fit_transform gives, which the 2017 script fed to t-SNE.
import { csrTimesDense, csrTransposeTimesDense, type CsrMatrix } from '../sparse';
import { gaussian, seededRandom } from '../random';

export interface SvdOptions {
  components: number;
  oversamples?: number;
  powerIterations?: number;
  seed?: number;
}

export interface SvdResult {
  /** rows x components, row-major: U * Sigma. */
  embedding: Float32Array;
  singularValues: Float64Array;
  /** cols x components, row-major (right singular vectors). */
  v: Float64Array;
  components: number;
}

/** Eigen-decomposition of a symmetric l x l matrix (cyclic Jacobi); eigenvalues descending, vectors as columns. */
export function symmetricEigen(a: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < l; i++) for (let j = i + 1; j < l; j++) off += m[i * l + j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = m[p * l + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * l + q] - m[p * l + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const mkp = m[k * l + p];
          const mkq = m[k * l + q];
          m[k * l + p] = c * mkp - s * mkq;
          m[k * l + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < l; k++) {
          const mpk = m[p * l + k];
          const mqk = m[q * l + k];
          m[p * l + k] = c * mpk - s * mqk;
          m[q * l + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p];
          const vkq = v[k * l + q];
          v[k * l + p] = c * vkp - s * vkq;
          v[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort((x, y) => m[y * l + y] - m[x * l + x]);
  const values = new Float64Array(l);
  const vectors = new Float64Array(l * l);
  order.forEach((src, dst) => {
    values[dst] = m[src * l + src];
    for (let k = 0; k < l; k++) vectors[k * l + dst] = v[k * l + src];
  });
  return { values, vectors };
}

/** G = X^T X for X (m x l, row-major). */
export function gram(x: Float64Array, m: number, l: number): Float64Array {
  const g = new Float64Array(l * l);
  for (let r = 0; r < m; r++) {
    const o = r * l;
    for (let i = 0; i < l; i++) {
      const xi = x[o + i];
      if (xi === 0) continue;
      const gi = i * l;
      for (let j = i; j < l; j++) g[gi + j] += xi * x[o + j];
    }
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) g[i * l + j] = g[j * l + i];
  return g;
}

/** In place: X <- X R^-1 where R^T R = X^T X (Cholesky); rank-deficient directions are zeroed. */
export function choleskyQrPass(x: Float64Array, m: number, l: number): void {
  const g = gram(x, m, l);
  const r = new Float64Array(l * l);
  let scale = 0;
  for (let i = 0; i < l; i++) scale = Math.max(scale, g[i * l + i]);
  const eps = 1e-12 * (scale || 1);
  for (let j = 0; j < l; j++) {
    let d = g[j * l + j];
    for (let k = 0; k < j; k++) d -= r[k * l + j] ** 2;
    const rjj = d > eps ? Math.sqrt(d) : 0;
    r[j * l + j] = rjj;
    for (let i = j + 1; i < l; i++) {
      let s = g[j * l + i];
      for (let k = 0; k < j; k++) s -= r[k * l + j] * r[k * l + i];
      r[j * l + i] = rjj > 0 ? s / rjj : 0;
    }
  }
  // Solve row by row: x_row <- x_row R^-1 (forward substitution on the upper-triangular R).
  const row = new Float64Array(l);
  for (let rIdx = 0; rIdx < m; rIdx++) {
    const o = rIdx * l;
    for (let j = 0; j < l; j++) {
      let s = x[o + j];
      for (let k = 0; k < j; k++) s -= row[k] * r[k * l + j];
      row[j] = r[j * l + j] > 0 ? s / r[j * l + j] : 0;
    }
    x.set(row, o);
  }
}

export function orthonormalize(x: Float64Array, m: number, l: number) {
  choleskyQrPass(x, m, l);
  choleskyQrPass(x, m, l);
}

export function randomizedSvd(a: CsrMatrix, options: SvdOptions): SvdResult {
  const k = Math.min(options.components, a.rows, a.cols);
  const l = Math.min(k + (options.oversamples ?? 10), a.rows, a.cols);
  // 7 power iterations: scikit-learn's choice for k small against the matrix; label spectra can decay slowly.
  const q = options.powerIterations ?? 7;
  const normal = gaussian(seededRandom(options.seed ?? 42));
  const omega = new Float64Array(a.cols * l);
  for (let i = 0; i < omega.length; i++) omega[i] = normal();
  // Subspace iteration. Only the short side (cols x l) is re-orthonormalized between the products (one Cholesky QR
  // pass); the tall side (rows x l, the costly one) is orthonormalized once, with two passes, at the end. Y = A Z
  // with Z orthonormal is as well conditioned as A on that subspace, which float64 carries comfortably.
  let y = csrTimesDense(a, omega, l);
  const z = new Float64Array(a.cols * l) as Float64Array;
  for (let it = 0; it < q; it++) {
    csrTransposeTimesDense(a, y, l, z);
    choleskyQrPass(z, a.cols, l);
    y = csrTimesDense(a, z, l, y);
  }
  orthonormalize(y, a.rows, l);
  // B^T = A^T Q (cols x l); B B^T = (A^T Q)^T (A^T Q) = l x l.
  const bt = csrTransposeTimesDense(a, y, l);
  const bbt = gram(bt, a.cols, l);
  const { values, vectors } = symmetricEigen(bbt, l);
  const singularValues = new Float64Array(k);
  for (let j = 0; j < k; j++) singularValues[j] = Math.sqrt(Math.max(values[j], 0));
  // Embedding U Sigma = Q U_B Sigma; V = B^T U_B / sigma.
  const embedding = new Float32Array(a.rows * k);
  for (let r = 0; r < a.rows; r++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < l; t++) s += y[r * l + t] * vectors[t * l + j];
      embedding[r * k + j] = s * singularValues[j];
    }
  }
  const v = new Float64Array(a.cols * k);
  for (let c = 0; c < a.cols; c++) {
    for (let j = 0; j < k; j++) {
      if (singularValues[j] === 0) continue;
      let s = 0;
      for (let t = 0; t < l; t++) s += bt[c * l + t] * vectors[t * l + j];
      v[c * k + j] = s / singularValues[j];
    }
  }
  return { embedding, singularValues, v, components: k };
}

// PCA of dense feature rows (n x d, centred on the column means) by the same randomized range finder as svd.ts
// (Halko, Martinsson and Tropp 2011, Algorithms 4.4 and 5.1), for the map of a collection without usable labels:
// the features' top principal components feed t-SNE or UMAP as the label SVD does for a labelled one. Pure.
// Invariant: the input is never copied whole; the centring is folded into the products (X - 1 mu^T) Z.
import { choleskyQrPass, gram, orthonormalize, symmetricEigen } from './svd';
import { gaussian, seededRandom } from '../random';

export interface PcaResult {
  /** n x components, row-major: the centred rows in the principal axes (U * Sigma). */
  embedding: Float32Array;
  components: number;
  /** The variance each component carries, descending. */
  variances: Float64Array;
}

/** Y = (X - 1 mu^T) Z, n x l, for Z d x l. */
function centredTimes(x: Float32Array, n: number, d: number, mu: Float64Array, z: Float64Array, l: number): Float64Array {
  const muZ = new Float64Array(l);
  for (let c = 0; c < d; c++) for (let t = 0; t < l; t++) muZ[t] += mu[c] * z[c * l + t];
  const y = new Float64Array(n * l);
  const acc = new Float64Array(l);
  for (let r = 0; r < n; r++) {
    acc.fill(0);
    const o = r * d;
    for (let c = 0; c < d; c++) {
      const v = x[o + c];
      if (v === 0) continue;
      const zo = c * l;
      for (let t = 0; t < l; t++) acc[t] += v * z[zo + t];
    }
    for (let t = 0; t < l; t++) y[r * l + t] = acc[t] - muZ[t];
  }
  return y;
}

/** (X - 1 mu^T)^T Y, d x l, for Y n x l. */
function centredTransposeTimes(x: Float32Array, n: number, d: number, mu: Float64Array, y: Float64Array, l: number): Float64Array {
  const out = new Float64Array(d * l);
  const colSums = new Float64Array(l);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    const yo = r * l;
    for (let t = 0; t < l; t++) colSums[t] += y[yo + t];
    for (let c = 0; c < d; c++) {
      const v = x[o + c];
      if (v === 0) continue;
      const oo = c * l;
      for (let t = 0; t < l; t++) out[oo + t] += v * y[yo + t];
    }
  }
  for (let c = 0; c < d; c++) for (let t = 0; t < l; t++) out[c * l + t] -= mu[c] * colSums[t];
  return out;
}

/** The top `components` principal components of n rows of d floats. `powerIterations` 4: feature spectra decay
 *  fast, and the map needs the leading directions, not exact small ones. */
export function densePca(
  x: Float32Array,
  n: number,
  d: number,
  options: { components: number; seed?: number; powerIterations?: number },
): PcaResult {
  const k = Math.max(1, Math.min(options.components, n, d));
  const l = Math.min(k + 10, n, d);
  const mu = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mu[c] += x[r * d + c];
  for (let c = 0; c < d; c++) mu[c] /= n || 1;
  const normal = gaussian(seededRandom(options.seed ?? 42));
  const omega = new Float64Array(d * l);
  for (let i = 0; i < omega.length; i++) omega[i] = normal();
  let y = centredTimes(x, n, d, mu, omega, l);
  for (let it = 0; it < (options.powerIterations ?? 4); it++) {
    const z = centredTransposeTimes(x, n, d, mu, y, l);
    choleskyQrPass(z, d, l);
    y = centredTimes(x, n, d, mu, z, l);
  }
  orthonormalize(y, n, l);
  const bt = centredTransposeTimes(x, n, d, mu, y, l);
  const { values, vectors } = symmetricEigen(gram(bt, d, l), l);
  const sigma = Array.from({ length: k }, (_, j) => Math.sqrt(Math.max(values[j], 0)));
  const embedding = new Float32Array(n * k);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < l; t++) s += y[r * l + t] * vectors[t * l + j];
      embedding[r * k + j] = s * sigma[j];
    }
  const variances = Float64Array.from(sigma, (s) => (s * s) / Math.max(1, n - 1));
  return { embedding, components: k, variances };
}

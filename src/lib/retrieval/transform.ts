// Feature transforms fitted on the training images only, then applied to every row: per-dimension standardisation
// (z-scores), and PCA whitening (Kessy, Lewin and Strimmer 2018, "Optimal whitening and decorrelation": the
// centred rows in the top principal axes, each divided by the square root of its variance plus a ridge that keeps
// the near-empty directions from being blown up into noise). Pure. Measured as levers of the retrieval net
// (bench/levers.ts, docs/METHODS.md).
import { densePca } from '../embedding/pca';

export interface FeatureTransform {
  kind: 'standardise' | 'whiten';
  inputDim: number;
  outputDim: number;
  /** One row of inputDim to a new row of outputDim. */
  apply(row: ArrayLike<number>): Float32Array;
}

/** Whitening keeps at most this many principal axes. */
export const WHITEN_COMPONENTS = 256;
/** The ridge added to each axis's variance, as a share of the largest variance. */
export const WHITEN_RIDGE = 0.01;

/** Per-dimension mean and inverse standard deviation of the rows (a dimension that never varies: scale 0). */
export interface Standardiser {
  mean: Float32Array;
  scale: Float32Array;
}

/** The variance added to every dimension's, as a share of the mean variance (a floor on the spread divided by). */
export const STANDARDISE_FLOOR = 0.01;

export function fitStandardiser(x: Float32Array, dim: number): Standardiser {
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) mean[d] += x[r * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n || 1;
  const scale = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) scale[d] += (x[r * dim + d] - mean[d]) ** 2;
  // A dimension that never varies among the training images carries nothing: it maps to 0. The others are divided
  // by their spread, floored at a tenth of the typical spread (variance plus a hundredth of the mean variance): a
  // dimension that barely varied among the training images (a feature on in one of them, faintly) would otherwise
  // be scaled up a million times, and a new image's own small value there would swamp everything else.
  let total = 0;
  for (let d = 0; d < dim; d++) total += scale[d] / (n || 1);
  const floor = (STANDARDISE_FLOOR * total) / (dim || 1);
  for (let d = 0; d < dim; d++) scale[d] = scale[d] > 0 ? 1 / Math.sqrt(scale[d] / n + floor) : 0;
  return { mean: Float32Array.from(mean), scale: Float32Array.from(scale) };
}

/** Standardises rows in place (z-scores); returns them. */
export function standardiseRows(rows: Float32Array, s: Standardiser): Float32Array {
  const dim = s.mean.length;
  for (let i = 0; i < rows.length; i++) {
    const d = i % dim;
    rows[i] = (rows[i] - s.mean[d]) * s.scale[d];
  }
  return rows;
}

/** Fits a transform on n rows of `dim` floats (row-major). */
export function fitTransform(kind: FeatureTransform['kind'], x: Float32Array, dim: number): FeatureTransform {
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) mean[d] += x[r * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n || 1;
  if (kind === 'standardise') {
    const st = fitStandardiser(x, dim);
    return {
      kind,
      inputDim: dim,
      outputDim: dim,
      apply: (row) => standardiseRows(Float32Array.from(row), st),
    };
  }
  const pca = densePca(x, n, dim, { components: Math.min(WHITEN_COMPONENTS, n - 1, dim), seed: 7 });
  const k = pca.components;
  // The axes: X_c^T (U Sigma), each column made unit length (the centred rows' principal directions).
  const axes = new Float64Array(dim * k);
  for (let r = 0; r < n; r++)
    for (let d = 0; d < dim; d++) {
      const c = x[r * dim + d] - mean[d];
      if (c === 0) continue;
      for (let j = 0; j < k; j++) axes[d * k + j] += c * pca.embedding[r * k + j];
    }
  const variance = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += axes[d * k + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) axes[d * k + j] *= inv;
    for (let r = 0; r < n; r++) variance[j] += pca.embedding[r * k + j] ** 2 / n;
  }
  const ridge = WHITEN_RIDGE * Math.max(variance[0], 1e-12);
  const scale = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + ridge));
  return {
    kind,
    inputDim: dim,
    outputDim: k,
    apply: (row) => {
      const out = new Float32Array(k);
      for (let d = 0; d < dim; d++) {
        const c = row[d] - mean[d];
        if (c === 0) continue;
        for (let j = 0; j < k; j++) out[j] += c * axes[d * k + j];
      }
      for (let j = 0; j < k; j++) out[j] *= scale[j];
      return out;
    },
  };
}

// t-SNE input similarities from a k-nearest-neighbour graph (van der Maaten 2014, section 3): for each point a
// Gaussian whose bandwidth is found by binary search so that the conditional distribution over its k neighbours
// has the requested perplexity; then P = (P_cond + P_cond^T) / (2 n), stored as CSR. Pure.
import type { CsrMatrix } from '../sparse';

export interface Affinities extends CsrMatrix {
  /** Always Float32: p_ij, summing to 1 over all i, j. */
  values: Float32Array;
}

/** knnIdx / knnDist2: n x k row-major neighbour indices and squared distances (a missing neighbour is -1). */
export function perplexityAffinities(knnIdx: Int32Array, knnDist2: Float32Array, n: number, k: number, perplexity: number): Affinities {
  const target = Math.log(Math.min(perplexity, Math.max(k, 1)));
  const conditional = new Float32Array(n * k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let minD = Infinity;
    for (let j = 0; j < k; j++) if (knnIdx[o + j] >= 0) minD = Math.min(minD, knnDist2[o + j]);
    let beta = 1;
    let lo = 0;
    let hi = Infinity;
    for (let it = 0; it < 64; it++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < k; j++) {
        if (knnIdx[o + j] < 0) {
          row[j] = 0;
          continue;
        }
        const d = knnDist2[o + j] - minD; // shifted for stability; cancels in the normalization
        row[j] = Math.exp(-beta * d);
        sum += row[j];
        weighted += d * row[j];
      }
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      const diff = entropy - target;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += row[j];
    for (let j = 0; j < k; j++) conditional[o + j] = sum > 0 ? row[j] / sum : 0;
  }
  return symmetrize(knnIdx, conditional, n, k);
}

/** P = (C + C^T) / (2n) from the conditional n x k graph C, as CSR with sorted columns. */
export function symmetrize(knnIdx: Int32Array, conditional: Float32Array, n: number, k: number): Affinities {
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const t = knnIdx[i * k + j];
      if (t < 0 || t === i) continue;
      counts[i + 1]++;
      counts[t + 1]++;
    }
  }
  for (let i = 0; i < n; i++) counts[i + 1] += counts[i];
  const fill = counts.slice(0, n);
  const cols = new Int32Array(counts[n]);
  const vals = new Float32Array(counts[n]);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const t = knnIdx[i * k + j];
      if (t < 0 || t === i) continue;
      const v = conditional[i * k + j];
      cols[fill[i]] = t;
      vals[fill[i]++] = v;
      cols[fill[t]] = i;
      vals[fill[t]++] = v;
    }
  }
  // Merge duplicates within each row (i -> t and t -> i both present) by summing.
  const rowPtr = new Int32Array(n + 1);
  const outCols = new Int32Array(counts[n]);
  const outVals = new Float32Array(counts[n]);
  let w = 0;
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    order.length = 0;
    for (let p = counts[i]; p < counts[i + 1]; p++) order.push(p);
    order.sort((a, b) => cols[a] - cols[b]);
    let last = -1;
    for (const p of order) {
      if (cols[p] === last) outVals[w - 1] += vals[p];
      else {
        outCols[w] = cols[p];
        outVals[w++] = vals[p];
        last = cols[p];
      }
    }
    rowPtr[i + 1] = w;
  }
  const scale = 1 / (2 * n);
  const values = outVals.slice(0, w);
  for (let p = 0; p < w; p++) values[p] *= scale;
  return { rows: n, cols: n, rowPtr, colIdx: outCols.slice(0, w), values };
}

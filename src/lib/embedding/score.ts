// The 2017 retrieval score (the simage script's check_score), used everywhere a retrieval is judged. Pure.
// For a query t with labels {l: c_t(l)} and a retrieved list S (t itself removed), k = |S|, n = 50:
//   score(t, S) = 2 / (k + n) * sum_{s in S} [ sum_{l in t and s} c_s(l) * c_t(l) ] / B,   B = sum_l c_t(l) (1 if 0)
// The reported figure is its mean over the queries.
import type { CsrMatrix } from '../sparse';

export const SCORE_N = 50;

/** Score of one query row `t` against retrieved rows `retrieved` of the same label matrix (t removed first). */
export function retrievalScore(labels: CsrMatrix, t: number, retrieved: ArrayLike<number>, n = SCORE_N, scratch?: Float64Array): number {
  const dense = scratch ?? new Float64Array(labels.cols);
  let b = 0;
  for (let p = labels.rowPtr[t]; p < labels.rowPtr[t + 1]; p++) {
    dense[labels.colIdx[p]] = labels.values[p];
    b += labels.values[p];
  }
  if (b === 0) b = 1;
  let k = 0;
  let sum = 0;
  for (let i = 0; i < retrieved.length; i++) {
    const s = retrieved[i];
    if (s === t) continue;
    k++;
    for (let p = labels.rowPtr[s]; p < labels.rowPtr[s + 1]; p++) sum += labels.values[p] * dense[labels.colIdx[p]];
  }
  for (let p = labels.rowPtr[t]; p < labels.rowPtr[t + 1]; p++) dense[labels.colIdx[p]] = 0;
  return ((2 / (k + n)) * sum) / b;
}

/** Mean score over queries; `lists[i]` is the retrieved rows for query `queries[i]`. */
export function meanRetrievalScore(labels: CsrMatrix, queries: ArrayLike<number>, lists: ArrayLike<number>[], n = SCORE_N): number {
  if (queries.length === 0) return 0;
  const scratch = new Float64Array(labels.cols);
  let total = 0;
  for (let i = 0; i < queries.length; i++) total += retrievalScore(labels, queries[i], lists[i], n, scratch);
  return total / queries.length;
}

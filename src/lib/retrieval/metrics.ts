// Retrieval rankings and their evaluation. Pure. A task is a label matrix whose rows are the reference images and
// the query images; a ranking is a list of reference positions, best first. Metrics, for a query t and its list S
// of k references:
//   score        the 2017 retrieval score (../embedding/score.ts), mean over queries;
//   precision@k  share of S that shares at least one label with t (a "relevant" reference);
//   MAP          mean over queries of AP@k = sum_{i <= k, S_i relevant} precision@i / min(k, relevant references),
//                0 for a query with no relevant reference.
import type { CsrMatrix } from '../sparse';
import { retrievalScore } from '../embedding/score';
import type { Random } from '../random';

export interface RetrievalTask {
  labels: CsrMatrix;
  /** Row in `labels` of each reference, in reference order. */
  refRows: Int32Array;
  /** Row in `labels` of each query. */
  queryRows: Int32Array;
}

export interface Metrics {
  score: number;
  precisionAtK: number;
  map: number;
}

/** Positions of the k largest scores, best first; ties go to the lower position (deterministic). */
export function topK(scores: ArrayLike<number>, k: number): Int32Array {
  const n = scores.length;
  const m = Math.min(k, n);
  // A min-heap of the best m seen so far, ordered by (score, -position).
  const heap = new Int32Array(m);
  let size = 0;
  const worse = (a: number, b: number) => scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  for (let i = 0; i < n; i++) {
    if (size < m) {
      let c = size++;
      heap[c] = i;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c], heap[p])) break;
        [heap[c], heap[p]] = [heap[p], heap[c]];
        c = p;
      }
    } else if (m > 0 && worse(heap[0], i)) {
      heap[0] = i;
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= m) break;
        const r = l + 1;
        const w = r < m && worse(heap[r], heap[l]) ? r : l;
        if (!worse(heap[w], heap[c])) break;
        [heap[c], heap[w]] = [heap[w], heap[c]];
        c = w;
      }
    }
  }
  return Int32Array.from(heap.subarray(0, size)).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Per reference, its share of query t's score: sum over shared labels of c_s(l) * c_t(l) (the score's summand). */
export function scoreContributions(task: RetrievalTask, q: number, dense: Float64Array, out: Float64Array): Float64Array {
  const { labels, refRows } = task;
  const t = task.queryRows[q];
  for (let p = labels.rowPtr[t]; p < labels.rowPtr[t + 1]; p++) dense[labels.colIdx[p]] = labels.values[p];
  for (let r = 0; r < refRows.length; r++) {
    const s = refRows[r];
    let sum = 0;
    for (let p = labels.rowPtr[s]; p < labels.rowPtr[s + 1]; p++) sum += labels.values[p] * dense[labels.colIdx[p]];
    out[r] = sum;
  }
  for (let p = labels.rowPtr[t]; p < labels.rowPtr[t + 1]; p++) dense[labels.colIdx[p]] = 0;
  return out;
}

/** The best possible list: references ranked by their share of the score. */
export function oracleRankings(task: RetrievalTask, k: number): Int32Array[] {
  const dense = new Float64Array(task.labels.cols);
  const contrib = new Float64Array(task.refRows.length);
  return Array.from(task.queryRows, (_, q) => topK(scoreContributions(task, q, dense, contrib), k));
}

/** k distinct random references per query (Floyd's sampling), from a seeded generator. */
export function randomRankings(task: RetrievalTask, k: number, random: Random): Int32Array[] {
  const r = task.refRows.length;
  const m = Math.min(k, r);
  return Array.from(task.queryRows, () => {
    const chosen = new Set<number>();
    for (let j = r - m; j < r; j++) {
      const t = Math.floor(random() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    return Int32Array.from(chosen);
  });
}

/** Per query: its 2017 score, precision@k and AP@k (the means of these are the Metrics). */
export interface PerQueryMetrics {
  score: Float64Array;
  precision: Float64Array;
  ap: Float64Array;
}

/** Evaluates one ranking per query (reference positions, best first; only the first k are used); `perQuery`, when
 *  given, gets each query's values (for bootstrap intervals and the per-label table). */
export function evaluateRankings(task: RetrievalTask, lists: ArrayLike<number>[], k: number, perQuery?: PerQueryMetrics): Metrics {
  const { labels, refRows, queryRows } = task;
  if (queryRows.length === 0) return { score: 0, precisionAtK: 0, map: 0 };
  const dense = new Float64Array(labels.cols);
  const scratch = new Float64Array(labels.cols);
  const contrib = new Float64Array(refRows.length);
  let score = 0,
    precision = 0,
    map = 0;
  for (let q = 0; q < queryRows.length; q++) {
    const list = Array.from({ length: Math.min(k, lists[q].length) }, (_, i) => lists[q][i]);
    const s = retrievalScore(
      labels,
      queryRows[q],
      list.map((r) => refRows[r]),
      undefined,
      scratch,
    );
    score += s;
    // Relevance: shares at least one label (a positive share of the score).
    scoreContributions(task, q, dense, contrib);
    let relevantTotal = 0;
    for (let r = 0; r < refRows.length; r++) if (contrib[r] > 0) relevantTotal++;
    let hits = 0,
      ap = 0;
    list.forEach((r, i) => {
      if (contrib[r] > 0) {
        hits++;
        ap += hits / (i + 1);
      }
    });
    const p = list.length ? hits / list.length : 0;
    const a = relevantTotal ? ap / Math.min(k, relevantTotal) : 0;
    if (perQuery) {
      perQuery.score[q] = s;
      perQuery.precision[q] = p;
      perQuery.ap[q] = a;
    }
    precision += p;
    map += a;
  }
  const n = queryRows.length;
  return { score: score / n, precisionAtK: precision / n, map: map / n };
}

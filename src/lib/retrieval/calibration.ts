// After training: how strongly images placed by prediction are calibrated against references (the CSLS strength
// beta, hubness.ts) and whether it shrinks for a query whose cosines spread little, chosen on the hold-out by the
// mixed index's precision@10, then measured on the reported
// queries against plain cosine (report key evaluation.hubness). Runs the net through heads.ts; no DOM.
import type { AssembledTask } from './data';
import { choosePositions } from './data';
import { predictVectors, type Retriever } from './heads';
import { CSLS_BETAS, CSLS_K, mixedEvaluation, type Calibration, type MixedEvaluation } from './hubness';
import type { HubnessEvaluation } from './protocol';

/** Queries of a mixed-index measurement (a seeded sample beyond this: each costs a pass over every item). */
export const MIXED_QUERIES = 400;
const K = 10;

function sample(rows: Int32Array, x: Float32Array, dim: number, seed: number) {
  if (rows.length <= MIXED_QUERIES) return { rows, x };
  const keep = [...choosePositions(rows.length, MIXED_QUERIES, seed)].sort((a, b) => a - b);
  const out = new Float32Array(keep.length * dim);
  keep.forEach((q, i) => out.set(x.subarray(q * dim, (q + 1) * dim), i * dim));
  return { rows: Int32Array.from(keep, (q) => rows[q]), x: out };
}

/** The hold-out's choice of beta (none for a model without label vectors) and every strength it tried. */
export async function chooseCalibration(
  task: AssembledTask,
  retriever: Retriever,
  seed: number,
): Promise<{ calibration: Calibration | null; tried: MixedEvaluation[] }> {
  if (retriever.head !== 'embedding' || retriever.target !== 'svd' || task.selection.kind !== 'holdout')
    return { calibration: null, tried: [] };
  const sel = task.data;
  const c = sel.targetDim;
  const f = sel.trainX.length / sel.dim;
  const q = sample(sel.task.queryRows, sel.valX, sel.dim, seed + 17);
  const predicted = await predictVectors(retriever, q.x, q.rows.length);
  const refs = task.refTargets.subarray(0, f * c);
  // Plain CSLS at each strength, then the same with each query's penalties shrunk by its spread.
  const at = (beta: number, mode: 'csls' | 'spread') =>
    mixedEvaluation(task.labels, refs, sel.task.refRows, predicted, q.rows, c, beta, K, mode);
  const tried = [...CSLS_BETAS.map((beta) => at(beta, 'csls')), ...CSLS_BETAS.filter((b) => b > 0).map((beta) => at(beta, 'spread'))];
  // The best precision; a tie keeps the one tried first (the weaker calibration, plain CSLS before the spread).
  const best = tried.reduce((a, b) => (b.precision_at_k > a.precision_at_k + 1e-9 ? b : a));
  return { calibration: { method: 'csls', beta: best.beta, k: CSLS_K, ...(best.spread ? { spread: true } : {}) }, tried };
}

/** The reported queries placed by prediction among all references: plain cosine against the chosen calibration. */
export async function evaluateHubness(
  task: AssembledTask,
  retriever: Retriever,
  chosen: { calibration: Calibration | null; tried: MixedEvaluation[] },
  seed: number,
): Promise<HubnessEvaluation | null> {
  if (!chosen.calibration) return null;
  const ev = task.evaluation;
  const c = task.data.targetDim;
  const q = sample(ev.task.queryRows, ev.queryX, ev.dim, seed + 19);
  const predicted = await predictVectors(retriever, q.x, q.rows.length);
  const at = (beta: number, mode: 'csls' | 'spread' = 'csls') =>
    mixedEvaluation(task.labels, task.refTargets, ev.task.refRows, predicted, q.rows, c, beta, K, mode);
  return {
    k: K,
    queries: q.rows.length,
    beta: chosen.calibration.beta,
    ...(chosen.calibration.spread ? { spread: true } : {}),
    plain: at(0),
    calibrated: at(chosen.calibration.beta, chosen.calibration.spread ? 'spread' : 'csls'),
    holdout: chosen.tried,
  };
}

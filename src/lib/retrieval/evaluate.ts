// The evaluation table of a trained net: on the reported queries (never used to choose anything), the net's
// rankings against raw-feature cosine kNN, random lists and the oracle, each scored with the 2017 score,
// precision@k and MAP (metrics.ts), with 95% bootstrap intervals over queries (bootstrap.ts) and the paired interval
// of trained minus kNN; plus each query's precision@k for the per-label quality table. No DOM.
import { featureKnn, rank, type Retriever } from './heads';
import { evaluateRankings, oracleRankings, randomRankings, type PerQueryMetrics } from './metrics';
import { Bootstrap, type Difference, type Interval } from './bootstrap';
import type { EvaluationData } from './data';
import { METHODS as RANKING_METHODS, type RankingMethod, type RetrievalEvaluation } from './protocol';
import { seededRandom } from '../random';

export interface EvaluationOutcome {
  evaluation: RetrievalEvaluation;
  /** Per query, precision@k of the trained and the raw-feature rankings. */
  perQuery: { trained: Float64Array; feature_knn: Float64Array };
  /** The trained rankings (reference positions), for the per-label table's worst queries. */
  trainedLists: Int32Array[];
  /** The resamples of the reported queries, for the other figures measured on them (label-eval.ts). */
  bootstrap: Bootstrap;
}

const METRICS = [
  ['score', 'score'],
  ['precision_at_k', 'precision'],
  ['map', 'ap'],
] as const;

export async function evaluateRetrieval(data: EvaluationData, retriever: Retriever, k: number, seed: number): Promise<EvaluationOutcome> {
  const queries = data.task.queryRows.length;
  const lists: Record<RankingMethod, Int32Array[]> = {
    trained: await rank(retriever, data.queryX, queries, k),
    feature_knn: await featureKnn(data.refX, data.queryX, data.dim, k),
    // The random lists' seed differs from training's, so they are not correlated with its shuffles.
    random: randomRankings(data.task, k, seededRandom(seed + 7)),
    oracle: oracleRankings(data.task, k),
  };
  const references = data.refX.length / data.dim;
  const evaluation: RetrievalEvaluation = { k, queries, references, score: {} as never, precision_at_k: {} as never, map: {} as never };
  const per = {} as Record<RankingMethod, PerQueryMetrics>;
  for (const name of RANKING_METHODS) {
    per[name] = { score: new Float64Array(queries), precision: new Float64Array(queries), ap: new Float64Array(queries) };
    const m = evaluateRankings(data.task, lists[name], k, per[name]);
    evaluation.score[name] = m.score;
    evaluation.precision_at_k[name] = m.precisionAtK;
    evaluation.map[name] = m.map;
  }
  const bootstrap = new Bootstrap(queries, seed);
  const ci: NonNullable<RetrievalEvaluation['ci']> = {
    level: 0.95,
    resamples: bootstrap.resamples,
    score: {} as never,
    precision_at_k: {} as never,
    map: {} as never,
    difference: {} as never,
  };
  for (const [metric, field] of METRICS) {
    const row = {} as Record<RankingMethod, Interval>;
    for (const name of RANKING_METHODS) row[name] = bootstrap.interval(per[name][field]);
    ci[metric] = row;
    ci.difference[metric] = bootstrap.difference(per.trained[field], per.feature_knn[field]) satisfies Difference;
  }
  evaluation.ci = ci;
  return {
    evaluation,
    perQuery: { trained: per.trained.precision, feature_knn: per.feature_knn.precision },
    trainedLists: lists.trained,
    bootstrap,
  };
}

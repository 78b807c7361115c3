// The evaluation table of a trained net: on the reported queries (never used to choose anything), the net's
// rankings against raw-feature cosine kNN, random lists and the oracle, each scored with the 2017 score,
// precision@k and MAP (metrics.ts), plus each query's precision@k for the per-label quality table. No DOM.
import { featureKnn, rank, type Retriever } from './heads';
import { evaluateRankings, oracleRankings, randomRankings } from './metrics';
import type { EvaluationData } from './data';
import type { RankingMethod, RetrievalEvaluation } from './protocol';
import { seededRandom } from '../random';

export interface EvaluationOutcome {
  evaluation: RetrievalEvaluation;
  /** Per query, precision@k of the trained and the raw-feature rankings. */
  perQuery: { trained: Float64Array; feature_knn: Float64Array };
  /** The trained rankings (reference positions), for the per-label table's worst queries. */
  trainedLists: Int32Array[];
}

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
  const perQuery = { trained: new Float64Array(queries), feature_knn: new Float64Array(queries) };
  for (const [name, l] of Object.entries(lists) as [RankingMethod, Int32Array[]][]) {
    const m = evaluateRankings(data.task, l, k, name === 'trained' || name === 'feature_knn' ? perQuery[name] : undefined);
    evaluation.score[name] = m.score;
    evaluation.precision_at_k[name] = m.precisionAtK;
    evaluation.map[name] = m.map;
  }
  return { evaluation, perQuery, trainedLists: lists.trained };
}

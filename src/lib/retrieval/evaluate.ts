// The evaluation table of a trained net: on the validation queries, the net's rankings against raw-feature cosine
// kNN, random lists and the oracle, each scored with the 2017 score, precision@k and MAP (metrics.ts). No DOM.
import type { TrainData } from './heads';
import { featureKnn, rank, type Retriever } from './heads';
import { evaluateRankings, oracleRankings, randomRankings } from './metrics';
import type { RankingMethod, RetrievalEvaluation } from './protocol';
import { seededRandom } from '../random';

export async function evaluateRetrieval(data: TrainData, retriever: Retriever, k: number, seed: number): Promise<RetrievalEvaluation> {
  const queries = data.task.queryRows.length;
  const lists: Record<RankingMethod, Int32Array[]> = {
    trained: await rank(retriever, data.valX, queries, k),
    feature_knn: await featureKnn(data.trainX, data.valX, data.dim, k),
    // The random lists' seed differs from training's, so they are not correlated with its shuffles.
    random: randomRankings(data.task, k, seededRandom(seed + 7)),
    oracle: oracleRankings(data.task, k),
  };
  const references = data.trainX.length / data.dim;
  const evaluation: RetrievalEvaluation = { k, queries, references, score: {} as never, precision_at_k: {} as never, map: {} as never };
  for (const [name, l] of Object.entries(lists) as [RankingMethod, Int32Array[]][]) {
    const m = evaluateRankings(data.task, l, k);
    evaluation.score[name] = m.score;
    evaluation.precision_at_k[name] = m.precisionAtK;
    evaluation.map[name] = m.map;
  }
  return evaluation;
}

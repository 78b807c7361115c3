// A synthetic retrieval task for the training benchmarks (bench/retrieval-bench.ts, bench/gpu/webgpu-node.mjs):
// `dim`-d non-negative "features" whose truth is a known function of them (a weak topic signal in 64 dimensions
// under nuisance noise), labels from the same topics, and for the 'sets' head similar sets = the k training images
// of the same topic. Seeded, so every run and backend trains on the same data.
import { embeddingTargets, type TrainData } from '../src/lib/retrieval/heads';
import { csrFromRows } from '../src/lib/sparse';
import { gaussian, seededRandom } from '../src/lib/random';

export const TOPICS = 50;

export interface SyntheticTaskOptions {
  dim?: number;
  /** Similar-set size; 0 leaves the sets empty (only the 'sets' head reads them). */
  setK?: number;
}

export function syntheticTrainTask(nTrain: number, nVal: number, seed: number, options: SyntheticTaskOptions = {}): TrainData {
  const dim = options.dim ?? 2048;
  const k = options.setK ?? 100;
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const centres = Array.from({ length: TOPICS }, () => Float32Array.from({ length: 64 }, () => normal()));
  const make = (n: number) => {
    const topic = Int32Array.from({ length: n }, () => Math.floor(random() * TOPICS));
    const x = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) x[i * dim + d] = Math.abs(d < 64 ? centres[topic[i]][d] + 0.5 * normal() : 1.5 * normal());
    }
    return { topic, x };
  };
  const train = make(nTrain),
    val = make(nVal);
  const labelsOf = (t: number) => [
    { col: t, value: 1 },
    { col: TOPICS + Math.floor(random() * 20), value: 0.5 },
  ];
  const labels = csrFromRows([...train.topic, ...val.topic].map(labelsOf), TOPICS + 20);
  const sets = new Int32Array(nTrain * k).fill(-1);
  if (k > 0) {
    const byTopic = Array.from({ length: TOPICS }, () => [] as number[]);
    train.topic.forEach((t, i) => byTopic[t].push(i));
    for (let i = 0; i < nTrain; i++) {
      let s = 0;
      for (const j of byTopic[train.topic[i]]) {
        if (s === k) break;
        if (j !== i) sets[i * k + s++] = j;
      }
    }
  }
  const vectors = new Float32Array(nTrain * TOPICS);
  train.topic.forEach((t, i) => (vectors[i * TOPICS + t] = 1));
  return {
    dim,
    trainX: train.x,
    sets,
    setK: k,
    targets: embeddingTargets(vectors, TOPICS, 'svd'),
    targetDim: TOPICS,
    valX: val.x,
    task: {
      labels,
      refRows: Int32Array.from({ length: nTrain }, (_, i) => i),
      queryRows: Int32Array.from({ length: nVal }, (_, i) => nTrain + i),
    },
  };
}

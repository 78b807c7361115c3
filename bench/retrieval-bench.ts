// Retrieval-net benchmark (run by bench/bench.mjs after bundling; TensorFlow.js WASM backend in Node, one thread,
// with the app's transposed-matmul fix): for 1,000 and 10,000 training images, both heads, the time to the best
// validation score (epochs capped), that score against feature_knn; then one query's latency (the net, scoring
// every reference, top-k) at 10,000 and 100,000 references.
// Data: synthetic 2048-d "features" whose truth is a known function of them (a weak topic signal in 64 dimensions
// under nuisance noise), synthetic labels from the same topics, similar sets = the k training images of the same
// topic with the most shared labels. Seeded.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  buildModel,
  DEFAULT_TRAIN,
  embeddingTargets,
  featureKnn,
  maxSetsReferences,
  rank,
  trainHead,
  type HeadKind,
  type Retriever,
  type TrainData,
} from '../src/lib/retrieval/heads';
import { evaluateRankings } from '../src/lib/retrieval/metrics';
import { speedUpWasmMatMul } from '../src/lib/retrieval/wasm-matmul';
import { csrFromRows } from '../src/lib/embedding/sparse';
import { gaussian, seededRandom } from '../src/lib/random';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sizes = (process.env.BENCH_TRAIN_SIZES ?? '1000,10000').split(',').map(Number);
const maxEpochs = Number(process.env.BENCH_TRAIN_EPOCHS ?? 30);
const DIM = 2048,
  TOPICS = 50,
  K = 100;

function task(nTrain: number, nVal: number, seed: number): TrainData {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const centres = Array.from({ length: TOPICS }, () => Float32Array.from({ length: 64 }, () => normal()));
  const make = (n: number) => {
    const topic = Int32Array.from({ length: n }, () => Math.floor(random() * TOPICS));
    const x = new Float32Array(n * DIM);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < DIM; d++) x[i * DIM + d] = Math.abs(d < 64 ? centres[topic[i]][d] + 0.5 * normal() : 1.5 * normal());
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
  const byTopic = Array.from({ length: TOPICS }, () => [] as number[]);
  train.topic.forEach((t, i) => byTopic[t].push(i));
  const sets = new Int32Array(nTrain * K).fill(-1);
  for (let i = 0; i < nTrain; i++)
    byTopic[train.topic[i]]
      .filter((j) => j !== i)
      .slice(0, K)
      .forEach((j, s) => (sets[i * K + s] = j));
  const vectors = new Float32Array(nTrain * TOPICS);
  train.topic.forEach((t, i) => (vectors[i * TOPICS + t] = 1));
  return {
    dim: DIM,
    trainX: train.x,
    sets,
    setK: K,
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

await tf.setBackend('wasm');
speedUpWasmMatMul();
const rows: Record<string, unknown>[] = [];
for (const n of sizes) {
  const data = task(n, Math.min(1000, n), n);
  const knn = evaluateRankings(data.task, await featureKnn(data.trainX, data.valX, DIM, K), K).score;
  for (const head of ['embedding', 'sets'] as HeadKind[]) {
    // The 2017 head at 10,000 references costs ~30 s per epoch here: a few epochs show its pace.
    const epochs = head === 'sets' && n > 2000 ? Math.min(maxEpochs, 3) : maxEpochs;
    log(`train ${head} head, ${n} training images, up to ${epochs} epochs…`);
    let elapsed = 0;
    let toBest = 0;
    const outcome = await trainHead(
      data,
      { ...DEFAULT_TRAIN, head, k: K, epochs, patience: 5 },
      {
        random: seededRandom(3),
        onEpoch: (e) => {
          elapsed += e.ms;
          if (e.best) toBest = elapsed;
          log(
            `  epoch ${e.epoch}: ${(e.ms / 1000).toFixed(1)} s, loss ${e.loss.toFixed(4)}, validation score ${e.validation.score.toFixed(4)}`,
          );
        },
      },
    );
    rows.push({
      part: 'train',
      head,
      train_images: n,
      epochs: outcome.history.length,
      best_epoch: outcome.best?.epoch,
      seconds_to_best: +(toBest / 1000).toFixed(1),
      seconds_per_epoch: +(elapsed / 1000 / outcome.history.length).toFixed(2),
      score: +(outcome.best?.validation.score ?? 0).toFixed(4),
      feature_knn: +knn.toFixed(4),
    });
    outcome.retriever.model.dispose();
    outcome.retriever.refs?.dispose();
  }
}

// Query latency: one query against R references (weights random: latency does not depend on training).
for (const r of [10_000, 100_000]) {
  for (const head of ['embedding', 'sets'] as HeadKind[]) {
    if (head === 'sets' && r > maxSetsReferences(DIM)) {
      rows.push({
        part: 'query',
        head,
        references: r,
        ms: null,
        note: `refused: the sets head holds at most ${maxSetsReferences(DIM).toLocaleString('en')} references in 1.5 GB`,
      });
      continue;
    }
    const model = buildModel({ ...DEFAULT_TRAIN, head }, DIM, head === 'sets' ? r : 50);
    const refs =
      head === 'embedding'
        ? tf.tidy(() => {
            const v = tf.randomNormal([r, 50], 0, 1, 'float32', 1);
            return v.div(v.norm('euclidean', 1, true)) as tf.Tensor2D;
          })
        : null;
    const retriever: Retriever = { head, target: 'svd', model, refs };
    const x = Float32Array.from({ length: DIM }, (_, i) => Math.abs(Math.sin(i)));
    await rank(retriever, x, 1, K); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await rank(retriever, x, 1, K);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    rows.push({ part: 'query', head, references: r, ms: +times[10].toFixed(1), ms_max: +times[19].toFixed(1) });
    log(`query ${head}, ${r} references: median ${times[10].toFixed(1)} ms`);
    model.dispose();
    refs?.dispose();
  }
}
console.log(JSON.stringify({ bench: 'retrieval', rows }));

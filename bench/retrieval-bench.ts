// Retrieval-net benchmark (run by bench/bench.mjs after bundling; TensorFlow.js WASM backend in Node, one thread,
// with the app's transposed-matmul fix): for 1,000 and 10,000 training images, both heads, the time to the best
// validation score (epochs capped), that score against feature_knn; then one query's latency (the net, scoring
// every reference, top-k) at 10,000 and 100,000 references.
// Data: bench/synthetic-train.ts, 2048-d.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  buildModel,
  DEFAULT_TRAIN,
  featureKnn,
  maxSetsReferences,
  rank,
  referenceTensor,
  trainHead,
  type HeadKind,
  type Retriever,
} from '../src/lib/retrieval/heads';
import { evaluateRankings } from '../src/lib/retrieval/metrics';
import { speedUpWasmMatMul } from '../src/lib/retrieval/wasm-matmul';
import { seededRandom } from '../src/lib/random';
import { syntheticTrainTask } from './synthetic-train';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sizes = (process.env.BENCH_TRAIN_SIZES ?? '1000,10000').split(',').map(Number);
const maxEpochs = Number(process.env.BENCH_TRAIN_EPOCHS ?? 30);
const DIM = 2048,
  K = 100;

const task = (nTrain: number, nVal: number, seed: number) => syntheticTrainTask(nTrain, nVal, seed, { dim: DIM, setK: K });

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
        ? (() => {
            // Unit rows, stored transposed as the app stores its references.
            const v = tf.tidy(() => {
              const n = tf.randomNormal([r, 50], 0, 1, 'float32', 1);
              return n.div(n.norm('euclidean', 1, true));
            });
            const t = referenceTensor(v.dataSync() as Float32Array, 50);
            v.dispose();
            return t;
          })()
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

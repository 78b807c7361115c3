// The app's feature models (Inception v3 and MobileNetV2, their real weights) and its retrieval net's training on
// TensorFlow.js's WebGPU backend outside a browser: Dawn (the WebGPU engine inside Chromium) through the `webgpu` npm
// package's dawn.node, on whatever GPU the machine has. It measures each model's ms per image at several batch
// sizes and its first (shader-compiling) pass, checks that WebGPU and WASM agree on the two feature outputs for the
// same input, then times epochs of the embedding head (trainHead, the training worker's loop) on a synthetic task of
// the 100,000-image run's size (bench/synthetic-train.ts: 88,000 training images x 768 features, 2,000 hold-out
// queries) on WebGPU and on WASM. Run by bench/gpu/run.sh on a lent GPU machine, where no browser is installed; see
// docs/BENCHMARKS.md ("WebGPU on a real GPU"). Not part of npm test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { DEFAULT_TRAIN, rank, trainHead } from '../../src/lib/retrieval/heads';
import { speedUpWasmMatMul } from '../../src/lib/retrieval/wasm-matmul';
import { seededRandom } from '../../src/lib/random';
import { syntheticTrainTask } from '../synthetic-train';

const dir = process.argv[2]; // folder with model/<name>/, wasm/, webgpu/
const images = Number(process.argv[3] ?? 256);
const trainRows = Number(process.argv[4] ?? 88_000);
const MODELS = [
  { name: 'inception-v3', px: 299 },
  { name: 'mobilenet-v2', px: 224 },
];
const out = { device: null, models: {}, training: {} };

function modelHandler(name) {
  const json = JSON.parse(readFileSync(join(dir, 'model', name, 'model.json'), 'utf8'));
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, 'model', name, p))));
  const data = Buffer.concat(buffers);
  return {
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    }),
  };
}

function input(n, seed, px) {
  const a = new Float32Array(n * px * px * 3);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1; // [-1, 1), the model's input range
  }
  return tf.tensor4d(a, [n, px, px, 3]);
}

async function run(model, x) {
  const ys = model.predict(x);
  const data = await Promise.all(ys.map((y) => y.data()));
  ys.forEach((y) => y.dispose());
  return data;
}

async function measure(spec, backend, batches, budgetMs) {
  await tf.setBackend(backend);
  await tf.ready();
  const model = await tf.loadLayersModel(modelHandler(spec.name));
  const probe = input(2, 7, spec.px);
  let t = performance.now();
  const first = await run(model, probe);
  const firstMs = performance.now() - t;
  const rows = [];
  for (const b of batches) {
    const x = input(b, b, spec.px);
    await run(model, x); // warm this shape
    let done = 0;
    t = performance.now();
    while (done < images && performance.now() - t < budgetMs) {
      await run(model, x);
      done += b;
    }
    const ms = performance.now() - t;
    x.dispose();
    rows.push({
      model: spec.name,
      backend: tf.getBackend(),
      batch: b,
      images: done,
      ms_per_image: +(ms / done).toFixed(2),
      images_per_s: +((done * 1000) / ms).toFixed(1),
    });
    console.log(JSON.stringify(rows.at(-1)));
  }
  probe.dispose();
  model.dispose();
  return { first_pass_ms: Math.round(firstMs), rows, probe: first };
}

const { create, globals } = await import(join(dir, 'webgpu', 'index.js'));
Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]), userAgent: 'node' }, configurable: true });
const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
out.device = adapter
  ? adapter.info
    ? {
        vendor: adapter.info.vendor,
        architecture: adapter.info.architecture,
        device: adapter.info.device,
        description: adapter.info.description,
      }
    : 'adapter without info'
  : null;
console.log('adapter', JSON.stringify(out.device));
// The backend registers itself only when navigator.gpu exists at import time, so it is imported after it is set.
await import('@tensorflow/tfjs-backend-webgpu');

setWasmPaths(join(dir, 'wasm') + '/');

/** The largest difference relative to each output's largest magnitude, and the cosine, of two backends' outputs. */
function agreement(gpuProbe, wasmProbe) {
  return gpuProbe.map((g, i) => {
    const w = wasmProbe[i];
    let diff = 0;
    let scale = 0;
    let dot = 0;
    let ng = 0;
    let nw = 0;
    for (let j = 0; j < g.length; j++) {
      diff = Math.max(diff, Math.abs(g[j] - w[j]));
      scale = Math.max(scale, Math.abs(w[j]));
      dot += g[j] * w[j];
      ng += g[j] * g[j];
      nw += w[j] * w[j];
    }
    return { output: i, length: g.length, max_abs_diff: diff, max_abs: scale, cosine: dot / Math.sqrt(ng * nw) };
  });
}

for (const spec of MODELS) {
  const gpu = adapter ? await measure(spec, 'webgpu', [1, 8, 32], 30_000) : null;
  const wasm = await measure(spec, 'wasm', [1, 8], 12_000);
  out.models[spec.name] = {
    webgpu: gpu ? { first_pass_ms: gpu.first_pass_ms, rows: gpu.rows } : 'no adapter',
    wasm: { first_pass_ms: wasm.first_pass_ms, rows: wasm.rows, threads: 'none (Node, SIMD)' },
    agreement: gpu ? agreement(gpu.probe, wasm.probe) : null,
  };
}

// Training: the embedding head on the 100,000-image run's shape. Each epoch's time is the training steps plus the
// hold-out ranking; the ranking is also timed alone once.
const data = syntheticTrainTask(trainRows, 2000, 5, { dim: 768, setK: 0 });
async function trainRun(backend, epochs, batchSize) {
  await tf.setBackend(backend);
  await tf.ready();
  if (backend === 'wasm') speedUpWasmMatMul();
  const epochsMs = [];
  const t0 = performance.now();
  const outcome = await trainHead(
    data,
    { ...DEFAULT_TRAIN, epochs, patience: epochs, batchSize },
    { random: seededRandom(3), onEpoch: (e) => void epochsMs.push(Math.round(e.ms)) },
  );
  const totalMs = performance.now() - t0;
  const t1 = performance.now();
  await rank(outcome.retriever, data.valX, 2000, 100);
  const rankMs = performance.now() - t1;
  outcome.retriever.model.dispose();
  outcome.retriever.refs?.dispose();
  const row = {
    backend,
    batch: batchSize,
    train_rows: trainRows,
    epochs_ms: epochsMs,
    hold_out_ranking_ms: Math.round(rankMs),
    total_ms: Math.round(totalMs),
    last_score: +(outcome.history.at(-1)?.validation.score ?? 0).toFixed(4),
  };
  console.log(JSON.stringify(row));
  return row;
}
out.training.webgpu = adapter ? [await trainRun('webgpu', 3, 128), await trainRun('webgpu', 3, 512)] : 'no adapter';
out.training.wasm = [await trainRun('wasm', 1, 128)];
console.log('RESULT ' + JSON.stringify(out));
process.exit(0);

// Inception v3 (the app's feature model, its real weights) on TensorFlow.js's WebGPU backend outside a browser:
// Dawn (the WebGPU engine inside Chromium) through the `webgpu` npm package's dawn.node, on whatever GPU the machine
// has. It measures ms per image at several batch sizes, the first (shader-compiling) pass, and checks that WebGPU
// and WASM agree on the two feature outputs for the same input. Run by bench/gpu/run.sh on a lent GPU machine,
// where no browser is installed; see docs/BENCHMARKS.md ("WebGPU on a real GPU"). Not part of npm test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const dir = process.argv[2]; // folder with model/, wasm/, webgpu/
const images = Number(process.argv[3] ?? 256);
const out = { device: null, webgpu: {}, wasm: {}, agreement: null };

function modelHandler() {
  const json = JSON.parse(readFileSync(join(dir, 'model', 'model.json'), 'utf8'));
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, 'model', p))));
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

function input(n, seed) {
  const a = new Float32Array(n * 299 * 299 * 3);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1; // [-1, 1), the model's input range
  }
  return tf.tensor4d(a, [n, 299, 299, 3]);
}

async function run(model, x) {
  const ys = model.predict(x);
  const data = await Promise.all(ys.map((y) => y.data()));
  ys.forEach((y) => y.dispose());
  return data;
}

async function measure(backend, batches, budgetMs) {
  await tf.setBackend(backend);
  await tf.ready();
  const model = await tf.loadLayersModel(modelHandler());
  const probe = input(2, 7);
  let t = performance.now();
  const first = await run(model, probe);
  const firstMs = performance.now() - t;
  const rows = [];
  for (const b of batches) {
    const x = input(b, b);
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
      backend: tf.getBackend(),
      batch: b,
      images: done,
      ms_per_image: +(ms / done).toFixed(2),
      images_per_s: +((done * 1000) / ms).toFixed(1),
    });
    console.log(backend, JSON.stringify(rows.at(-1)));
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

const gpu = adapter ? await measure('webgpu', [1, 8, 32], 40_000) : null;
out.webgpu = gpu ? { first_pass_ms: gpu.first_pass_ms, rows: gpu.rows } : 'no adapter';

setWasmPaths(join(dir, 'wasm') + '/');
const wasm = await measure('wasm', [1, 8], 20_000);
out.wasm = { first_pass_ms: wasm.first_pass_ms, rows: wasm.rows, threads: 'none (Node, SIMD)' };

// The same two images through both backends: the largest difference relative to each output's largest magnitude.
out.agreement = gpu?.probe.map((g, i) => {
  const w = wasm.probe[i];
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
console.log('RESULT ' + JSON.stringify(out));
process.exit(0);

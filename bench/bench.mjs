#!/usr/bin/env node
// `npm run bench [-- features|embedding|retrieval|rpc|map|ingest|scale]`: every part but scale by default (scale, the
// whole pipeline over 100,000 images, takes the better part of an hour; bench/scale.ts has it and ingest).
// Part 1, features: feature-extraction throughput of the real app in headless Chromium, both feature models (Inception
// v3 and MobileNetV2) in every configuration side by side in one run on this machine: WASM with one thread and with all threads, batch 1 and the chosen batch, and
// WebGPU (whatever adapter this machine has; a software one here) for one image. Each configuration gets a fresh
// page (a fresh worker, since a WASM module's thread count is fixed at start); the model is loaded and warmed up
// before timing, so the figure is steady-state ms per image, decode and preprocessing included.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildIfNeeded, ROOT } from '../scripts/build-if-needed.mjs';
import { serve } from '../scripts/serve.mjs';
import { launch } from '../scripts/browser.mjs';
import { DEFAULT_BATCH } from './config.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const parts = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const runFeatures = parts.length === 0 || parts.includes('features');
const runEmbedding = parts.length === 0 || parts.includes('embedding');
const runRetrieval = parts.length === 0 || parts.includes('retrieval');
const runRpc = parts.length === 0 || parts.includes('rpc');
const runMap = parts.length === 0 || parts.includes('map');
const runIngest = parts.length === 0 || parts.includes('ingest');
// The 100,000-image run takes the better part of an hour: only when asked for.
const runScale = parts.includes('scale');

/** Runs a part of bench/scale.ts (TypeScript, through tsx) with this process's output. */
function tsPart(name) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'scale.ts'), name], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench part ${name} failed`);
}

/** Bundles a TypeScript entry of bench/ with rolldown into `out` (ESM), for Node or the browser. */
function bundle(entry, out, platform, external = []) {
  const args = [
    join(ROOT, 'node_modules', 'rolldown', 'bin', 'cli.mjs'),
    join(ROOT, 'bench', entry),
    '-o',
    out,
    '-f',
    'esm',
    '-p',
    platform,
  ];
  for (const name of external) args.push('--external', name);
  if (spawnSync(process.execPath, args, { stdio: ['ignore', 2, 2] }).status !== 0) throw new Error(`bundling bench/${entry} failed`);
}

/** Part 5, the map: frame times of its two renderers (WebGL2, Canvas 2D) at 10,000 and 100,000 points
 *  (bench/map/page.ts), and which one the app picks here, then the longest main-thread task of the built app while it runs the whole pipeline
 *  on the 506-image demo and the test pans and zooms its map. */
async function mapBench() {
  const dir = join(ROOT, '.cache', 'map-bench');
  mkdirSync(dir, { recursive: true });
  bundle('map/page.ts', join(dir, 'page.js'), 'browser');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><body style="margin:0"><script type="module" src="./page.js"></script>');
  const frames = Number(process.env.BENCH_MAP_FRAMES ?? 120);
  const server = await serve({ root: dir });
  const { context } = await launch();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => '__mapBench' in window);
    const { picked, rows } = await page.evaluate(([f]) => window.__mapBench([10_000, 100_000], f), [frames]);
    const adapter = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const info = gl?.getExtension('WEBGL_debug_renderer_info');
      return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown';
    });
    console.log(`\nMap frames (${frames} frames per gesture, 1000 x 700 canvas; WebGL: ${adapter}; the app picks ${picked} here):`);
    console.log(
      'renderer'.padEnd(30),
      'points'.padStart(8),
      'gesture'.padStart(8),
      'frame median'.padStart(13),
      'p95'.padStart(8),
      'draw (main)'.padStart(12),
    );
    for (const r of rows)
      console.log(
        r.renderer.padEnd(30),
        r.points.toLocaleString('en').padStart(8),
        r.gesture.padStart(8),
        `${r.frame_ms_median.toFixed(1)} ms`.padStart(13),
        `${r.frame_ms_p95.toFixed(1)}`.padStart(8),
        `${r.draw_ms_median.toFixed(2)} ms`.padStart(12),
      );
    console.log(JSON.stringify({ bench: 'map', picked, adapter, rows }));
  } finally {
    await context.close();
    await server.close();
  }
  await pipelineLongTasks();
}

/** The longest main-thread task while the app runs load, features, embedding and training on the 506-image demo,
 *  with the map panned and zoomed whenever it is on screen. */
async function pipelineLongTasks() {
  await buildIfNeeded();
  const server = await serve({ root: join(ROOT, 'dist') });
  const { context } = await launch();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(() => {
      const w = /** @type {any} */ (window);
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          w.__longTasks.push({ duration: e.duration, stage: document.documentElement.dataset.stage ?? '', at: e.startTime });
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${server.origin}/?settings=defaults&backend=wasm&epochs=5&shard=shards/demo-small/`);
    const started = Date.now();
    let gestures = 0;
    for (;;) {
      const stage = await page.evaluate(() => document.documentElement.dataset.stage);
      const s = await page.evaluate(() => window.__simage.snapshot());
      if (s.error) throw new Error(s.error);
      if (s.report) break;
      if (Date.now() - started > 20 * 60_000) throw new Error(`timed out at ${stage}`);
      const map = page.getByTestId('map-canvas');
      if (await map.isVisible()) {
        const box = await map.boundingBox();
        if (box) {
          const x = box.x + box.width / 2,
            y = box.y + box.height / 2;
          await page.mouse.move(x, y);
          await page.mouse.wheel(0, gestures % 2 ? -300 : 300);
          await page.mouse.down();
          await page.mouse.move(x + 60, y + 30, { steps: 6 });
          await page.mouse.up();
          gestures++;
        }
      }
      await page.waitForTimeout(250);
    }
    /** @type {{ duration: number; stage: string; at: number }[]} */
    const tasks = await page.evaluate(() => /** @type {any} */ (window).__longTasks);
    const longest = Math.max(0, ...tasks.map((t) => t.duration));
    console.log(
      `\nMain thread while the pipeline runs (506-image demo, WASM, 5 epochs, ${gestures} pans and zooms of the map): ${tasks.length} tasks over 50 ms, longest ${longest.toFixed(0)} ms (target: under 100 ms)`,
    );
    // Each long task with the page's stage when it ran (documentElement.dataset.stage).
    for (const t of tasks) console.log(`  ${t.duration.toFixed(0)} ms at ${(t.at / 1000).toFixed(1)} s, stage ${t.stage || '(none)'}`);
    console.log(
      JSON.stringify({
        bench: 'main-thread',
        tasks_over_50ms: tasks.length,
        longest_ms: longest,
        gestures,
        seconds: (Date.now() - started) / 1000,
      }),
    );
  } finally {
    await context.close();
    await server.close();
  }
}

/** Part 4: moving a 100,000 x 768 Float32Array to a worker and back, simage's RPC against Comlink, in Chromium. */
async function rpcBench() {
  const dir = join(ROOT, '.cache', 'rpc-bench');
  mkdirSync(dir, { recursive: true });
  for (const name of ['page', 'worker']) bundle(`rpc/${name}.ts`, join(dir, `${name}.js`), 'browser');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./page.js"></script>');
  const rows = Number(process.env.BENCH_RPC_ROWS ?? 100_000);
  const rounds = Number(process.env.BENCH_RPC_ROUNDS ?? 7);
  const server = await serve({ root: dir });
  const { context } = await launch();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => '__rpcBench' in window);
    const result = await page.evaluate(([n, r]) => window.__rpcBench(n, 768, r), [rows, rounds]);
    console.log(
      `\nRPC transfer (${rows.toLocaleString('en')} x 768 float32 = ${((rows * 768 * 4) / 1e6).toFixed(0)} MB, to a worker and back; median of ${rounds} rounds, interleaved):`,
    );
    for (const r of result)
      console.log(
        `${r.name.padEnd(18)} ${r.round_trip_ms.toFixed(1).padStart(8)} ms round trip (min ${r.min_ms.toFixed(1)}, max ${r.max_ms.toFixed(1)})`,
      );
    console.log(JSON.stringify({ rows: result }));
  } finally {
    await context.close();
    await server.close();
  }
}

/** Part 2: the label-embedding kernels in Node (same V8 as the browser's workers), bundled from TypeScript. */
function embeddingBench() {
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  const out = join(ROOT, '.cache', 'bench-embedding.mjs');
  bundle('embedding-bench.ts', out, 'node');
  const run = spawnSync(process.execPath, [out], { stdio: ['ignore', 'pipe', 2], encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = run.stdout.trim().split('\n').pop();
  const { rows } = JSON.parse(line);
  console.log('\nLabel embedding (synthetic labels, ~8 per image, 20,000 labels, 500 topics):');
  console.log('step'.padEnd(6), 'n'.padStart(8), 'seconds'.padStart(9), 'KL'.padStart(7), '10-NN kept'.padStart(11), ' details');
  for (const r of rows) {
    const details =
      r.step === 'svd'
        ? `${r.cols} columns, ${r.nnz} non-zeros, ${r.components} components`
        : r.step === 'tsne'
          ? `${r.iterations} iterations, ${r.repulsion} repulsion, kNN ${r.knn_seconds} s`
          : `${r.epochs} epochs`;
    console.log(
      r.step.padEnd(6),
      String(r.n).padStart(8),
      String(r.seconds).padStart(9),
      String(r.kl ?? '').padStart(7),
      String(r.preservation_10nn ?? '').padStart(11),
      ` ${details}`,
    );
  }
  console.log(line);
}

/** Part 3: the retrieval net (TensorFlow.js WASM in Node, bundled; TensorFlow.js stays external so its WASM
 *  backend finds its binaries in node_modules). */
function retrievalBench() {
  const out = join(ROOT, '.cache', 'bench-retrieval.mjs');
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  bundle('retrieval-bench.ts', out, 'node', ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
  const run = spawnSync(process.execPath, [out], { stdio: ['ignore', 'pipe', 2], encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = run.stdout.trim().split('\n').pop();
  const { rows } = JSON.parse(line);
  console.log('\nRetrieval net (TensorFlow.js WASM, one thread, synthetic 2048-d features, k = 100):');
  for (const r of rows) {
    if (r.part === 'train')
      console.log(
        `train ${r.head.padEnd(9)} ${String(r.train_images).padStart(6)} images: best validation score ${r.score} (feature_knn ${r.feature_knn}) at epoch ${r.best_epoch} of ${r.epochs}, ${r.seconds_to_best} s to best, ${r.seconds_per_epoch} s per epoch`,
      );
    else
      console.log(
        `query ${r.head.padEnd(9)} ${String(r.references).padStart(7)} references: ${r.ms === null ? r.note : `${r.ms} ms median (max ${r.ms_max})`}`,
      );
  }
  console.log(line);
}

const images = Number(process.env.BENCH_IMAGES ?? 40);
const configs = ['inception-v3', 'mobilenet-v2'].flatMap((model) =>
  [
    { name: 'wasm, 1 thread, batch 1', backend: 'wasm', threads: 1, batch: 1, images },
    { name: `wasm, 1 thread, batch ${DEFAULT_BATCH}`, backend: 'wasm', threads: 1, batch: DEFAULT_BATCH, images },
    { name: 'wasm, all threads, batch 1', backend: 'wasm', threads: 0, batch: 1, images },
    { name: `wasm, all threads, batch ${DEFAULT_BATCH}`, backend: 'wasm', threads: 0, batch: DEFAULT_BATCH, images },
    { name: 'webgpu, batch 1, 1 image', backend: 'webgpu', threads: 0, batch: 1, images: 1 },
  ].map((c) => ({ ...c, model, setting: c.name, name: `${model}: ${c.name}` })),
);
const only = process.env.BENCH_ONLY;

async function featuresBench() {
  buildIfNeeded();
  const server = await serve({ root: join(ROOT, 'dist') });
  const dir = join(ROOT, 'public', 'shards', 'demo-small', 'images', 'google');
  const urls = readdirSync(dir)
    .sort()
    .slice(0, images)
    .map((f) => `${server.origin}/shards/demo-small/images/google/${f}`);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const samples = new Map(); // config name -> measurements
  const { context } = await launch();
  async function measure(c) {
    const page = await context.newPage();
    try {
      await page.goto(`${server.origin}/?model=${c.model}&backend=${c.backend}&threads=${c.threads}&batch=${c.batch}`);
      await page.waitForFunction(() => !!window.__simage);
      // First call loads and warms the model; the second is timed.
      await page.evaluate(([u, b]) => window.__simage.embedUrls(u, b), [urls.slice(0, Math.min(2, c.images)), c.backend]);
      const r = await page.evaluate(([u, b]) => window.__simage.embedUrls(u, b), [urls.slice(0, c.images), c.backend]);
      const info = await page.evaluate(() => window.__simage.snapshot().backend);
      return {
        backend: r.backend,
        threads: info?.threads ?? null,
        adapter: info?.reason ?? '',
        ms: r.msPerImage,
        forwardMs: r.forwardMsPerImage,
      };
    } finally {
      await page.close();
    }
  }
  try {
    // Rounds interleave the configurations, so a slow spell of this shared machine hits them all alike;
    // the table shows the median of the rounds and the range.
    for (let round = 1; round <= rounds; round++) {
      for (const c of configs) {
        if (only && !c.name.includes(only)) continue;
        if (c.backend === 'webgpu' && round > 1) continue; // tens of seconds per image on a software adapter
        process.stderr.write(`[bench] round ${round}/${rounds}: ${c.name}…\n`);
        try {
          const m = await measure(c);
          if (!samples.has(c.name)) samples.set(c.name, { config: c, runs: [] });
          samples.get(c.name).runs.push(m);
        } catch (err) {
          samples.set(c.name, { config: c, error: String(err.message ?? err).split('\n')[0] });
        }
      }
    }
  } finally {
    await context.close();
    await server.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const rows = [...samples.values()].map(({ config, runs, error }) => {
    if (error) return { config: config.name, error };
    const ms = runs.map((r) => r.ms);
    return {
      config: config.name,
      model: config.model,
      setting: config.setting,
      backend: runs[0].backend,
      threads: runs[0].threads,
      adapter: runs[0].adapter,
      images: config.images,
      rounds: runs.length,
      ms_per_image: Math.round(median(ms)),
      ms_min: Math.round(Math.min(...ms)),
      ms_max: Math.round(Math.max(...ms)),
      forward_ms_per_image: Math.round(median(runs.map((r) => r.forwardMs))),
    };
  });
  const base = rows[0]?.ms_per_image;
  console.log(
    '\nFeature extraction (Inception v3 at 299x299 and MobileNetV2 at 224x224, both outputs of each), ms per image, lower is better:',
  );
  console.log(`(median of ${rounds} interleaved rounds, ${images} images each; range in brackets)`);
  console.log(
    'config'.padEnd(48),
    'backend'.padEnd(8),
    'threads'.padEnd(8),
    'ms/img'.padStart(7),
    'range'.padStart(12),
    'forward'.padStart(8),
    'vs wasm 1t b1'.padStart(14),
  );
  for (const r of rows) {
    if (r.error) console.log(r.config.padEnd(48), `error: ${r.error}`);
    else
      console.log(
        r.config.padEnd(48),
        r.backend.padEnd(8),
        String(r.threads ?? '-').padEnd(8),
        String(r.ms_per_image).padStart(7),
        `[${r.ms_min}-${r.ms_max}]`.padStart(12),
        String(r.forward_ms_per_image).padStart(8),
        (base ? `${(base / r.ms_per_image).toFixed(2)}x` : '').padStart(14),
        r.backend === 'webgpu' ? ` ${r.adapter}` : '',
      );
  }
  // The fast model against the default one, configuration by configuration, measured side by side in this run.
  const speedups = [];
  for (const r of rows.filter((x) => x.model === 'mobilenet-v2' && !x.error)) {
    const inception = rows.find((x) => x.model === 'inception-v3' && x.setting === r.setting && !x.error);
    if (!inception) continue;
    const ratio = inception.ms_per_image / r.ms_per_image;
    speedups.push({ setting: r.setting, speedup: Number(ratio.toFixed(2)) });
    console.log(
      `MobileNetV2 vs Inception v3, ${r.setting}: ${ratio.toFixed(2)}x faster (${r.ms_per_image} against ${inception.ms_per_image} ms)`,
    );
  }
  console.log(JSON.stringify({ bench: 'features', rows, speedups }));
}

if (runFeatures) await featuresBench();
if (runEmbedding) embeddingBench();
if (runRetrieval) retrievalBench();
if (runRpc) await rpcBench();
if (runMap) await mapBench();
if (runIngest) tsPart('ingest');
if (runScale) tsPart('scale');

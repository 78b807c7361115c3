#!/usr/bin/env node
// `npm run bench`: feature-extraction throughput of the real app in headless Chromium, every configuration side by
// side in one run on this machine: WASM with one thread and with all threads, batch 1 and the chosen batch, and
// WebGPU (whatever adapter this machine has; a software one here) for one image. Each configuration gets a fresh
// page (a fresh worker, since a WASM module's thread count is fixed at start); the model is loaded and warmed up
// before timing, so the figure is steady-state ms per image, decode and preprocessing included.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildIfNeeded, ROOT } from '../scripts/build-if-needed.mjs';
import { serve } from '../scripts/serve.mjs';
import { launch } from '../scripts/browser.mjs';
import { DEFAULT_BATCH } from './config.mjs';

const images = Number(process.env.BENCH_IMAGES ?? 40);
const configs = [
  { name: 'wasm, 1 thread, batch 1', backend: 'wasm', threads: 1, batch: 1, images },
  { name: `wasm, 1 thread, batch ${DEFAULT_BATCH}`, backend: 'wasm', threads: 1, batch: DEFAULT_BATCH, images },
  { name: 'wasm, all threads, batch 1', backend: 'wasm', threads: 0, batch: 1, images },
  { name: `wasm, all threads, batch ${DEFAULT_BATCH}`, backend: 'wasm', threads: 0, batch: DEFAULT_BATCH, images },
  { name: 'webgpu, batch 1, 1 image', backend: 'webgpu', threads: 0, batch: 1, images: 1 },
];
const only = process.env.BENCH_ONLY;

buildIfNeeded();
const server = await serve({ root: join(ROOT, 'dist') });
const dir = join(ROOT, 'public', 'shards', 'demo-small', 'images', 'google');
const urls = readdirSync(dir).sort().slice(0, images).map((f) => `${server.origin}/shards/demo-small/images/google/${f}`);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const samples = new Map(); // config name -> measurements
const { context } = await launch();
async function measure(c) {
  const page = await context.newPage();
  try {
    await page.goto(`${server.origin}/?backend=${c.backend}&threads=${c.threads}&batch=${c.batch}`);
    await page.waitForFunction(() => !!window.__simage);
    // First call loads and warms the model; the second is timed.
    await page.evaluate(([u, b]) => window.__simage.embedUrls(u, b), [urls.slice(0, Math.min(2, c.images)), c.backend]);
    const r = await page.evaluate(([u, b]) => window.__simage.embedUrls(u, b), [urls.slice(0, c.images), c.backend]);
    const info = await page.evaluate(() => window.__simage.snapshot().backend);
    return { backend: r.backend, threads: info?.threads ?? null, adapter: info?.reason ?? '', ms: r.msPerImage, forwardMs: r.forwardMsPerImage };
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
    config: config.name, backend: runs[0].backend, threads: runs[0].threads, adapter: runs[0].adapter, images: config.images, rounds: runs.length,
    ms_per_image: Math.round(median(ms)), ms_min: Math.round(Math.min(...ms)), ms_max: Math.round(Math.max(...ms)),
    forward_ms_per_image: Math.round(median(runs.map((r) => r.forwardMs))),
  };
});
const base = rows[0]?.ms_per_image;
console.log('\nFeature extraction (Inception v3, 299x299, both outputs), ms per image, lower is better:');
console.log(`(median of ${rounds} interleaved rounds, ${images} images each; range in brackets)`);
console.log('config'.padEnd(34), 'backend'.padEnd(8), 'threads'.padEnd(8), 'ms/img'.padStart(7), 'range'.padStart(12), 'forward'.padStart(8), 'vs wasm 1t b1'.padStart(14));
for (const r of rows) {
  if (r.error) console.log(r.config.padEnd(34), `error: ${r.error}`);
  else console.log(r.config.padEnd(34), r.backend.padEnd(8), String(r.threads ?? '-').padEnd(8), String(r.ms_per_image).padStart(7), `[${r.ms_min}-${r.ms_max}]`.padStart(12), String(r.forward_ms_per_image).padStart(8), (base ? `${(base / r.ms_per_image).toFixed(2)}x` : '').padStart(14), r.backend === 'webgpu' ? ` ${r.adapter}` : '');
}
console.log(JSON.stringify({ bench: 'features', rows }));

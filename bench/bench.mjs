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
const rows = [];
const { context } = await launch();
try {
  for (const c of configs) {
    if (only && !c.name.includes(only)) continue;
    const page = await context.newPage();
    await page.goto(`${server.origin}/?backend=${c.backend}&threads=${c.threads}&batch=${c.batch}`);
    await page.waitForFunction(() => !!window.__simage);
    process.stderr.write(`[bench] ${c.name}…\n`);
    const t0 = Date.now();
    try {
      // First call loads and warms the model; the second is timed.
      await page.evaluate(([u, b]) => window.__simage.embedUrls(u, b), [urls.slice(0, Math.min(2, c.images)), c.backend]);
      const r = await page.evaluate(([u, b]) => window.__simage.embedUrls(u, b), [urls.slice(0, c.images), c.backend]);
      const info = await page.evaluate(() => window.__simage.snapshot().backend);
      rows.push({ config: c.name, backend: r.backend, threads: info?.threads ?? null, adapter: info?.reason ?? '', images: c.images, ms_per_image: Math.round(r.msPerImage), forward_ms_per_image: Math.round(r.forwardMsPerImage), total_s: (Date.now() - t0) / 1000 });
    } catch (err) {
      rows.push({ config: c.name, error: String(err.message ?? err).split('\n')[0] });
    }
    await page.close();
  }
} finally {
  await context.close();
  await server.close();
}
const base = rows[0]?.ms_per_image;
console.log('\nFeature extraction (Inception v3, 299x299, both outputs), ms per image, lower is better:');
console.log('config'.padEnd(34), 'backend'.padEnd(8), 'threads'.padEnd(8), 'ms/img'.padStart(7), 'forward'.padStart(8), 'vs wasm 1t b1'.padStart(14));
for (const r of rows) {
  if (r.error) console.log(r.config.padEnd(34), `error: ${r.error}`);
  else console.log(r.config.padEnd(34), r.backend.padEnd(8), String(r.threads ?? '-').padEnd(8), String(r.ms_per_image).padStart(7), String(r.forward_ms_per_image).padStart(8), (base ? `${(base / r.ms_per_image).toFixed(2)}x` : '').padStart(14), r.backend === 'webgpu' ? ` ${r.adapter}` : '');
}
console.log(JSON.stringify({ bench: 'features', rows }));

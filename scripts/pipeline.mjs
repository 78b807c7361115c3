#!/usr/bin/env node
// `npm run pipeline -- <shard path or URL> [--backend auto|webgpu|wasm|webgl|cpu] [--profile DIR] [--out FILE]
//                      [--batch N] [--threads N] [--timeout-s S]`
// Builds the app if needed, serves it, drives it in headless Chromium like a person with a URL would
// (`?shard=`), prints progress to stderr and the app's own JSON report to stdout. Exit 0 on success; otherwise
// non-zero with one line saying why.
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildIfNeeded, ROOT } from './build-if-needed.mjs';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';

const USAGE = 'usage: npm run pipeline -- <shard path or URL> [--backend auto|webgpu|wasm|webgl|cpu] [--profile DIR] [--out report.json] [--batch N] [--threads N] [--layout tsne|umap|svd] [--k N] [--perplexity N] [--iterations N] [--head sets|embedding] [--layer flatten|mixed7] [--target svd|layout] [--epochs N] [--port N] [--timeout-s S]';
// IndexedDB belongs to an origin (scheme, host and port): a fixed port keeps a --profile's cache reachable.
export const DEFAULT_PORT = 47170;

export function parseArgs(argv) {
  const opts = { shard: null, backend: 'auto', profile: null, out: null, batch: null, threads: null, layout: null, k: null, perplexity: null, iterations: null, head: null, layer: null, target: null, epochs: null, port: DEFAULT_PORT, timeoutS: 3600 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--backend') opts.backend = value();
    else if (a === '--profile') opts.profile = value();
    else if (a === '--out') opts.out = value();
    else if (a === '--batch') opts.batch = Number(value());
    else if (a === '--threads') opts.threads = Number(value());
    else if (a === '--timeout-s') opts.timeoutS = Number(value());
    else if (a === '--port') opts.port = Number(value());
    else if (a === '--layout') opts.layout = value();
    else if (a === '--k') opts.k = Number(value());
    else if (a === '--perplexity') opts.perplexity = Number(value());
    else if (a === '--iterations') opts.iterations = Number(value());
    else if (a === '--head') opts.head = value();
    else if (a === '--layer') opts.layer = value();
    else if (a === '--target') opts.target = value();
    else if (a === '--epochs') opts.epochs = Number(value());
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (opts.shard === null) opts.shard = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!opts.shard) throw new Error(USAGE);
  if (!['auto', 'webgpu', 'wasm', 'webgl', 'cpu'].includes(opts.backend)) throw new Error(`unknown backend ${opts.backend}`);
  if (opts.layout !== null && !['tsne', 'umap', 'svd'].includes(opts.layout)) throw new Error(`unknown layout ${opts.layout} (tsne, umap or svd)`);
  if (opts.head !== null && !['sets', 'embedding'].includes(opts.head)) throw new Error(`unknown head ${opts.head} (sets or embedding)`);
  if (opts.layer !== null && !['flatten', 'mixed7'].includes(opts.layer)) throw new Error(`unknown layer ${opts.layer} (flatten or mixed7)`);
  if (opts.target !== null && !['svd', 'layout'].includes(opts.target)) throw new Error(`unknown target ${opts.target} (svd or layout)`);
  for (const name of ['k', 'perplexity', 'iterations', 'batch', 'threads', 'epochs']) {
    if (opts[name] !== null && !(Number.isInteger(opts[name]) && opts[name] >= 0)) throw new Error(`--${name} needs a whole number`);
  }
  return opts;
}

const fmt = (s) => (s === null || s === undefined ? '–' : s < 60 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${Math.round(s % 60)}s`);

export async function runPipeline(opts, { onProgress = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const isUrl = /^https?:\/\//.test(opts.shard);
  if (!isUrl && !existsSync(opts.shard)) throw new Error(`shard not found: ${opts.shard}`);
  buildIfNeeded();
  const server = await serve({ root: join(ROOT, 'dist'), shard: isUrl ? null : opts.shard, port: opts.port }).catch((err) => {
    throw new Error(err.code === 'EADDRINUSE' ? `port ${opts.port} is in use; pass --port N (the cache of a --profile is tied to its port)` : err.message);
  });
  const { context } = await launch({ profile: opts.profile });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => onProgress(`[page error] ${err.message}`));
    const params = new URLSearchParams({ shard: isUrl ? opts.shard : server.shardUrl, backend: opts.backend, settings: 'defaults' });
    if (opts.batch) params.set('batch', String(opts.batch));
    for (const name of ['threads', 'layout', 'k', 'perplexity', 'iterations', 'head', 'layer', 'target', 'epochs']) if (opts[name] !== null && opts[name] !== undefined) params.set(name, String(opts[name]));
    await page.goto(`${server.origin}/?${params}`);
    const deadline = Date.now() + opts.timeoutS * 1000;
    let lastLine = '';
    for (;;) {
      if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutS}s`);
      const snap = await page.evaluate(() => window.__simage?.snapshot());
      if (snap) {
        if (snap.error) throw new Error(snap.error);
        if (snap.report) return snap.report;
        const parts = [];
        for (const [name, st] of Object.entries(snap.stages)) {
          if (st.status === 'idle') continue;
          const p = st.progress;
          parts.push(p ? `${name} ${p.done}${p.total !== null ? `/${p.total}` : ''} ${p.perSec.toFixed(2)}/s ETA ${fmt(p.etaS)}` : `${name} ${st.status}`);
          if (st.status === 'cancelled') throw new Error(`${name} was cancelled`);
        }
        if (snap.backend) parts.push(`backend ${snap.backend.backend}`);
        const line = parts.join(' · ');
        if (line && line !== lastLine) onProgress(line);
        lastLine = line;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await context.close();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  try {
    const report = await runPipeline(opts);
    const json = JSON.stringify(report, null, 2);
    if (opts.out) writeFileSync(opts.out, json + '\n');
    process.stdout.write(json + '\n');
    process.exit(0);
  } catch (err) {
    process.stderr.write(`pipeline failed: ${String(err.message ?? err).split('\n')[0]}\n`);
    process.exit(1);
  }
}

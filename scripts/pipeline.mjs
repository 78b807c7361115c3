#!/usr/bin/env node
// `npm run pipeline -- <shard path or URL> [--backend auto|webgpu|wasm|webgl|cpu] [--profile DIR] [--out FILE]
//                      [--batch N] [--threads N] [--timeout-s S] [--inject FAULT ...]`
// Builds the app if needed, serves it, drives it in headless Chromium like a person with a URL would
// (`?shard=`), prints progress to stderr and the app's own JSON report to stdout. Exit 0 on success; otherwise
// non-zero with one line saying why.
// --inject (repeatable or comma-separated) causes faults on purpose and the report's `faults` says, for each,
// whether it was met and how the run survived it: quota (feature writes refused as if the disk were full; the
// driver then reloads without the fault, as a person would after freeing space), device-lost and oom (the WebGPU
// device is destroyed or reports out of memory; needs --backend webgpu), reload-during=features|embedding|train
// (the driver reloads the page while that stage runs).
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildIfNeeded, ROOT } from './build-if-needed.mjs';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';

const USAGE =
  'usage: npm run pipeline -- <shard path or URL> [--backend auto|webgpu|wasm|webgl|cpu] [--profile DIR] [--out report.json] [--batch N] [--threads N] [--layout tsne|umap|svd] [--k N] [--perplexity N] [--iterations N] [--head sets|embedding] [--layer flatten|mixed7] [--target svd|layout] [--epochs N] [--port N] [--timeout-s S] [--inject quota|device-lost|oom|reload-during=features|embedding|train]';
export const WORKER_FAULTS = ['quota', 'device-lost', 'oom'];
export const RELOAD_STAGES = ['features', 'embedding', 'train'];
// IndexedDB belongs to an origin (scheme, host and port): a fixed port keeps a --profile's cache reachable.
export const DEFAULT_PORT = 47170;

export function parseArgs(argv) {
  const opts = {
    shard: null,
    backend: 'auto',
    profile: null,
    out: null,
    batch: null,
    threads: null,
    layout: null,
    k: null,
    perplexity: null,
    iterations: null,
    head: null,
    layer: null,
    target: null,
    epochs: null,
    port: DEFAULT_PORT,
    timeoutS: 3600,
    inject: [],
  };
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
    else if (a === '--inject')
      opts.inject.push(
        ...value()
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
      );
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (opts.shard === null) opts.shard = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!opts.shard) throw new Error(USAGE);
  if (!['auto', 'webgpu', 'wasm', 'webgl', 'cpu'].includes(opts.backend)) throw new Error(`unknown backend ${opts.backend}`);
  if (opts.layout !== null && !['tsne', 'umap', 'svd'].includes(opts.layout))
    throw new Error(`unknown layout ${opts.layout} (tsne, umap or svd)`);
  if (opts.head !== null && !['sets', 'embedding'].includes(opts.head)) throw new Error(`unknown head ${opts.head} (sets or embedding)`);
  if (opts.layer !== null && !['flatten', 'mixed7'].includes(opts.layer))
    throw new Error(`unknown layer ${opts.layer} (flatten or mixed7)`);
  if (opts.target !== null && !['svd', 'layout'].includes(opts.target)) throw new Error(`unknown target ${opts.target} (svd or layout)`);
  for (const f of opts.inject) {
    const reload = /^reload-during=(.*)$/.exec(f);
    if (reload ? !RELOAD_STAGES.includes(reload[1]) : !WORKER_FAULTS.includes(f))
      throw new Error(`unknown fault ${f} (${[...WORKER_FAULTS, ...RELOAD_STAGES.map((st) => `reload-during=${st}`)].join(', ')})`);
  }
  for (const name of ['k', 'perplexity', 'iterations', 'batch', 'threads', 'epochs']) {
    if (opts[name] !== null && !(Number.isInteger(opts[name]) && opts[name] >= 0)) throw new Error(`--${name} needs a whole number`);
  }
  return opts;
}

const fmt = (s) => (s === null || s === undefined ? '–' : s < 60 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${Math.round(s % 60)}s`);

export async function runPipeline(opts, { onProgress = (line) => process.stderr.write(`${line}\n`), inspect = null } = {}) {
  const isUrl = /^https?:\/\//.test(opts.shard);
  if (!isUrl && !existsSync(opts.shard)) throw new Error(`shard not found: ${opts.shard}`);
  buildIfNeeded();
  const server = await serve({ root: join(ROOT, 'dist'), shard: isUrl ? null : opts.shard, port: opts.port }).catch((err) => {
    throw new Error(
      err.code === 'EADDRINUSE' ? `port ${opts.port} is in use; pass --port N (the cache of a --profile is tied to its port)` : err.message,
    );
  });
  const { context } = await launch({ profile: opts.profile });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => onProgress(`[page error] ${err.message}`));
    const params = new URLSearchParams({ shard: isUrl ? opts.shard : server.shardUrl, backend: opts.backend, settings: 'defaults' });
    if (opts.batch) params.set('batch', String(opts.batch));
    for (const name of ['threads', 'layout', 'k', 'perplexity', 'iterations', 'head', 'layer', 'target', 'epochs'])
      if (opts[name] !== null && opts[name] !== undefined) params.set(name, String(opts[name]));
    const clean = `${server.origin}/?${params}`;
    const workerFaults = opts.inject.filter((f) => WORKER_FAULTS.includes(f));
    if (workerFaults.length) params.set('inject', workerFaults.join(','));
    const url = `${server.origin}/?${params}`;
    const faults = [];
    await page.goto(url);
    const deadline = Date.now() + opts.timeoutS * 1000;
    // Interruptions first, in pipeline order: each waits for its stage to run, then closes the app's page the way
    // closing the tab does (the page navigates away to a static file of the same origin, which ends the document
    // and its workers), counts what IndexedDB holds at that moment, and opens the app again. What the run after it
    // found (features already stored, embedding and net reused or not) is read before the next one or from the report.
    const runInfo = () => page.evaluate(() => window.__simage.snapshot().runInfo);
    let previous = null;
    for (const stage of RELOAD_STAGES.filter((st) => opts.inject.includes(`reload-during=${st}`))) {
      const seen = await waitForStage(page, stage, deadline);
      const entry = { fault: `reload-during=${stage}`, met: seen.running, survived: false };
      if (seen.running) {
        if (previous) previous.after = await runInfo();
        entry.progress_before = seen.progress;
        entry.stored_before = await closeApp(page, server.origin);
        onProgress(
          `[inject] closed the page during ${stage} (${seen.progress ? `${seen.progress.done}/${seen.progress.total}` : 'started'}; stored: ${entry.stored_before.features} features, ${entry.stored_before.embeddings} embeddings, ${entry.stored_before.models} models); opening it again`,
        );
        await page.goto(url);
        previous = entry;
      } else entry.how = `not met: ${stage} had already finished when the driver looked`;
      faults.push(entry);
    }
    let report;
    try {
      report = await follow(page, deadline, onProgress);
    } catch (err) {
      if (!workerFaults.includes('quota') || !/storage quota/.test(err.message)) throw err;
      const counts = await page.evaluate(() => window.__simage.cacheCounts());
      onProgress(`[inject] quota met: "${err.message.split('.')[0]}"; ${counts.features} features stored; reloading without the fault`);
      if (previous) previous.after = await runInfo();
      previous = { fault: 'quota', met: true, survived: false, message: err.message, stored_before: counts };
      faults.push(previous);
      // The person frees space and opens the page again: the run resumes from what was stored.
      await page.goto(clean);
      report = await follow(page, deadline, onProgress);
    }
    if (previous) previous.after = await runInfo();
    for (const entry of faults) {
      if (!entry.met) continue;
      const stored = entry.stored_before;
      const plan = entry.after.featurePlan;
      // Survived: the next run found every feature stored before the fault and computed only the rest, and reused
      // the embedding and the net exactly when they had been stored whole before it.
      const featuresKept = !!plan && plan.cached >= stored.features && plan.cached + plan.toCompute <= plan.images;
      const found = plan
        ? `the next run found ${plan.cached} of ${plan.images} images' features stored (${stored.features} before the fault) and computed ${plan.toCompute}`
        : 'the next run did not reach the features';
      if (entry.fault === 'quota') {
        entry.survived = featuresKept;
        entry.how = `the run stopped with the message; what was stored stayed readable; after a reload without the fault ${found}`;
        continue;
      }
      const stage = entry.fault.slice('reload-during='.length);
      const embeddingRight = stage === 'features' || entry.after.embeddingCached === stored.embeddings > 0;
      const netRight = stage !== 'train' || entry.after.netReused === stored.models > 0;
      entry.survived = featuresKept && embeddingRight && netRight;
      const said = (what, reused, wasStored) =>
        `the ${what} ${wasStored ? 'had been stored whole before the page closed' : 'had not been stored'} and was ${reused ? 'reused' : 'computed again'}`;
      const later =
        stage === 'features'
          ? ''
          : `; ${said('embedding', entry.after.embeddingCached, stored.embeddings > 0)}${stage === 'train' ? `; ${said('net', entry.after.netReused, stored.models > 0).replace('computed again', 'trained again')}` : ''}`;
      entry.how = `closed and reopened; ${found}${later}`;
    }
    for (const fault of workerFaults.filter((f) => f !== 'quota')) {
      const met = report.faults_met.filter((m) => m.startsWith(`${fault} (`));
      const fallbacks = report.backend_fallbacks.map(
        (f) => `${f.stage}: ${f.from} -> ${f.to} after ${f.after} ${f.stage === 'features' ? 'images' : 'epochs'} (${f.reason})`,
      );
      faults.push({
        fault,
        met: met.length > 0,
        survived: met.length > 0,
        how: met.length
          ? `met in ${met.map((m) => m.slice(fault.length + 2, -1)).join(' and ')}; ${fallbacks.join('; ')}; the run finished on ${report.backend}`
          : `not met: the run never used WebGPU (backend ${report.backend}); pass --backend webgpu`,
      });
    }
    if (faults.length) {
      report.faults = faults;
      // After the faults: every stored feature record reads back whole (none half-written).
      report.cache_check = await page.evaluate(() => window.__simage.verifyCache());
    }
    // Tests look at the finished page before it closes.
    if (inspect) await inspect(page);
    return report;
  } finally {
    await context.close();
    await server.close();
  }
}

/** Waits until `stage` runs (features: with at least one batch stored); says whether it was seen running. */
async function waitForStage(page, stage, deadline) {
  const handle = await page.waitForFunction(
    (st) => {
      const s = window.__simage?.snapshot();
      if (!s) return null;
      if (s.error || s.report) return { running: false };
      const stage = s.stages[st];
      if (stage.status === 'running' && (st !== 'features' || (stage.progress?.done ?? 0) > 0))
        return { running: true, progress: stage.progress };
      return null;
    },
    stage,
    { polling: 'raf', timeout: Math.max(1, deadline - Date.now()) },
  );
  return handle.jsonValue();
}

/** Leaves the app for a static file of its origin (the document and its workers end, as when the tab closes) and
 *  counts, from there, the records of every store of the app's database at that moment (as cacheCounts does). */
async function closeApp(page, origin) {
  await page.goto(`${origin}/models/inception-v3/model.json`);
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('simage');
        // No database yet: nothing stored. Abort rather than create an empty one the app would then have to upgrade.
        let absent = false;
        open.onupgradeneeded = () => {
          absent = true;
          open.transaction.abort();
        };
        open.onerror = () => (absent ? resolve({ features: 0, embeddings: 0, models: 0 }) : reject(open.error));
        open.onsuccess = () => {
          const db = open.result;
          const names = [...db.objectStoreNames];
          const tx = db.transaction(names);
          const counts = {};
          for (const n of names) tx.objectStore(n).count().onsuccess = (e) => (counts[n] = e.target.result);
          tx.oncomplete = () => {
            db.close();
            resolve(counts);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

/** Follows the run to its report, printing progress lines; throws the app's own sentence on failure. */
async function follow(page, deadline, onProgress) {
  let lastLine = '';
  for (;;) {
    if (Date.now() > deadline) throw new Error('timed out');
    const snap = await page.evaluate(() => window.__simage?.snapshot()).catch(() => null);
    if (snap) {
      if (snap.error) throw new Error(snap.error);
      if (snap.report) return snap.report;
      const parts = [];
      for (const [name, st] of Object.entries(snap.stages)) {
        if (st.status === 'idle') continue;
        const p = st.progress;
        parts.push(
          p
            ? `${name} ${p.done}${p.total !== null ? `/${p.total}` : ''} ${p.perSec.toFixed(2)}/s ETA ${fmt(p.etaS)}`
            : `${name} ${st.status}`,
        );
        if (st.status === 'cancelled') throw new Error(`${name} was cancelled`);
      }
      if (snap.backend) parts.push(`backend ${snap.backend.backend}`);
      const line = parts.join(' · ');
      if (line && line !== lastLine) onProgress(line);
      lastLine = line;
    }
    await new Promise((r) => setTimeout(r, 500));
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

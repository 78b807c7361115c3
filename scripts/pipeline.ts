#!/usr/bin/env node
// `npm run pipeline -- <shard path or URL> [options]` (run with tsx): builds the app if needed, serves it, drives it
// in headless Chromium like a person with a URL would (`?shard=`), prints progress to stderr and the app's own JSON
// report (src/session/report.ts) to stdout. Exit 0 on success; 3 when Chromium, the page or a worker died (the next
// run resumes from the cache; `--retries N` reopens the browser by itself, and the report's `restarts` lists each);
// otherwise non-zero with one line saying why.
// Option values (backends, layouts, heads, layers, targets, faults) are the ones src/lib defines; the settings reach
// the page as its query string, where src/lib/settings.ts validates them as it does the page's own.
// --inject (repeatable or comma-separated) causes faults on purpose and the report's `faults` says, for each,
// whether it was met and how the run survived it: quota (feature writes refused as if the disk were full; the
// driver then reloads without the fault, as a person would after freeing space), device-lost and oom (the WebGPU
// device is destroyed or reports out of memory; needs --backend webgpu), reload-during=features|embedding|train
// (the driver reloads the page while that stage runs).
import { MAX_PLANT_RATE } from '../src/lib/ingest/plant';
import { writeFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { duplicatesCsv } from '../src/lib/duplicates/groups';
import { parseArgs as parseNodeArgs } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { buildIfNeeded, ROOT } from './build-if-needed.mjs';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';
import { BrowserDiedError, diedLine, EXIT_DIED, raced, watchBrowser, type DiedWhat, type Watch } from './watch';
import { FORMATS } from '../src/lib/ingest/formats/types';
import { SETTING_CHOICES, SETTING_LIMITS } from '../src/lib/settings';
import { parseFaults, RELOAD_STAGES, WORKER_FAULTS, workBefore, type WorkerFault } from '../src/lib/faults';
import type { Snapshot } from '../src/hook';
import type { Progress } from '../src/lib/progress';
import type { PipelineReport } from '../src/session/report';
import type { RunInfo } from '../src/session/state';

// The app's settings are declared once (src/lib/settings.ts): their names, choices and ranges are the CLI's.
const CHOICES = { ...SETTING_CHOICES, format: FORMATS } as const;
/** The settings given as whole numbers, by their option names, with their ranges. */
const SETTING_NUMBERS = {
  batch: SETTING_LIMITS.batchSize,
  threads: SETTING_LIMITS.threads,
  k: SETTING_LIMITS.k,
  perplexity: SETTING_LIMITS.perplexity,
  iterations: SETTING_LIMITS.iterations,
  epochs: SETTING_LIMITS.epochs,
} as const satisfies Record<string, readonly [number, number]>;
const NUMBERS = [...(Object.keys(SETTING_NUMBERS) as (keyof typeof SETTING_NUMBERS)[]), 'port', 'timeout-s', 'retries'] as const;
const USAGE = `usage: npm run pipeline -- <collection path or URL> [--format ${FORMATS.join('|')}] [--model ${CHOICES.model.join('|')}] [--backend ${CHOICES.backend.join('|')}] [--profile DIR] [--out report.json] [--batch N] [--threads N] [--layout ${CHOICES.layout.join('|')}] [--k N] [--perplexity N] [--iterations N] [--head ${CHOICES.head.join('|')}] [--layer ${CHOICES.layer.join('|')}] [--target ${CHOICES.target.join('|')}] [--epochs N] [--port N] [--timeout-s S] [--retries N] [--predicted-labels FILE] [--suggestions FILE] [--import-project FILE]... [--export-project FILE] [--features-only] [--export-labels FILE] [--export-model FILE] [--with-extractor] [--query IMAGE]... [--held-out] [--duplicates FILE] [--plant-errors RATE] [--inject ${[...WORKER_FAULTS, ...RELOAD_STAGES.map((s) => `reload-during=${s}`)].join('|')}]`;
// IndexedDB belongs to an origin (scheme, host and port): a fixed port keeps a --profile's cache reachable.
export const DEFAULT_PORT = 47170;

export interface PipelineOptions {
  shard: string;
  /** The collection format (null: detected from the files). */
  format: string | null;
  /** The feature model (null: the app's default, Inception v3). */
  model: string | null;
  backend: string;
  profile: string | null;
  out: string | null;
  batch: number | null;
  threads: number | null;
  layout: string | null;
  k: number | null;
  perplexity: number | null;
  iterations: number | null;
  head: string | null;
  layer: string | null;
  target: string | null;
  epochs: number | null;
  port: number;
  timeoutS: number;
  /** How many times a run whose browser, page or worker died is opened again on the same profile (default 0). */
  retries: number;
  /** Faults as given (`quota`, `reload-during=features`, ...), validated by src/lib/faults.ts. */
  inject: string[];
  /** Where to write every image's predicted labels (predicted-labels.csv, the shard's format). */
  predictedLabels: string | null;
  /** Where to write the label review's suggestions (CSV). */
  suggestions: string | null;
  /** Project files imported before the run (their features, thumbnails, embeddings and models are then reused). */
  importProject: string[];
  /** Where to write the project file after the run. */
  exportProject: string | null;
  /** Plant this share of label errors at load time and measure the review on them (evaluation.review). */
  plantErrors: number | null;
  /** Stop after the features (with --export-project: one part of a collection computed on its own machine). */
  featuresOnly: boolean;
  /** Where to write the collection's labels (after the accepted review decisions) in its own format; a folder when
   *  the format has several files (COCO: one per split). */
  exportLabels: string | null;
  /** Writes the model file after training (--export-model), with the base network's weights (--with-extractor). */
  exportModel: string | null;
  withExtractor: boolean;
  /** --query also returns labelled validation and test images (the page's "validation images" tick). */
  heldOut: boolean;
  /** Images queried after the run, each as a dropped image would be (the report's `queries`). */
  query: string[];
  /** Where to write the duplicate groups as CSV (group, kind, leak, image_id). */
  duplicates: string | null;
}

/** The command line into options; a mistake throws one line that says what is wrong. */
export function parseArgs(argv: string[]): PipelineOptions {
  const string = { type: 'string' } as const;
  let parsed;
  try {
    parsed = parseNodeArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(
          [
            ...Object.keys(CHOICES),
            'profile',
            'out',
            'predicted-labels',
            'suggestions',
            'export-project',
            'export-labels',
            'export-model',
            'duplicates',
            'plant-errors',
            ...NUMBERS,
          ].map((name) => [name, string]),
        ),
        inject: { type: 'string', multiple: true },
        'import-project': { type: 'string', multiple: true },
        query: { type: 'string', multiple: true },
        'with-extractor': { type: 'boolean' },
        'held-out': { type: 'boolean' },
        'features-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'(-[^' ]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new Error(`unknown option ${option}`, { cause: err });
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new Error(`${option} needs a value`, { cause: err });
    throw new Error(e.message, { cause: err });
  }
  const { values, positionals } = parsed as { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  if (values.help || positionals.length === 0) throw new Error(USAGE);
  if (positionals.length > 1) throw new Error(`unexpected argument ${positionals[1]}`);
  for (const [name, allowed] of Object.entries(CHOICES)) {
    const v = values[name] as string | undefined;
    if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw new Error(`unknown ${name} ${v} (${allowed.join(', ')})`);
  }
  const number = (name: (typeof NUMBERS)[number]): number | null => {
    const v = values[name] as string | undefined;
    if (v === undefined) return null;
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`--${name} needs a whole number`);
    const range = (SETTING_NUMBERS as Record<string, readonly [number, number]>)[name];
    if (range && (n < range[0] || n > range[1])) throw new Error(`--${name} needs a whole number from ${range[0]} to ${range[1]}`);
    return n;
  };
  const inject = ((values.inject as string[] | undefined) ?? []).flatMap((v) =>
    v
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  );
  try {
    parseFaults(inject.join(','));
  } catch (err) {
    throw new Error((err as Error).message, { cause: err });
  }
  const str = (name: string) => (values[name] as string | undefined) ?? null;
  const plant = str('plant-errors');
  if (plant !== null && !(Number(plant) > 0 && Number(plant) <= MAX_PLANT_RATE))
    throw new Error(`--plant-errors needs a share above 0 and at most ${MAX_PLANT_RATE} (0.05 plants 5% removed and 5% wrong labels)`);
  return {
    plantErrors: plant === null ? null : Number(plant),
    shard: positionals[0],
    format: str('format'),
    model: str('model'),
    backend: str('backend') ?? 'auto',
    profile: str('profile'),
    out: str('out'),
    batch: number('batch'),
    threads: number('threads'),
    layout: str('layout'),
    k: number('k'),
    perplexity: number('perplexity'),
    iterations: number('iterations'),
    head: str('head'),
    layer: str('layer'),
    target: str('target'),
    epochs: number('epochs'),
    port: number('port') ?? DEFAULT_PORT,
    timeoutS: number('timeout-s') ?? 3600,
    retries: number('retries') ?? 0,
    inject,
    predictedLabels: str('predicted-labels'),
    suggestions: str('suggestions'),
    importProject: (values['import-project'] as string[] | undefined) ?? [],
    exportProject: str('export-project'),
    featuresOnly: values['features-only'] === true,
    exportLabels: str('export-labels'),
    exportModel: str('export-model'),
    withExtractor: values['with-extractor'] === true,
    heldOut: values['held-out'] === true,
    query: (values.query as string[] | undefined) ?? [],
    duplicates: str('duplicates'),
  };
}

/** One fault of the report's `faults`: whether the run met it and how it went on. */
export interface FaultEntry {
  fault: string;
  met: boolean;
  survived: boolean;
  how?: string;
  message?: string;
  progress_before?: Progress | null;
  stored_before?: Record<string, number>;
  after?: RunInfo;
}

/** One restart of the report's `restarts`: what died, during which stage, and what the profile held at that moment
 *  (counted when the browser opened again, before the app ran). */
export interface RestartEntry {
  died: DiedWhat;
  stage: string | null;
  message: string;
  stored: Record<string, number>;
}

/** One query of the report's `queries` (--query): the image's nearest images of the collection and its predicted
 *  labels (none for a collection searched by look). */
export interface QueryEntry {
  file: string;
  neighbours: { id: string; score: number }[];
  labels: { label: string; score: number }[];
  /** The page's time to answer (features of the image, then the search), ms. */
  ms?: number;
  error?: string;
}

export type DrivenReport = PipelineReport & {
  queries?: QueryEntry[];
  faults?: FaultEntry[];
  cache_check?: { features: number; malformed: number };
  restarts: RestartEntry[];
  /** Which Chromium drove the page (CHROMIUM_PATH, the system's or the bundled one) and its version. */
  browser?: string;
};

const fmt = (s: number | null | undefined) =>
  s === null || s === undefined ? '–' : s < 60 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;

export interface RunHooks {
  onProgress?: (line: string) => void;
  /** Looks at the finished page before it closes (tests). */
  inspect?: ((page: Page) => Promise<void>) | null;
  /** Called with the page before the app is first opened (benchmarks add their init scripts). */
  onPage?: ((page: Page) => Promise<void>) | null;
  /** Starts the browser on a profile (Node tests give a fake one). */
  launchBrowser?: (options: {
    profile: string;
    serviceWorkers: 'block';
  }) => Promise<{ context: BrowserContext; browser?: { name: string; version?: string | null } }>;
  /** Builds the app when it is stale (Node tests skip it). */
  build?: () => void;
}

export async function runPipeline(opts: PipelineOptions, hooks: RunHooks = {}): Promise<DrivenReport> {
  const { onProgress = (line) => void process.stderr.write(`${line}\n`), launchBrowser = launch, build = buildIfNeeded } = hooks;
  const isUrl = /^https?:\/\//.test(opts.shard);
  if (!isUrl && !existsSync(opts.shard)) throw new Error(`shard not found: ${opts.shard}`);
  build();
  const server = await serve({ root: join(ROOT, 'dist'), shard: isUrl ? null : opts.shard, port: opts.port }).catch(
    (err: Error & { code?: string }) => {
      throw new Error(
        err.code === 'EADDRINUSE'
          ? `port ${opts.port} is in use; pass --port N (the cache of a --profile is tied to its port)`
          : err.message,
      );
    },
  );
  // One profile for every attempt: a restart goes on from what the attempt before it stored. A temporary one is
  // removed at the end, unless the browser died: the sentence then names it, to resume from with --profile.
  const profile = opts.profile ?? mkdtempSync(join(tmpdir(), 'simage-profile-'));
  let keepProfile = opts.profile !== null;
  const restarts: RestartEntry[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const { context, browser } = await launchBrowser({ profile, serviceWorkers: 'block' });
      const browserName = browser ? `${browser.name}: ${browser.version ?? 'version unknown'}` : undefined;
      if (attempt === 0 && browserName) onProgress(`[pipeline] browser: ${browserName}`);
      const page = context.pages()[0] ?? (await context.newPage());
      // Chromium gone, the renderer crashed, a worker dead twice: the attempt ends at once (scripts/watch.ts).
      const watch = watchBrowser({ context, page });
      try {
        page.on('pageerror', (err) => onProgress(`[page error] ${err.message}`));
        if (attempt > 0) restarts.at(-1)!.stored = await raced(closeApp(page, server.origin), watch);
        if (hooks.onPage) await raced(hooks.onPage(page), watch);
        const report = await raced(drive(opts, page, server, watch, attempt === 0, { ...hooks, onProgress }), watch);
        report.restarts = restarts;
        if (browserName) report.browser = browserName;
        // After a restart: every stored feature record reads back whole (none half-written when the browser died).
        if (restarts.length && !report.cache_check)
          report.cache_check = await raced(
            page.evaluate(() => window.__simage.verifyCache()),
            watch,
          );
        return report;
      } catch (err) {
        if (!(err instanceof BrowserDiedError)) throw err;
        if (attempt >= opts.retries) {
          err.profile = profile;
          err.restarts = restarts.length;
          keepProfile = true;
          throw err;
        }
        restarts.push({ died: err.what, stage: err.stage, message: err.message, stored: {} });
        onProgress(
          `[restart ${attempt + 1} of ${opts.retries}] ${err.what} died${err.stage ? ` during ${err.stage}` : ''} (${err.message}); opening the browser again on the same profile`,
        );
      } finally {
        watch.stop();
        await context.close().catch(() => undefined);
      }
    }
  } finally {
    await server.close();
    if (!keepProfile) rmSync(profile, { recursive: true, force: true });
  }
}

/** One attempt: the app opened on the shard, followed to its report, then the exports asked for. `first`: the
 *  project imports and the injected reloads happen on the first attempt only. */
async function drive(
  opts: PipelineOptions,
  page: Page,
  server: { origin: string; shardUrl: string | null },
  watch: Watch,
  first: boolean,
  { onProgress, inspect = null }: RunHooks & { onProgress: (line: string) => void },
): Promise<DrivenReport> {
  // (The server serves a local shard and gives its address; a URL shard is opened as given.)
  const params = new URLSearchParams({ shard: server.shardUrl ?? opts.shard, backend: opts.backend, settings: 'defaults' });
  if (opts.batch) params.set('batch', String(opts.batch));
  if (opts.featuresOnly) params.set('until', 'features');
  if (opts.plantErrors) params.set('plant', String(opts.plantErrors));
  for (const name of [
    'format',
    'model',
    'threads',
    'layout',
    'k',
    'perplexity',
    'iterations',
    'head',
    'layer',
    'target',
    'epochs',
  ] as const) {
    if (opts[name] !== null && opts[name] !== undefined) params.set(name, String(opts[name]));
  }
  const clean = `${server.origin}/?${params}`;
  const workerFaults = opts.inject.filter((f): f is WorkerFault => (WORKER_FAULTS as readonly string[]).includes(f));
  if (workerFaults.length) params.set('inject', workerFaults.join(','));
  const url = `${server.origin}/?${params}`;
  const faults: FaultEntry[] = [];
  // Project files first, on the app without a shard: each is checked whole, then merged into the store.
  for (const file of first ? opts.importProject : []) {
    await page.goto(`${server.origin}/?settings=defaults`);
    await page.waitForFunction(() => !!window.__simage);
    // The first visit's load view: its "Open a project file" (Settings, where the other picker is, is made when opened).
    await page.setInputFiles('[data-testid=open-project]', file);
    const state = await page.waitForFunction(
      () => {
        const p = window.__simage.snapshot().project;
        return p && p.kind === 'import' && !p.running && p;
      },
      undefined,
      { polling: 250, timeout: opts.timeoutS * 1000 },
    );
    const outcome = (await state.jsonValue()) as { message: string | null; error: string | null };
    if (outcome.error) throw new Error(`--import-project ${file}: ${outcome.error}`);
    onProgress(`[project] imported ${outcome.message}`);
  }
  await page.goto(url);
  const deadline = Date.now() + opts.timeoutS * 1000;
  // Interruptions first, in pipeline order: each waits for its stage to run, then closes the app's page the way
  // closing the tab does (the page navigates away to a static file of the same origin, which ends the document
  // and its workers), counts what IndexedDB holds at that moment, and opens the app again. What the run after it
  // found (features already stored, embedding and net reused or not) is read before the next one or from the report.
  const runInfo = () => page.evaluate(() => window.__simage.snapshot().runInfo);
  let previous: FaultEntry | null = null;
  for (const stage of RELOAD_STAGES.filter((st) => first && opts.inject.includes(`reload-during=${st}`))) {
    const seen = await waitForStage(page, stage, deadline);
    const entry: FaultEntry = { fault: `reload-during=${stage}`, met: seen.running, survived: false };
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
  let report: DrivenReport;
  try {
    report = await follow(page, deadline, onProgress, watch);
  } catch (caught) {
    const err = caught as Error;
    if (!workerFaults.includes('quota') || !/storage quota/.test(err.message)) throw err;
    const counts = await page.evaluate(() => window.__simage.cacheCounts());
    onProgress(`[inject] quota met: "${err.message.split('.')[0]}"; ${counts.features} features stored; reloading without the fault`);
    if (previous) previous.after = await runInfo();
    previous = { fault: 'quota', met: true, survived: false, message: err.message, stored_before: counts };
    faults.push(previous);
    // The person frees space and opens the page again: the run resumes from what was stored.
    await page.goto(clean);
    report = await follow(page, deadline, onProgress, watch);
  }
  if (previous) previous.after = await runInfo();
  const alternatives = report.shard.format_alternatives ?? [];
  if (alternatives.length)
    onProgress(
      `format: read as ${report.shard.format} (${report.shard.format_evidence}); it fits ${alternatives.join(' and ')} as well: pass --format ${alternatives[0]} to read it so`,
    );
  for (const entry of faults) {
    if (!entry.met) continue;
    const stored = entry.stored_before!;
    const after = entry.after!;
    const plan = after.featurePlan;
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
    const embeddingRight = stage === 'features' || after.embeddingCached === stored.embeddings > 0;
    const netRight = stage !== 'train' || after.netReused === stored.models > 0;
    entry.survived = featuresKept && embeddingRight && netRight;
    const said = (what: string, reused: boolean | null, wasStored: boolean) =>
      `the ${what} ${wasStored ? 'had been stored whole before the page closed' : 'had not been stored'} and was ${reused ? 'reused' : 'computed again'}`;
    const later =
      stage === 'features'
        ? ''
        : `; ${said('embedding', after.embeddingCached, stored.embeddings > 0)}${stage === 'train' ? `; ${said('net', after.netReused, stored.models > 0).replace('computed again', 'trained again')}` : ''}`;
    entry.how = `closed and reopened; ${found}${later}`;
  }
  for (const fault of workerFaults.filter((f) => f !== 'quota')) {
    const met = report.faults_met.filter((m) => m.startsWith(`${fault} (`));
    const fallbacks = report.backend_fallbacks.map((f) => `${f.stage}: ${f.from} -> ${f.to} after ${workBefore(f)} (${f.reason})`);
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
  // Labels both ways, on request: every image's predicted labels, and the review's suggestions.
  if (opts.predictedLabels) {
    const text = await page.evaluate(() => window.__simage.predictedLabelsCsv());
    writeFileSync(opts.predictedLabels, text);
    onProgress(`predicted labels: ${text.trim().split('\n').length - 1} rows written to ${opts.predictedLabels}`);
  }
  if (opts.suggestions) {
    const list = await page.evaluate(() => window.__simage.reviewSuggestions());
    const header = 'ImageID,LabelName,Kind,Given,Predicted,Disagreement,Support';
    const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const rows = list.map((x) =>
      [quote(x.imageId), quote(x.labelName), x.kind, x.given, x.predicted.toFixed(4), x.disagreement.toFixed(4), x.support].join(','),
    );
    writeFileSync(opts.suggestions, [header, ...rows].join('\n') + '\n');
    onProgress(`label review: ${list.length} suggestions written to ${opts.suggestions}`);
  }
  if (opts.exportLabels) {
    const out = await page.evaluate(() => window.__simage.labelsInFormat());
    const target = opts.exportLabels;
    if (out.files.length === 1) writeFileSync(target, out.files[0].text);
    else
      for (const f of out.files) {
        mkdirSync(dirname(join(target, f.path)), { recursive: true });
        writeFileSync(join(target, f.path), f.text);
      }
    onProgress(`labels: ${out.files.length} file${out.files.length === 1 ? '' : 's'} as ${out.written} written to ${target}`);
  }
  if (opts.query.length) {
    report.queries = [];
    for (const file of opts.query) {
      let entry: QueryEntry;
      try {
        const base64 = readFileSync(file).toString('base64');
        const r = await page.evaluate(([name, b64, held]) => window.__simage.searchFileBytes(name, b64, held), [
          basename(file),
          base64,
          opts.heldOut,
        ] as const);
        if (r?.error) throw new Error(r.error);
        entry = {
          file,
          neighbours: (r?.results ?? []).map((x) => ({ id: x.imageId, score: x.score })),
          labels: (r?.tags ?? []).map((t) => ({ label: t.labelName, score: t.score })),
          ms: Math.round(r?.ms ?? 0),
        };
      } catch (err) {
        entry = { file, neighbours: [], labels: [], error: (err as Error).message };
        onProgress(`query ${file}: ${entry.error}`);
      }
      report.queries.push(entry);
    }
  }
  if (opts.exportModel) {
    // The trained model as one file (docs/MODEL-FILE.md): `npm run query` answers images with it, no browser.
    const [download, ok] = await Promise.all([
      page.waitForEvent('download', { timeout: opts.timeoutS * 1000 }).catch(() => null),
      page.evaluate((withExtractor) => window.__simage.exportModel(withExtractor), opts.withExtractor),
    ]);
    if (!ok || !download)
      throw new Error(`--export-model: ${(await page.evaluate(() => window.__simage.snapshot().error)) ?? 'no model file was written'}`);
    await download.saveAs(opts.exportModel);
    onProgress(`model file: written to ${opts.exportModel}${opts.withExtractor ? ' (with the base network)' : ''}`);
  }
  if (opts.duplicates) {
    const groups = report.duplicates?.groups ?? [];
    writeFileSync(opts.duplicates, duplicatesCsv({ groups, threshold: report.duplicates?.threshold ?? 0 }));
    onProgress(`duplicates: ${groups.length} groups written to ${opts.duplicates}`);
  }
  if (opts.exportProject) {
    // Every feature model's features of this shard, its thumbnails, embeddings and model: one file.
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: opts.timeoutS * 1000 }),
      page.evaluate(() => window.__simage.exportProject()),
    ]);
    await download.saveAs(opts.exportProject);
    const outcome = await page.evaluate(() => window.__simage.snapshot().project);
    if (outcome?.error) throw new Error(`--export-project: ${outcome.error}`);
    onProgress(`[project] ${outcome?.message?.replace(/^Wrote [^ ]+/, `wrote ${opts.exportProject}`)}`);
  }
  // Tests look at the finished page before it closes.
  if (inspect) await inspect(page);
  return report;
}

/** Waits until `stage` runs (features: with at least one batch stored); says whether it was seen running. */
async function waitForStage(
  page: Page,
  stage: (typeof RELOAD_STAGES)[number],
  deadline: number,
): Promise<{ running: boolean; progress?: Progress | null }> {
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
  return (await handle.jsonValue())!;
}

/** Leaves the app for a static file of its origin (the document and its workers end, as when the tab closes) and
 *  counts, from there, the records of every store of the app's database at that moment (as cacheCounts does). */
async function closeApp(page: Page, origin: string): Promise<Record<string, number>> {
  await page.goto(`${origin}/models/inception-v3/model.json`);
  return page.evaluate(
    () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const open = indexedDB.open('simage');
        // No database yet: nothing stored. Abort rather than create an empty one the app would then have to upgrade.
        let absent = false;
        open.onupgradeneeded = () => {
          absent = true;
          open.transaction?.abort();
        };
        open.onerror = () => (absent ? resolve({ features: 0, embeddings: 0, models: 0 }) : reject(open.error));
        open.onsuccess = () => {
          const db = open.result;
          const names = [...db.objectStoreNames];
          const tx = db.transaction(names);
          const counts: Record<string, number> = {};
          for (const n of names) {
            const request = tx.objectStore(n).count();
            request.onsuccess = () => (counts[n] = request.result);
          }
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
async function follow(page: Page, deadline: number, onProgress: (line: string) => void, watch: Watch): Promise<DrivenReport> {
  let lastLine = '';
  for (;;) {
    if (watch.dead) throw new Error('the browser died');
    if (Date.now() > deadline) throw new Error('timed out');
    const snap: Snapshot | null = await page.evaluate(() => window.__simage?.snapshot()).catch(() => null);
    if (snap) {
      const running = Object.entries(snap.stages).find(([, st]) => st.status === 'running');
      if (running) watch.stage = running[0];
      // A worker that died twice (src/lib/rpc.ts restarted it once) ends the run as a dead browser does.
      if (snap.error && snap.failure === 'worker-died') watch.fail('worker', snap.error);
      if (snap.error) throw new Error(snap.error);
      if (snap.report) return { ...snap.report, restarts: [] };
      const parts: string[] = [];
      for (const [name, st] of Object.entries(snap.stages)) {
        if (st.status === 'idle') continue;
        const p = st.progress;
        parts.push(
          st.status === 'done'
            ? `${name} done`
            : p
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
  let opts: PipelineOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  try {
    const report = await runPipeline(opts);
    const json = JSON.stringify(report, null, 2);
    if (opts.out) writeFileSync(opts.out, json + '\n');
    // A pipe takes the report asynchronously: exit only once it has all of it (a large report was cut short).
    await new Promise<void>((resolve) => process.stdout.write(json + '\n', () => resolve()));
    process.exit(0);
  } catch (err) {
    if (err instanceof BrowserDiedError) {
      process.stderr.write(`${diedLine(err, err.profile ?? opts.profile ?? '', err.restarts)}\n`);
      process.exit(EXIT_DIED);
    }
    process.stderr.write(`pipeline failed: ${String((err as Error).message ?? err).split('\n')[0]}\n`);
    process.exit(1);
  }
}

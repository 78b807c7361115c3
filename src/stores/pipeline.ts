// The page's state and the pipeline that fills it. Owns the ingest and feature workers and turns their messages
// into Svelte stores; views only render these stores and call the exported actions.
// Invariant: the active job is remembered in localStorage until it finishes, so a reload resumes a URL shard,
// and everything already written to IndexedDB is reused (the workers skip cached images by content hash).
import { derived, get, writable } from 'svelte/store';
import type { BackendName } from '../lib/features/backend';
import type { BackendReply, EmbedResult, ExtractRequest, ExtractResult, FeaturesReply, EmbedRequest } from '../lib/features/protocol';
import type { IngestReply, LoadRequest, LoadResult } from '../lib/ingest/protocol';
import { sourceKey, type ShardSource } from '../lib/ingest/source';
import type { ShardSummary } from '../lib/ingest/assemble';
import type { Progress } from '../lib/progress';
import { DEFAULT_SETTINGS, validateSettings, type Settings } from '../lib/settings';
import {
  cachedFeatureHashes,
  clearAll,
  countRecords,
  malformedFeatures,
  getShard,
  listShardImages,
  openSimageDb,
  type ImageRecord,
  type ShardRecord,
} from '../lib/store/db';
import { JobError, WorkerHost } from './jobs';
import { FLATTEN_DIM, MIXED7_DIM, featureModelId } from '../lib/features/model';
import type { EmbedLabelsRequest, EmbedLabelsResult, EmbeddingReply } from '../lib/embedding/protocol';
import { embeddingSettingsOf, trainSettingsOf } from '../lib/settings';
import type {
  ModelSummary,
  QueryResult,
  RetrievalEvaluation,
  TrainResult,
  TrainWorkerReply,
  TrainWorkerRequest,
  ExportResult,
} from '../lib/retrieval/protocol';
import type { EpochReport } from '../lib/retrieval/train-settings';
import { parseFaults, type BackendFallback, type FaultPlan } from '../lib/faults';

export type StageName = 'load' | 'features' | 'embedding' | 'train';
const STAGES: StageName[] = ['load', 'features', 'embedding', 'train'];
export interface StageState {
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled';
  progress: Progress | null;
  message: string | null;
  elapsedMs: number | null;
}

export interface PipelineReport {
  shard: {
    images: number;
    labelled: number;
    labels: number;
    train: number;
    validation: number;
    test: number;
    skipped: ShardSummary['skipped'];
  };
  backend: BackendName | null;
  backend_reason: string | null;
  model: string;
  timings_s: {
    load: number;
    features: number;
    svd?: number;
    tsne?: number;
    umap?: number;
    sets?: number;
    train?: number;
    evaluate?: number;
  };
  features: { computed: number; cached: number; forward_passes: number; failed: { id: string; reason: string }[]; per_s: number };
  embedding?: { layout: string; k: number; images: number; train: number; unique_label_rows: number; kl: number | null; cached: boolean };
  /** The retrieval net: which head, what it read, how long it trained, whether a stored one was reused. */
  net?: {
    head: string;
    layer: string;
    target: string;
    references: number;
    epochs: number;
    best_epoch: number;
    reused: boolean;
    backend: string | null;
  };
  evaluation?: Partial<RetrievalEvaluation> & { similar_set_score: number };
  /** Backends given up in the middle of a stage (WebGPU device lost, out of memory) and where the work went on. */
  backend_fallbacks: BackendFallback[];
  /** Faults injected with `?inject=` that this run met (tests and `npm run pipeline -- --inject`). */
  faults_met: string[];
}

/** The label embedding as the map and search use it. */
export interface EmbeddingState {
  imageIds: string[];
  layout: Float32Array;
  trainIndex: Int32Array;
  similar: Int32Array;
  k: number;
  similarSetScore: number | null;
  kl: number | null;
  final: boolean;
}

const idleStage = (): StageState => ({ status: 'idle', progress: null, message: null, elapsedMs: null });

// ---- stores ----------------------------------------------------------------------------------------------------
const storedSettings = (() => {
  try {
    return JSON.parse(localStorage.getItem('simage.settings') ?? '{}');
  } catch {
    return {};
  }
})();
const queryParams = Object.fromEntries(new URLSearchParams(location.search));
// `?settings=defaults` (the CLI sends it) ignores what an earlier visit stored: only the query's own values apply.
const baseSettings = queryParams.settings === 'defaults' ? DEFAULT_SETTINGS : validateSettings(storedSettings, DEFAULT_SETTINGS);
export const settings = writable<Settings>(validateSettings(queryParams, baseSettings));
/** Faults to cause on purpose, from `?inject=`; never stored, so a reload without it runs clean. */
const faults: FaultPlan = (() => {
  try {
    return parseFaults(queryParams.inject);
  } catch (err) {
    console.error('[simage] ?inject ignored:', (err as Error).message);
    return { worker: [], reloadDuring: [] };
  }
})();
settings.subscribe((s) => localStorage.setItem('simage.settings', JSON.stringify(s)));

const idleStages = (): Record<StageName, StageState> => ({
  load: idleStage(),
  features: idleStage(),
  embedding: idleStage(),
  train: idleStage(),
});
export const stages = writable<Record<StageName, StageState>>(idleStages());
/** The retrieval net in use for the shard (trained, reused or imported), and its training curve while it trains. */
export const model = writable<ModelSummary | null>(null);
export const epochs = writable<EpochReport[]>([]);
/** The current search: the query (an image of the shard, or a dropped file) and its ranked results. */
export interface SearchState {
  query: { kind: 'image'; imageId: string } | { kind: 'file'; name: string; url: string };
  results: { imageId: string; score: number }[];
  ms: number;
  error: string | null;
  busy: boolean;
}
export const search = writable<SearchState | null>(null);
export const embedding = writable<EmbeddingState | null>(null);
/** The image a person selected on the map or in the gallery. */
export const selectedImageId = writable<string | null>(null);
export const shard = writable<ShardRecord | null>(null);
export const images = writable<ImageRecord[]>([]);
export const featureCount = writable(0);
export const backendInfo = writable<Omit<BackendReply, 'type' | 'jobId'> | null>(null);
export const report = writable<PipelineReport | null>(null);
export const errorMessage = writable<string | null>(null);
/** A local shard whose features were not finished before the page was reloaded: it must be picked again. */
export const resumeHint = writable<string | null>(null);
export const storage = writable<{ usage: number; quota: number; persisted: boolean } | null>(null);
/** What this page's run found and did so far, stage by stage (for the CLI's fault report and tests). */
export const runInfo = writable<{
  featurePlan: { images: number; cached: number; toCompute: number } | null;
  embeddingCached: boolean | null;
  netReused: boolean | null;
}>({ featurePlan: null, embeddingCached: null, netReused: null });
export const running = derived(stages, (s) => STAGES.some((name) => s[name].status === 'running'));

// ---- workers ---------------------------------------------------------------------------------------------------
const ingest = new WorkerHost<LoadRequest, IngestReply>(
  () => new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module', name: 'ingest' }),
);
const features = new WorkerHost<ExtractRequest | EmbedRequest, FeaturesReply>(
  () => new Worker(new URL('../../workers/features.worker.ts', import.meta.url), { type: 'module', name: 'features' }),
);
const embedder = new WorkerHost<EmbedLabelsRequest, EmbeddingReply>(
  () => new Worker(new URL('../../workers/embedding.worker.ts', import.meta.url), { type: 'module', name: 'embedding' }),
);
// The training worker holds the model for searches, so it is never terminated for idleness.
const trainer = new WorkerHost<TrainWorkerRequest, TrainWorkerReply>(
  () => new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
  Infinity,
);
let cancelCurrent: (() => void) | null = null;
let modelId = '';

function setStage(name: StageName, patch: Partial<StageState>) {
  stages.update((s) => ({ ...s, [name]: { ...s[name], ...patch } }));
}

async function modelIdOnce(): Promise<string> {
  if (modelId) return modelId;
  const json = await (await fetch(new URL('models/inception-v3/model.json', new URL(import.meta.env.BASE_URL, location.href)))).json();
  modelId = featureModelId(json.simage?.modelId ?? 'inception-v3');
  return modelId;
}

export async function refreshStorage() {
  const est = await navigator.storage?.estimate?.();
  const persisted = (await navigator.storage?.persisted?.()) ?? false;
  if (est) storage.set({ usage: est.usage ?? 0, quota: est.quota ?? 0, persisted });
}

/** Asks the browser to keep the cache under storage pressure (it may decide without asking the person). */
export async function requestPersistence(): Promise<boolean> {
  const granted = (await navigator.storage?.persist?.().catch(() => false)) ?? false;
  await refreshStorage();
  return granted;
}

async function showShard(shardId: string) {
  const db = await openSimageDb();
  try {
    const record = await getShard(db, shardId);
    if (!record) return null;
    const list = await listShardImages(db, shardId);
    const have = await cachedFeatureHashes(db, await modelIdOnce());
    shard.set(record);
    images.set(list);
    featureCount.set(list.filter((im) => have.has(im.hash)).length);
    return { record, list, missing: list.filter((im) => !have.has(im.hash)).length };
  } finally {
    db.close();
  }
}

/** Loads a shard and computes its features; resolves with the report, rejects with a sentence. */
export async function runShard(source: ShardSource): Promise<PipelineReport> {
  cancel();
  errorMessage.set(null);
  resumeHint.set(null);
  report.set(null);
  stages.set(idleStages());
  embedding.set(null);
  model.set(null);
  search.set(null);
  const s = get(settings);
  localStorage.setItem('simage.active', JSON.stringify({ shardId: sourceKey(source), url: source.kind === 'url' ? source.url : null }));
  void requestPersistence();
  try {
    setStage('load', { status: 'running' });
    const loadJob = ingest.run<LoadResult>({ type: 'load', source, thumbnailPx: s.thumbnailPx }, ['result'], (r) => {
      if (r.type === 'progress') setStage('load', { progress: r.progress });
    });
    cancelCurrent = loadJob.cancel;
    const loadedShard = await loadJob.done;
    setStage('load', { status: 'done', elapsedMs: loadedShard.elapsedMs });
    localStorage.setItem('simage.lastShard', loadedShard.shardId);
    await showShard(loadedShard.shardId);
    void refreshStorage();
    if (loadedShard.summary.images === 0) {
      const n = loadedShard.summary.skipped.length;
      throw new JobError(
        `"${loadedShard.name}" holds no image that loads${n ? `: ${n} item${n === 1 ? ' was' : 's were'} skipped, and the list below says why` : ': it is empty'}. A shard is a folder or archive of images named <ImageID>.<ext> (jpg, png, webp, gif, bmp) with a labels.csv.`,
        'no images',
        false,
      );
    }

    setStage('features', { status: 'running' });
    let cachedAtStart = 0;
    const featureJob = features.run<ExtractResult>(
      {
        type: 'extract',
        shardId: loadedShard.shardId,
        source,
        backend: s.backend,
        batchSize: s.batchSize,
        threads: s.threads,
        inject: faults.worker,
      },
      ['result'],
      (r) => {
        if (r.type === 'plan') {
          cachedAtStart = r.cached;
          runInfo.update((i) => ({ ...i, featurePlan: { images: r.images, cached: r.cached, toCompute: r.toCompute } }));
          featureCount.set(r.cached);
        } else if (r.type === 'progress') {
          setStage('features', { progress: r.progress });
          featureCount.set(cachedAtStart + r.progress.done);
        } else if (r.type === 'backend') {
          const { type: _t, jobId: _j, ...info } = r;
          backendInfo.set(info);
        }
      },
    );
    cancelCurrent = featureJob.cancel;
    const extracted = await featureJob.done;
    setStage('features', { status: 'done', elapsedMs: extracted.elapsedMs });
    featureCount.set(extracted.computed + extracted.cached);

    const embedded = await runEmbeddingStage(loadedShard.shardId);
    const trained = await runTrainStage(loadedShard.shardId, true);
    localStorage.removeItem('simage.active');
    const summary = loadedShard.summary;
    const result: PipelineReport = {
      shard: {
        images: summary.images,
        labelled: summary.labelled,
        labels: summary.labels,
        train: summary.train,
        validation: summary.validation,
        test: summary.test,
        skipped: [...summary.skipped, ...extracted.failed],
      },
      backend: extracted.backend ?? get(backendInfo)?.backend ?? null,
      backend_reason: get(backendInfo)?.reason ?? null,
      model: extracted.modelId,
      timings_s: {
        load: loadedShard.elapsedMs / 1000,
        features: extracted.elapsedMs / 1000,
        svd: embedded.timingsMs.svd / 1000,
        ...(s.layout === 'svd' ? {} : { [s.layout]: embedded.timingsMs.layout / 1000 }),
        sets: embedded.timingsMs.sets / 1000,
        train: trained.timingsMs.train / 1000,
        evaluate: trained.timingsMs.evaluate / 1000,
      },
      backend_fallbacks: [...extracted.fallbacks, ...(trained.fallbacks ?? [])],
      faults_met: [...extracted.faultsMet.map((f) => `${f} (features)`), ...(trained.faultsMet ?? []).map((f) => `${f} (train)`)],
      features: {
        computed: extracted.computed,
        cached: extracted.cached,
        forward_passes: extracted.forwardPasses,
        failed: extracted.failed,
        per_s: extracted.computeMs > 0 ? extracted.forwardPasses / (extracted.computeMs / 1000) : 0,
      },
      embedding: {
        layout: s.layout,
        k: embedded.k,
        images: embedded.imageIds.length,
        train: embedded.trainIndex.length,
        unique_label_rows: embedded.uniqueRows,
        kl: embedded.kl,
        cached: embedded.cached,
      },
      net: {
        head: trained.head,
        layer: trained.layer,
        target: trained.target,
        references: trained.references,
        epochs: trained.history.length,
        best_epoch: bestEpoch(trained.history),
        reused: !trained.trained,
        backend: trained.backend,
      },
      evaluation: { ...(trained.evaluation ?? {}), similar_set_score: embedded.similarSetScore },
    };
    report.set(result);
    return result;
  } catch (err) {
    const e = err as JobError;
    const message = e.message ?? String(err);
    stages.update((st) => {
      for (const name of STAGES) {
        if (st[name].status === 'running') st[name] = { ...st[name], status: e.cancelled ? 'cancelled' : 'error', message };
      }
      return { ...st };
    });
    if (e.cancelled) localStorage.removeItem('simage.active');
    errorMessage.set(e.cancelled ? null : message);
    if (e.detail) console.error('[simage]', e.detail);
    throw err;
  } finally {
    cancelCurrent = null;
    void refreshStorage();
  }
}

/** Runs (or reuses) the label embedding of a loaded shard with the current settings. */
async function runEmbeddingStage(shardId: string): Promise<EmbedLabelsResult> {
  setStage('embedding', { status: 'running' });
  let imageIds: string[] | null = null;
  const job = embedder.run<EmbedLabelsResult>(
    { type: 'embed-labels', shardId, settings: embeddingSettingsOf(get(settings)) },
    ['result'],
    (r) => {
      if (r.type === 'progress') setStage('embedding', { progress: r.progress });
      else if (r.type === 'layout') {
        imageIds = r.imageIds ?? imageIds;
        if (imageIds)
          embedding.set({
            imageIds,
            layout: r.layout,
            trainIndex: new Int32Array(0),
            similar: new Int32Array(0),
            k: 0,
            similarSetScore: null,
            kl: r.kl,
            final: false,
          });
      }
    },
  );
  cancelCurrent = job.cancel;
  const result = await job.done;
  setStage('embedding', { status: 'done', elapsedMs: result.timingsMs.svd + result.timingsMs.layout + result.timingsMs.sets });
  embedding.set({
    imageIds: result.imageIds,
    layout: result.layout,
    trainIndex: result.trainIndex,
    similar: result.similar,
    k: result.k,
    similarSetScore: result.similarSetScore,
    kl: result.kl,
    final: true,
  });
  runInfo.update((i) => ({ ...i, embeddingCached: result.cached }));
  return result;
}

/** Recomputes only the label embedding (after a change of its settings). */
export function rerunEmbedding() {
  return runStageAlone('embedding', runEmbeddingStage);
}

/** Runs one stage for the shard on show, outside a full load: its failure is shown on its bar and as a sentence. */
async function runStageAlone(name: StageName, run: (shardId: string) => Promise<unknown>) {
  const current = get(shard);
  if (!current) return;
  errorMessage.set(null);
  try {
    await run(current.shardId);
  } catch (err) {
    const e = err as JobError;
    setStage(name, { status: e.cancelled ? 'cancelled' : 'error', message: e.message });
    if (!e.cancelled) errorMessage.set(e.message);
  } finally {
    cancelCurrent = null;
  }
}

const bestEpoch = (history: EpochReport[]) =>
  history.reduce((best, e) => (!best || e.validation.score > best.validation.score ? e : best), null as EpochReport | null)?.epoch ?? 0;

/** Trains the retrieval net on the shard's features and label embedding (or reuses the stored one). */
async function runTrainStage(shardId: string, reuse: boolean): Promise<TrainResult> {
  setStage('train', { status: 'running', progress: null, message: null });
  epochs.set([]);
  const s = get(settings);
  const job = trainer.run<TrainResult>(
    {
      type: 'train',
      shardId,
      embedding: embeddingSettingsOf(s),
      train: trainSettingsOf(s),
      featureModelId: await modelIdOnce(),
      backend: s.backend,
      threads: s.threads,
      reuse,
      inject: faults.worker,
    },
    ['trained'],
    (r) => {
      if (r.type === 'progress') setStage('train', { progress: r.progress });
      else if (r.type === 'epoch') epochs.update((list) => [...list, r.report]);
      else if (r.type === 'restart') {
        epochs.set([]);
        setStage('train', { message: r.reason });
      }
    },
  );
  cancelCurrent = job.cancel;
  const result = await job.done;
  setStage('train', { status: 'done', elapsedMs: result.timingsMs.train + result.timingsMs.evaluate });
  epochs.set(result.history);
  model.set(result);
  runInfo.update((i) => ({ ...i, netReused: !result.trained }));
  return result;
}

/** Trains again from scratch with the current settings (head, layer, target, epochs). */
export function retrain() {
  return runStageAlone('train', (shardId) => runTrainStage(shardId, false));
}

/** The k most similar references to an image of the shard, by the current model. */
export async function searchImage(imageId: string) {
  const current = get(shard);
  selectedImageId.set(imageId);
  if (!current || !get(model)) return;
  search.set({ query: { kind: 'image', imageId }, results: get(search)?.results ?? [], ms: 0, error: null, busy: true });
  try {
    const r = await trainer.run<QueryResult>(
      { type: 'query', shardId: current.shardId, query: { kind: 'image', imageId }, k: get(settings).k },
      ['results'],
    ).done;
    if (get(search)?.query.kind === 'image' && (get(search)?.query as { imageId: string }).imageId !== imageId) return; // a newer query won
    search.set({ query: { kind: 'image', imageId }, results: r.results, ms: r.ms, error: null, busy: false });
  } catch (err) {
    search.set({ query: { kind: 'image', imageId }, results: [], ms: 0, error: (err as Error).message, busy: false });
  }
}

/** Searches with an image that is not in the shard: its features are computed first (not cached). */
export async function searchFile(file: File) {
  const current = get(shard);
  if (!current || !get(model)) {
    errorMessage.set('Load a shard and train (or import) a model before searching with your own image.');
    return;
  }
  const previous = get(search);
  if (previous?.query.kind === 'file') URL.revokeObjectURL(previous.query.url);
  const query = { kind: 'file' as const, name: file.name, url: URL.createObjectURL(file) };
  selectedImageId.set(null);
  search.set({ query, results: [], ms: 0, error: null, busy: true });
  try {
    const t0 = performance.now();
    const bytes = await file.arrayBuffer();
    const f = await embedImages([bytes]);
    const r = await trainer.run<QueryResult>(
      { type: 'query', shardId: current.shardId, query: { kind: 'features', flatten: f.flatten, mixed7: f.mixed7 }, k: get(settings).k },
      ['results'],
    ).done;
    search.set({ query, results: r.results, ms: performance.now() - t0, error: null, busy: false });
  } catch (err) {
    search.set({ query, results: [], ms: 0, error: (err as Error).message, busy: false });
  }
}

/** Downloads the current model as one file. */
export async function exportModel(): Promise<{ name: string; size: number } | null> {
  const current = get(shard);
  if (!current) return null;
  try {
    const r = await trainer.run<ExportResult>({ type: 'export', shardId: current.shardId }, ['exported']).done;
    const url = URL.createObjectURL(r.file);
    const a = Object.assign(document.createElement('a'), { href: url, download: r.name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return { name: r.name, size: r.file.size };
  } catch (err) {
    errorMessage.set((err as Error).message);
    return null;
  }
}

/** Loads a model file for the current shard; a file that does not fit changes nothing and says why. */
export async function importModel(file: Blob): Promise<boolean> {
  const current = get(shard);
  if (!current) {
    errorMessage.set('Load the shard the model was made for first, then import the model.');
    return false;
  }
  errorMessage.set(null);
  const s = get(settings);
  try {
    const r = await trainer.run<TrainResult>(
      { type: 'import', shardId: current.shardId, file, featureModelId: await modelIdOnce(), backend: s.backend, threads: s.threads },
      ['trained'],
    ).done;
    model.set(r);
    epochs.set([]);
    search.set(null);
    return true;
  } catch (err) {
    errorMessage.set((err as Error).message);
    return false;
  }
}

/** After a reload: loads the shard's stored model, if any, so search works without training. */
async function restoreModel(shardId: string) {
  const s = get(settings);
  try {
    const r = await trainer.run<TrainResult | { type: 'none'; jobId: number }>(
      { type: 'restore', shardId, backend: s.backend, threads: s.threads },
      ['trained', 'none'],
    ).done;
    if (r.type === 'trained') {
      model.set(r);
      epochs.set(r.history);
      setStage('train', { status: 'done', elapsedMs: r.timingsMs.train + r.timingsMs.evaluate });
    }
  } catch (err) {
    errorMessage.set((err as Error).message);
  }
}

export function cancel() {
  cancelCurrent?.();
  cancelCurrent = null;
}

/** Features of loose image bytes, not cached (dropped images, backend checks). */
export async function embedImages(buffers: ArrayBuffer[], backend = get(settings).backend) {
  const s = get(settings);
  const job = features.run<EmbedResult>(
    { type: 'embed', images: buffers, backend, batchSize: s.batchSize, threads: s.threads },
    ['embedded'],
    (r) => {
      if (r.type === 'backend') {
        const { type: _t, jobId: _j, ...info } = r;
        backendInfo.set(info);
      }
    },
    buffers,
  );
  return job.done;
}

export async function clearCache() {
  cancel();
  ingest.terminate();
  features.terminate();
  embedder.terminate();
  trainer.terminate();
  const db = await openSimageDb();
  await clearAll(db);
  db.close();
  localStorage.removeItem('simage.lastShard');
  localStorage.removeItem('simage.active');
  shard.set(null);
  images.set([]);
  featureCount.set(0);
  report.set(null);
  embedding.set(null);
  selectedImageId.set(null);
  model.set(null);
  epochs.set([]);
  search.set(null);
  stages.set(idleStages());
  await refreshStorage();
}

/** Feature records read back whole? (after interruptions: none may be half-written) */
export async function verifyCache() {
  const db = await openSimageDb();
  try {
    return { features: await db.count('features'), malformed: await malformedFeatures(db, FLATTEN_DIM * 4, MIXED7_DIM * 4) };
  } finally {
    db.close();
  }
}

export async function cacheCounts() {
  const db = await openSimageDb();
  try {
    return await countRecords(db);
  } finally {
    db.close();
  }
}

/** On page open: show the last shard from the cache, and resume an unfinished URL job or ?shard=URL. */
export async function restore() {
  void refreshStorage();
  const param = new URLSearchParams(location.search).get('shard');
  const active = (() => {
    try {
      return JSON.parse(localStorage.getItem('simage.active') ?? 'null') as { shardId: string; url: string | null } | null;
    } catch {
      return null;
    }
  })();
  const url = param ?? active?.url ?? null;
  if (url) {
    const absolute = new URL(url, location.href).href;
    return runShard({ kind: 'url', url: absolute }).catch(() => undefined);
  }
  const last = active?.shardId ?? localStorage.getItem('simage.lastShard');
  if (!last) return;
  const shown = await showShard(last);
  if (shown) {
    void rerunEmbedding();
    void restoreModel(shown.record.shardId);
  }
  if (shown && shown.missing > 0 && shown.record.source.kind !== 'url') {
    resumeHint.set(
      `Features are stored for ${shown.list.length - shown.missing} of ${shown.list.length} images of "${shown.record.name}". Pick the same ${shown.record.source.kind === 'files' ? 'folder' : 'file'} again to compute the other ${shown.missing}; nothing stored is computed again.`,
    );
  }
}

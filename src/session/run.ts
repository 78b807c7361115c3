// The pipeline run: load, features, label embedding, training, then the report. Each stage is one worker call
// whose events become stage progress; a cancel or a failure marks the running stage and becomes a sentence.
// Invariant: the active job is remembered (resume.ts) until it finishes, so a reload resumes a URL shard, and
// everything already stored is reused (the workers skip cached work by content hash and settings key).
import { get } from 'svelte/store';
import type { ShardSource } from '../lib/ingest/source';
import { CANCELLED_SENTENCE, JobError } from '../lib/rpc';
import { sourceKey } from '../lib/ingest/source-key';
import type { LoadResult } from '../lib/ingest/protocol';
import { runLockName, soloTabs, type Tabs } from './tabs';
import { embeddingSettingsOf, recomputeFor, trainSettingsOf, type Settings } from '../lib/settings';
import { MODEL_SPECS } from '../lib/features/model';
import type { EmbedLabelsResult } from '../lib/embedding/protocol';
import type { TrainResult } from '../lib/retrieval/protocol';
import { buildReport, type PipelineReport } from './report';
import { NEAR_DUPLICATE_LAYER } from '../lib/duplicates/layer';
import { idleStages, keepDone, STAGES, type StageName } from './state';
import type { Session } from './session';

/** Loads a shard and runs every stage; resolves with the report, rejects with a sentence. While another tab runs
 *  the same shard, this one shows that tab's progress and runs after it, reusing what it stored (tabs.ts). */
export async function runShard(s: Session, source: ShardSource, resumed = false): Promise<PipelineReport> {
  const signal = s.beginJob(); // cancels the run before
  // The collection on show, run again (a folder picked again after a reload, the same demo): what it shows stays
  // until the run replaces it, so a cancel hides nothing.
  const keep = get(s.shard)?.shardId === sourceKey(source);
  const shownMap = keep ? get(s.embedding) : null;
  s.reset(keep);
  s.resume.markActive(source);
  void s.store.requestPersistence();
  const tabs = s.env.tabs ?? soloTabs;
  const key = sourceKey(source);
  // (A holder: the callbacks below set it, which control-flow narrowing would not see in a plain variable.)
  const other: { following: ReturnType<typeof followOtherTab> | null } = { following: null };
  try {
    return await tabs.exclusive(
      runLockName(key),
      signal,
      () => (other.following = followOtherTab(s, tabs, key, signal)),
      async () => {
        const followed = other.following;
        if (followed) {
          // Its last message (the report made) may land just after its lock is freed: wait a moment for it.
          await Promise.race([followed.finishing, new Promise((r) => setTimeout(r, 500))]);
          followed.stop();
          s.resumeHint.set(
            followed.finished
              ? null
              : 'The other tab stopped before it finished (closed, or its run failed); this tab goes on from what it had stored.',
          );
        }
        // `resumed`: this page opened on a run that had not finished (a reload, a closed tab, a crash).
        else if (resumed)
          s.resumeHint.set(
            'The last run of this collection did not finish (the tab was closed, reloaded or crashed); this one goes on from what it had stored.',
          );
        const sharing = shareProgress(s, tabs, key);
        const said = get(s.resumeHint);
        try {
          const report = await runStages(s, source, signal, other.following?.shown ?? null, keep);
          // Why this run went on from stored work explains the run, not its result: once it is done, it goes.
          if (said !== null && get(s.resumeHint) === said) s.resumeHint.set(null);
          return report;
        } finally {
          sharing();
        }
      },
    );
  } catch (caught) {
    // A cancel while waiting for the other tab gives up the wait (the lock's AbortError).
    const err =
      signal.aborted && (caught as Error)?.name === 'AbortError'
        ? new JobError(CANCELLED_SENTENCE, 'cancelled while waiting', true)
        : caught;
    // Try again: the same source, from what is stored (features are not computed twice, a stored embedding and net
    // are reused).
    if (s.isCurrent(signal)) {
      failRunning(s, err, undefined, () => runShard(s, source));
      // A cancel mid-embedding leaves the map that was on show, not the half-made one.
      if ((err as JobError)?.cancelled && shownMap?.final && !get(s.embedding)?.final) s.embedding.set(shownMap);
    }
    throw err;
  } finally {
    other.following?.stop();
    s.endJob(signal);
    void s.store.refresh();
  }
}

/** While another tab holds the run of this source: its progress becomes this page's (stages marked as running in
 *  the other tab), and its shard is shown as soon as it is stored. Returns the stop, and the shard the other tab
 *  stored as this page read it (a load this tab then need not make again). */
function followOtherTab(s: Session, tabs: Tabs, key: string, signal: AbortSignal) {
  let finish = () => {};
  const state = {
    /** The other tab's stored shard as this page read it (shown at once; the run then uses it as its load). */
    shown: null as ReturnType<Session['showShard']> | null,
    finished: false,
    finishing: new Promise<void>((r) => (finish = r)),
    stop: () => {},
  };
  const elsewhere = 'Running in another tab of this browser; this tab shows its progress and uses its results.';
  s.setStage('load', { status: 'running', progress: null, message: elsewhere });
  s.resumeHint.set(
    'This collection is being computed in another tab of this browser: this tab shows its progress and then uses what it stored, so nothing is computed twice.',
  );
  state.stop = tabs.listen((m) => {
    if (m.key !== key || !s.isCurrent(signal)) return;
    if (m.finished) {
      state.finished = true;
      finish();
    }
    s.stages.set(
      Object.fromEntries(
        STAGES.map((name) => [name, m.stages[name].status === 'running' ? { ...m.stages[name], message: elsewhere } : m.stages[name]]),
      ) as typeof m.stages,
    );
    s.featureCount.set(m.featureCount);
    if (m.shardId && !state.shown) state.shown = s.showShard(m.shardId);
  });
  return state;
}

/** Tells the other tabs of this run's progress, on every change of its stages (at most every 200 ms). */
function shareProgress(s: Session, tabs: Tabs, key: string): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const send = () => {
    timer = null;
    const shard = get(s.shard);
    tabs.post({
      kind: 'progress',
      key,
      shardId: shard && get(s.stages).load.status === 'done' ? shard.shardId : null,
      stages: get(s.stages),
      featureCount: get(s.featureCount),
      finished: get(s.report) !== null,
    });
  };
  const stop = [s.stages, s.featureCount].map((store) =>
    store.subscribe(() => {
      timer ??= setTimeout(send, 200);
    }),
  );
  return () => {
    stop.forEach((f) => f());
    if (timer) clearTimeout(timer);
    send();
  };
}

/** The stages of a run, holding its lock. `loadedElsewhere`: the shard another tab stored while this one waited,
 *  already read and shown, used instead of a load. */
async function runStages(
  s: Session,
  source: ShardSource,
  signal: AbortSignal,
  loadedElsewhere: ReturnType<Session['showShard']> | null,
  keepShown = false,
): Promise<PipelineReport> {
  const live = <E>(handle: (event: E) => void) => whileCurrent(s, signal, handle);
  const settings = get(s.settings);
  // (While it waited, this page showed the other tab's stages.) Over the collection on show, done steps stay done.
  s.stages.set(keepShown && !loadedElsewhere ? keepDone(get(s.stages)) : idleStages());
  const stored = loadedElsewhere ? await loadedElsewhere : null;
  let loaded: LoadResult;
  if (stored) {
    loaded = { shardId: stored.record.shardId, name: stored.record.name, summary: stored.record.summary, decoded: 0, elapsedMs: 0 };
    s.setStage('load', { status: 'done', progress: null, message: null, elapsedMs: 0 });
  } else {
    s.setStage('load', { status: 'running', progress: null, message: null });
    loaded = await s.env.workers.ingest.call(
      'load',
      {
        source,
        thumbnailPx: settings.thumbnailPx,
        format: s.format,
        ...(s.ingestBaseline ? { inFlight: 1, scaledDecode: false } : {}),
        ...(s.plantErrors ? { plantErrors: s.plantErrors } : {}),
      },
      { signal, onEvent: live((e) => s.setStage('load', { progress: e.progress })) },
    );
    s.setStage('load', { status: 'done', elapsedMs: loaded.elapsedMs });
  }
  s.resume.markLoaded(loaded.shardId);
  s.lastSourceShardId = loaded.shardId;
  if (!stored) await s.showShard(loaded.shardId);
  void s.store.refresh();
  if (loaded.summary.images === 0) {
    const n = loaded.summary.skipped.length;
    const why = n ? `: ${n} item${n === 1 ? ' was' : 's were'} skipped, and the list below says why` : ': it is empty';
    throw new JobError(
      `"${loaded.name}" holds no image that loads${why}. simage looks for images (jpg, png, webp, gif, bmp) anywhere in the folder or archive, with labels as Open Images CSV, COCO JSON, YOLO, Hugging Face imagefolder, a tags CSV, class folders, id;label text lines, or no labels at all.`,
      'no images',
      false,
    );
  }

  if (s.stopAfter === 'load') {
    s.resume.clearActive();
    const none = { computed: 0, forwardPasses: 0, cached: 0, failed: [], elapsedMs: 0, computeMs: 0, backend: null, backendReason: null };
    const extracted = { ...none, modelId: await s.env.featureModelId(settings.model), fallbacks: [], faultsMet: [] };
    const report = buildReport({ loaded, extracted, embedded: null, trained: null, backend: null, layout: settings.layout });
    s.report.set(report);
    return report;
  }
  s.setStage('features', { status: 'running' });
  let cachedAtStart = 0;
  const extracted = await s.env.workers.features.call(
    'extract',
    {
      shardId: loaded.shardId,
      source,
      model: settings.model,
      backend: settings.backend,
      batchSize: settings.batchSize,
      threads: settings.threads,
      inject: s.faults.worker,
    },
    {
      signal,
      onEvent: live((e) => {
        if (e.type === 'plan') {
          cachedAtStart = e.cached;
          s.runInfo.update((i) => ({ ...i, featurePlan: { images: e.images, cached: e.cached, toCompute: e.toCompute } }));
          s.featureCount.set(e.cached);
        } else if (e.type === 'progress') {
          s.setStage('features', { progress: { ...e.progress, before: cachedAtStart } });
          s.featureCount.set(cachedAtStart + e.progress.done);
        } else {
          const { type: _type, ...info } = e;
          s.backendInfo.set(info);
        }
      }),
    },
  );
  s.setStage('features', { status: 'done', elapsedMs: extracted.elapsedMs });
  s.featureSpeed.learn(settings.model, extracted.forwardPasses, extracted.computeMs);
  s.featureCount.set(extracted.computed + extracted.cached);
  if (s.stopAfter === 'features') {
    s.resume.clearActive();
    const report = buildReport({
      loaded,
      extracted,
      embedded: null,
      trained: null,
      backend: get(s.backendInfo),
      layout: settings.layout,
    });
    s.report.set(report);
    return report;
  }

  const embedded = await embeddingStage(s, loaded.shardId, signal);
  const trained = await trainStage(s, loaded.shardId, true, signal);
  const duplicates = await findDuplicates(s, loaded.shardId, signal);
  s.resume.clearActive();
  const report = buildReport({ loaded, extracted, embedded, trained, backend: get(s.backendInfo), layout: settings.layout, duplicates });
  s.report.set(report);
  return report;
}

/** A job's event handler that stops once a newer job replaced it (a cancelled job still reports the batches it
 *  stored before it stopped, so the counts shown are what is stored). */
function whileCurrent<E>(s: Session, signal: AbortSignal, handle: (event: E) => void) {
  return (event: E) => {
    if (s.isCurrent(signal)) handle(event);
  };
}

/** A failed or cancelled job: the stages that were running say so, and a failure becomes the page's sentence, with
 *  `retry` behind its Try again. */
function failRunning(s: Session, err: unknown, only: StageName | undefined, retry: () => Promise<unknown>) {
  const e = err instanceof JobError ? err : new JobError((err as Error)?.message ?? String(err), String(err), false);
  s.stages.update((st) => {
    const next = { ...st };
    for (const name of only ? [only] : STAGES) {
      if (only || st[name].status === 'running')
        next[name] = { ...st[name], status: e.cancelled ? 'cancelled' : 'error', message: e.message };
    }
    return next;
  });
  if (e.cancelled && !only) s.resume.clearActive();
  s.errorMessage.set(e.cancelled ? null : e.message);
  s.failure.set(e.cancelled ? null : { message: e.message, kind: e.kind, retry });
  // A cancel keeps what is computed and offers Resume: the same job, from what is stored.
  s.stopped.set(e.cancelled ? { resume: retry } : null);
  if (!e.cancelled) console.error('[simage]', e.detail);
}

/** Why the shard on show is searched by look alone (its labels cannot define similarity), or null. */
const byLookAlone = (s: Session, shardId: string) => {
  const shard = get(s.shard);
  return shard?.shardId === shardId ? (shard.summary.labelsUnusable ?? null) : null;
};

/** Runs (or reuses) the label embedding of a loaded shard with the current settings; for a collection whose labels
 *  cannot define similarity, the map from its images' features instead. */
async function embeddingStage(s: Session, shardId: string, signal: AbortSignal): Promise<EmbedLabelsResult> {
  s.setStage('embedding', { status: 'running', progress: null, message: null });
  let imageIds: string[] | null = null;
  const settings = get(s.settings);
  const fromFeatures = byLookAlone(s, shardId) !== null;
  const request = { shardId, settings: embeddingSettingsOf(settings) };
  const result = await s.env.workers.embedding.call(
    fromFeatures ? 'embedFeatures' : 'embedLabels',
    fromFeatures ? { ...request, featureModelId: await s.env.featureModelId(settings.model), layer: settings.layer } : request,
    {
      signal,
      onEvent: whileCurrent(s, signal, (e) => {
        if (e.type === 'progress') s.setStage('embedding', { progress: e.progress });
        else {
          imageIds = e.imageIds ?? imageIds;
          if (!imageIds) return;
          const empty = { trainIndex: new Int32Array(0), similar: new Int32Array(0), k: 0, similarSetScore: null };
          s.embedding.set({ imageIds, layout: e.layout, ...empty, kl: e.kl, final: false });
        }
      }),
    },
  );
  s.setStage('embedding', { status: 'done', elapsedMs: result.timingsMs.svd + result.timingsMs.layout + result.timingsMs.sets });
  const { imageIds: ids, layout, trainIndex, similar, k, similarSetScore, kl } = result;
  s.embedding.set({ imageIds: ids, layout, trainIndex, similar, k, similarSetScore, kl, final: true });
  s.runInfo.update((i) => ({ ...i, embeddingCached: result.cached }));
  return result;
}

/** Trains the retrieval net on the shard's features and label embedding (or reuses the stored one); for a
 *  collection whose labels cannot define similarity, makes search by look its engine instead (no training). */
async function trainStage(s: Session, shardId: string, reuse: boolean, signal: AbortSignal): Promise<TrainResult> {
  s.setStage('train', { status: 'running', progress: null, message: null });
  s.epochs.set([]);
  const settings = get(s.settings);
  const why = byLookAlone(s, shardId);
  if (why !== null) {
    const summary = await lookAlikeEngine(s, shardId, signal);
    s.setStage('train', { status: 'done', elapsedMs: summary.timingsMs.evaluate, message: `No training: ${why}` });
    return { ...summary, fallbacks: [], faultsMet: [] };
  }
  const result = await s.env.workers.train.call(
    'train',
    {
      shardId,
      embedding: embeddingSettingsOf(settings),
      train: trainSettingsOf(settings),
      featureModelId: await s.env.featureModelId(settings.model),
      backend: settings.backend,
      threads: settings.threads,
      reuse,
      inject: s.faults.worker,
    },
    {
      signal,
      onEvent: whileCurrent(s, signal, (e) => {
        if (e.type === 'progress') s.setStage('train', { progress: e.progress });
        else if (e.type === 'epoch') s.epochs.update((list) => [...list, e.report]);
        else {
          s.epochs.set([]);
          s.setStage('train', { message: e.reason });
        }
      }),
    },
  );
  s.setStage('train', { status: 'done', elapsedMs: result.timingsMs.train + result.timingsMs.evaluate });
  s.epochs.set(result.history);
  s.model.set(result);
  prepareSearch(s, shardId);
  s.runInfo.update((i) => ({ ...i, netReused: !result.trained }));
  return result;
}

/** Exact and near copies among the shard's images (after training: the first answer does not wait for it). A
 *  failure here costs the run nothing: the groups are left out and the sentence is logged. */
export async function findDuplicates(s: Session, shardId: string, signal?: AbortSignal) {
  const settings = get(s.settings);
  try {
    const report = await s.env.workers.embedding.call(
      'duplicates',
      { shardId, featureModelId: await s.env.featureModelId(settings.model), layer: NEAR_DUPLICATE_LAYER },
      { signal },
    );
    if (!signal || s.isCurrent(signal)) s.duplicates.set(report);
    return report;
  } catch (err) {
    if (signal?.aborted) throw err;
    console.error('[simage] duplicates:', (err as Error).message);
    return null;
  }
}

/** Search by look made the shard's engine in the training worker (every image's features, read once). */
export async function lookAlikeEngine(s: Session, shardId: string, signal?: AbortSignal) {
  const settings = get(s.settings);
  const summary = await s.env.workers.train.call(
    'lookAlike',
    { shardId, featureModelId: await s.env.featureModelId(settings.model), layer: settings.layer, k: settings.k },
    { signal, onEvent: signal ? whileCurrent(s, signal, (e) => s.setStage('train', { progress: e.progress })) : undefined },
  );
  s.model.set(summary);
  return summary;
}

/** Runs one stage (or, with `name` undefined, several) for the shard on show, outside a full load: a failure is
 *  shown on the stage's bar (every running one's) and as a sentence. */
async function stageAlone(s: Session, name: StageName | undefined, run: (shardId: string, signal: AbortSignal) => Promise<unknown>) {
  const shard = get(s.shard);
  if (!shard) return;
  const signal = s.beginJob();
  s.errorMessage.set(null);
  try {
    await run(shard.shardId, signal);
  } catch (err) {
    if (s.isCurrent(signal)) failRunning(s, err, name, () => stageAlone(s, name, run));
  } finally {
    s.endJob(signal);
  }
}

/** Recomputes only the label embedding (after a change of its settings). */
export const rerunEmbedding = (s: Session) => stageAlone(s, 'embedding', (shardId, signal) => embeddingStage(s, shardId, signal));

/** Trains again from scratch with the current settings (head, layer, target, epochs). */
export const retrain = (s: Session) => stageAlone(s, 'train', (shardId, signal) => trainStage(s, shardId, false, signal));

/** Applies new settings to the shard on show: recomputes what they make stale (recomputeFor), the label embedding
 *  then the net (reused when its settings and inputs are unchanged), or the net alone. */
export function applySettings(s: Session, next: Settings) {
  const stale = recomputeFor(get(s.settings), next);
  s.settings.set(next);
  if (stale.includes('features')) {
    // Another feature model: the whole run again over the same source (the load and the label embedding are reused
    // from the store; only the features this model lacks, then the net, are computed).
    const shard = get(s.shard);
    const source: ShardSource | null =
      shard?.source.kind === 'url' ? shard.source : shard && s.lastSourceShardId === shard.shardId ? s.lastSource : null;
    if (source) return s.runShard(source).catch(() => undefined);
    s.errorMessage.set(
      `Features of ${MODEL_SPECS[next.model].title} are computed from the images: load the collection again (its folder, archive or address) and they will be.`,
    );
    return Promise.resolve();
  }
  if (stale.includes('embedding'))
    return stageAlone(s, undefined, async (shardId, signal) => {
      await embeddingStage(s, shardId, signal);
      await trainStage(s, shardId, true, signal);
    });
  if (stale.includes('train')) return retrain(s);
  return Promise.resolve();
}

/** Builds the new model's engine in the training worker now (its label index and the predicted images: seconds at
 *  100,000 images), so that the first click after training, a reload or an import is answered as fast as the next.
 *  A query meanwhile waits for the same build; a failure here is the first query's to report. */
export function prepareSearch(s: Session, shardId: string) {
  s.env.workers.train.call('prepare', { shardId }).catch(() => undefined);
}

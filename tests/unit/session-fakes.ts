// Fake workers for the session's Node tests. They keep the real workers' contracts where the session depends on
// them: the ingest worker stores the shard in IndexedDB (fake-indexeddb), the feature worker skips stored features
// and stores the rest batch by batch, and every stage checks for a cancel between its steps. A stage listed in
// `hold` keeps stepping until it is cancelled, so a test can cancel it mid-way.
import { get } from 'svelte/store';
import { vi } from 'vitest';
import {
  cachedFeatureHashes,
  clearAll,
  heldConnection,
  listShardImages,
  openForJob,
  openSimageDb,
  putFeatures,
  putLabelFiles,
  putShard,
  type ShardRecord,
} from '../../src/lib/store/db';
import { sourceKey } from '../../src/lib/ingest/source-key';
import type { IngestMethods } from '../../src/lib/ingest/protocol';
import type { FeaturesMethods } from '../../src/lib/features/protocol';
import type { EmbeddingMethods } from '../../src/lib/embedding/protocol';
import { lookAlikeSummary, type ModelSummary, type TrainMethods, type TrainResult } from '../../src/lib/retrieval/protocol';
import type { Job } from '../../src/lib/rpc';
import { Session, type SessionEnv } from '../../src/session/session';
import type { StageName } from '../../src/session/state';
import { fakeWorker } from './fake-worker';
import type { Tabs, TabMessage } from '../../src/session/tabs';
import type { ProjectMethods } from '../../src/lib/project/protocol';
import { exportProject, importProject } from '../../src/lib/project/project';
import { FirstAnswers, storedFeatures } from '../../src/lib/retrieval/first-answers';
import type { QueryMethods } from '../../src/lib/retrieval/query-protocol';

export const MODEL_ID = 'inception-v3@test/1';
export const MOBILENET_ID = 'mobilenet-v2@test/1';
const idOf = (model: string | undefined) => (model === 'mobilenet-v2' ? MOBILENET_ID : MODEL_ID);
const summaryOf = (n: number) => ({ images: n, labelled: n, labels: 3, train: n / 2, validation: n / 2, test: 0, skipped: [] });

export interface FakeWorld {
  session: Session;
  env: SessionEnv;
  storage: Map<string, string>;
  /** Stages that keep stepping until cancelled ('probe': the features worker's `embed`, the speed probe's call). */
  hold: Set<StageName | 'probe'>;
  /** Calls each worker method received, in order. */
  calls: string[];
  /** The model the fake training worker holds (what `restore` answers). */
  stored: { model: ModelSummary | null };
  /** Loads fail as they do with the network off. */
  offline: boolean;
  /** The browser's history: its entries (addresses), the one shown, and Back / Forward (which fire popstate). */
  history: { entries: string[]; at: number; back(): void; forward(): void };
  /** Kills the feature worker as an uncaught error or a WASM abort does (its `error` event); how many were made. */
  featureWorker: { crash(message: string): void; created(): number };
}

async function stepUntilCancelled(job: Job<never>, hold: boolean | (() => boolean), steps = 3) {
  // (A held job whose worker was terminated is never cancelled: it gives up after about 10 s.) A hold given as a
  // function ends when it turns false.
  const held = typeof hold === 'function' ? hold : () => hold;
  for (let i = 0; (held() && i < 5000) || i < steps; i++) {
    job.throwIfCancelled();
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** `tabs` and a shared `stored` make several worlds tabs of one browser (one IndexedDB, as every world has). */
export function fakeWorld(
  images = 8,
  search = '',
  options: { tabs?: Tabs; stored?: FakeWorld['stored']; /** A collection with no labels (searched by look). */ unlabelled?: boolean } = {},
): FakeWorld {
  const storage = new Map<string, string>();
  const hold = new Set<StageName | 'probe'>();
  const calls: string[] = [];
  const stored: FakeWorld['stored'] = options.stored ?? { model: null };
  const ids = Array.from({ length: images }, (_, i) => `img${i}`);
  const world = { storage, hold, calls, stored, offline: false } as FakeWorld;

  const ingest = fakeWorker<IngestMethods>({
    load: async ({ source }, job) => {
      calls.push('load');
      if (world.offline) throw new (await import('../../src/lib/errors')).ShardError('The shard could not be fetched: the network is off.');
      job.emit({ type: 'progress', progress: { stage: 'load', done: 1, total: images, perSec: 1, etaS: 1 } });
      await stepUntilCancelled(job as Job<never>, hold.has('load'));
      const shardId = sourceKey(source);
      const db = await openForJob(job);
      const shardSummary = options.unlabelled
        ? { ...summaryOf(images), labelled: 0, labels: 0, format: 'none' as const, labelsUnusable: 'The collection has no labels.' }
        : summaryOf(images);
      const record: ShardRecord = {
        shardId,
        name: 'fake',
        source: source.kind === 'url' ? { kind: 'url', url: source.url } : { kind: 'files' },
        loadedAt: 0,
        summary: shardSummary,
        classes: [
          ['/m/a', 'Apple'],
          ['/m/b', 'Banana'],
        ],
        labelsHash: 'labels',
      };
      const list = ids.map((imageId, i) => ({
        imageId,
        path: `${imageId}.png`,
        hash: i.toString(16).padStart(64, '0'), // SHA-256 hex, as the real ingest makes
        width: 1,
        height: 1,
        split: (i % 2 ? 'validation' : 'train') as 'train' | 'validation',
        labels: options.unlabelled
          ? []
          : [{ labelName: '/m/a', confidence: 1 }, ...(i % 3 === 0 ? [{ labelName: '/m/b', confidence: 1 }] : [])],
        negatives: [],
      }));
      // The label file as read, so a review can export it with only its changes made.
      const csv = [
        'ImageID,Source,LabelName,Confidence',
        ...list.flatMap((im) => im.labels.map((l) => `${im.imageId},fake,${l.labelName},1`)),
      ];
      await putLabelFiles(db, { shardId, files: [{ path: 'shard/labels.csv', kind: 'labels-csv', text: csv.join('\n') + '\n' }] });
      await putShard(db, record, list);
      return { shardId, name: 'fake', summary: shardSummary, decoded: images, elapsedMs: 10 };
    },
  });

  const features = fakeWorker<FeaturesMethods>({
    extract: async ({ shardId, model }, job) => {
      calls.push('extract');
      const modelId = idOf(model);
      const db = await openForJob(job);
      const list = await listShardImages(db, shardId);
      const have = await cachedFeatureHashes(db, modelId);
      const todo = list.filter((im) => !have.has(im.hash));
      job.emit({ type: 'plan', images: list.length, cached: list.length - todo.length, toCompute: todo.length });
      if (todo.length) job.emit({ type: 'backend', backend: 'wasm', reason: 'fake', fallbacks: [], threads: 1, modelId });
      let done = 0;
      for (const im of todo) {
        // As the real worker does, the batch in flight when a cancel comes is finished, stored and reported first.
        await putFeatures(db, [{ modelId, hash: im.hash, flatten: new ArrayBuffer(8), mixed7: new ArrayBuffer(8) }]);
        done++;
        job.emit({ type: 'progress', progress: { stage: 'features', done, total: todo.length, perSec: 1, etaS: 0 } });
        job.throwIfCancelled();
        // A held extraction stores half its images, then works on one more until the cancel comes (or the hold ends).
        if (hold.has('features') && done >= todo.length / 2) {
          for (let i = 0; i < 5000 && !job.signal.aborted && hold.has('features'); i++) await new Promise((r) => setTimeout(r, 2));
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      return {
        computed: todo.length,
        forwardPasses: todo.length,
        cached: list.length - todo.length,
        failed: [],
        elapsedMs: 20,
        computeMs: todo.length ? 10 : 0,
        backend: todo.length ? 'wasm' : null,
        backendReason: todo.length ? 'fake' : null,
        modelId,
        fallbacks: [],
        faultsMet: [],
      };
    },
    embed: async ({ images: buffers, model }, job) => {
      calls.push(`embed ${model ?? 'inception-v3'} x${buffers.length}`);
      for (let i = 0; hold.has('probe') && i < 5000; i++) {
        job.throwIfCancelled();
        await new Promise((r) => setTimeout(r, 2));
      }
      // MobileNetV2 four times as fast as Inception v3, as the probe should find.
      const ms = model === 'mobilenet-v2' ? 50 : 200;
      return {
        flatten: new Float32Array(buffers.length * 2048),
        mixed7: new Float32Array(buffers.length * 768),
        modelId: MODEL_ID,
        backend: 'wasm',
        msPerImage: ms,
        forwardMsPerImage: ms,
        phashes: buffers.map(() => null),
      };
    },
  });

  const embedLabels =
    (name: 'embedLabels' | 'embedFeatures') => async (_req: unknown, job: Job<EmbeddingMethods['embedLabels']['event']>) => {
      calls.push(name);
      job.emit({ type: 'layout', imageIds: ids, layout: new Float32Array(images * 2), iteration: 1, total: 2, kl: 1.5 });
      job.emit({ type: 'progress', progress: { stage: 'tsne', done: 1, total: 2, perSec: 1, etaS: 1 } });
      await stepUntilCancelled(job as Job<never>, hold.has('embedding'));
      return {
        imageIds: ids,
        layout: new Float32Array(images * 2),
        trainIndex: Int32Array.from(ids.keys()).filter((i) => i % 2 === 0),
        similar: new Int32Array(0),
        k: 2,
        similarSetScore: 0.5,
        svd: new Float32Array(0),
        components: 2,
        vocabulary: ['/m/a', '/m/b'],
        basis: Float32Array.from([1, 0, 0, 1]),
        kl: 0.9,
        uniqueRows: 1,
        timingsMs: { svd: 1, layout: 2, sets: 3 },
        cached: false as const,
      };
    };
  const embedding = fakeWorker<EmbeddingMethods>({
    embedLabels: embedLabels('embedLabels'),
    embedFeatures: embedLabels('embedFeatures'),
    duplicates: async () => ({ groups: [], threshold: 0.95 }),
  });

  const train = fakeWorker<TrainMethods>(
    {
      lookAlike: async (req) => {
        calls.push('lookAlike');
        return lookAlikeSummary(req, images, 1);
      },
      train: async (req, job) => {
        calls.push(`train reuse=${req.reuse}`);
        const report = { epoch: 1, loss: 0.5, ms: 100, best: true, validation: { score: 0.3, precisionAtK: 0.4, map: 0.2 } };
        job.emit({ type: 'epoch', report, total: 2 });
        job.emit({ type: 'progress', progress: { stage: 'train', done: 1, total: 2, perSec: 1, etaS: 1 } });
        await stepUntilCancelled(job as Job<never>, () => hold.has('train'));
        const reused = req.reuse && stored.model !== null;
        const result: TrainResult = {
          head: 'embedding',
          layer: 'mixed7',
          target: 'svd',
          featureModelId: req.featureModelId,
          references: images / 2,
          k: 2,
          backend: 'wasm',
          imported: false,
          history: [report],
          evaluation: {
            k: 2,
            queries: images / 2,
            references: images / 2,
            score: { trained: 0.3, feature_knn: 0.2, random: 0.1, oracle: 0.9 },
            precision_at_k: { trained: 0.4, feature_knn: 0.3, random: 0.1, oracle: 1 },
            map: { trained: 0.2, feature_knn: 0.1, random: 0.05, oracle: 1 },
          },
          timingsMs: { train: 100, evaluate: 50 },
          trained: !reused,
          fallbacks: [],
          faultsMet: [],
          selection: { kind: 'holdout', size: 2 },
          tagger: { method: 'vote', k: 10 },
          labelQueries: true,
          quality: [],
        };
        stored.model = result;
        return result;
      },
      restore: async () => stored.model && { ...stored.model, trained: false },
      query: async ({ query, k, plus, minus }) => {
        calls.push(`query ${query.kind}${plus?.length ? ` +${plus.join('+')}` : ''}${minus?.length ? ` -${minus.join('-')}` : ''}`);
        return {
          results: ids
            .filter((id) => query.kind !== 'image' || id !== query.imageId)
            .slice(0, k)
            .map((imageId, i) => ({ imageId, score: 1 - i / 10, by: i % 2 ? ('prediction' as const) : ('labels' as const) })),
          tags: query.kind === 'labels' ? [] : [{ labelName: '/m/a', score: 0.9, given: true }],
          ms: 1,
        };
      },
      prepare: async () => ({ ms: 0 }),
      review: async () => ({
        suggestions: ids.slice(0, 4).map((imageId, i) => ({
          imageId,
          labelName: i % 2 ? '/m/b' : '/m/a',
          kind: i % 2 ? ('add' as const) : ('remove' as const),
          given: i % 2 ? 0 : 1,
          predicted: i % 2 ? 0.9 : 0.1,
          disagreement: 0.9 - i / 10,
          support: 10,
        })),
        images: ids.length,
      }),
      predictedLabels: async () => ({ rows: ids.map((id) => [id, '/m/a', 0.9] as [string, string, number]), images: ids.length }),
      export: async () => ({ file: new Blob(['zip']), name: 'fake.simage-model.zip' }),
      import: async () => {
        throw new (await import('../../src/lib/retrieval/modelfile')).ModelFileError('The model file is damaged.');
      },
    },
    Infinity,
  );

  const location = { href: `http://localhost/${search}`, search };
  const popListeners = new Set<() => void>();
  const show = (href: string) => {
    location.href = href;
    location.search = new URL(href).search;
  };
  const history: FakeWorld['history'] = (world.history = {
    entries: [location.href],
    at: 0,
    back() {
      if (this.at === 0) return;
      show(this.entries[--this.at]);
      popListeners.forEach((l) => l());
    },
    forward() {
      if (this.at === this.entries.length - 1) return;
      show(this.entries[++this.at]);
      popListeners.forEach((l) => l());
    },
  });
  // The project worker's real kernels over the same fake IndexedDB; its file is written to memory, not OPFS.
  const project = fakeWorker<ProjectMethods>({
    exportProject: async (req, job) => {
      const db = await openForJob(job);
      const chunks: Uint8Array[] = [];
      const summary = await exportProject(
        db,
        { shardId: req.shardId, models: req.models },
        new WritableStream({ write: (c) => void chunks.push(c.slice()) }),
      );
      return { file: new File(chunks as BlobPart[], 'fake.simage'), name: 'fake.simage', summary, elapsedMs: 1 };
    },
    importProject: async (req, job) => {
      const db = await openForJob(job);
      return { ...(await importProject(db, req.file, undefined, job.signal)), elapsedMs: 1 };
    },
  });
  // The query worker is its real engine over the same fake IndexedDB.
  const answers = new FirstAnswers(storedFeatures(heldConnection));
  const query = fakeWorker<QueryMethods>({ lookAlike: (req) => answers.answer(req) });
  const env: SessionEnv = {
    workers: {
      query: query.client,
      ingest: ingest.client,
      features: features.client,
      embedding: embedding.client,
      train: train.client,
      project: project.client,
    },
    storage: {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => void storage.set(k, v),
      removeItem: (k) => void storage.delete(k),
    },
    location,
    history: {
      pushState: (_data, _unused, href) => {
        history.entries.splice(++history.at, Infinity, href);
        show(href);
      },
      replaceState: (_data, _unused, href) => {
        history.entries[history.at] = href;
        show(href);
      },
    },
    onPopState: (listener) => {
      popListeners.add(listener);
      return () => popListeners.delete(listener);
    },
    storageManager: {
      estimate: async () => ({ usage: 1000, quota: 10_000 }),
      persisted: async () => false,
      persist: async () => true,
    },
    featureModelId: async (model) => idOf(model),
    tabs: options.tabs,
  };
  const session = new Session(env);
  world.session = session;
  world.featureWorker = features;
  world.env = env;
  return world;
}

/** Resolves once `stage` runs (with some progress), so a test can cancel it there. */
export async function whenRunning(session: Session, stage: StageName) {
  await vi.waitFor(
    () => {
      const s = get(session.stages)[stage];
      if (s.status !== 'running' || !s.progress) throw new Error(`${stage} not running yet`);
    },
    { timeout: 5000, interval: 2 },
  );
}

/** Ends a world: its workers stop and the fake database is emptied for the next test. */
export async function endWorld(world: FakeWorld | null) {
  if (world) for (const w of Object.values(world.env.workers)) w.terminate();
  const db = await openSimageDb();
  await clearAll(db);
  db.close();
}

/** Tabs of one browser for the fake worlds: Web Locks (a queue per name, released when the holder's work ends)
 *  and a BroadcastChannel (a message reaches every other tab, as a structured clone, a task later). */
export function browserOfTabs() {
  const queues = new Map<string, Promise<void>>();
  const listeners = new Set<{ tab: number; listener: (m: TabMessage) => void }>();
  let tabs = 0;
  return (): Tabs => {
    const tab = ++tabs;
    return {
      async exclusive(name, signal, waiting, work) {
        const before = queues.get(name);
        let release!: () => void;
        const mine = new Promise<void>((resolve) => (release = resolve));
        const queue = (before ?? Promise.resolve()).then(() => mine);
        queues.set(name, queue);
        try {
          if (before) {
            waiting();
            await new Promise<void>((resolve, reject) => {
              void before.then(resolve);
              signal.addEventListener('abort', () => reject(new DOMException('The lock request is aborted', 'AbortError')), { once: true });
            });
          }
          return await work(!!before);
        } finally {
          release();
          if (queues.get(name) === queue) queues.delete(name);
        }
      },
      post(message) {
        for (const l of listeners) if (l.tab !== tab) setTimeout(() => l.listener(structuredClone(message)));
      },
      listen(listener) {
        const entry = { tab, listener };
        listeners.add(entry);
        return () => void listeners.delete(entry);
      },
    };
  };
}

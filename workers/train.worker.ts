// Training worker: owns the retrieval net. Trains a head on a shard's cached features and label embedding
// (src/lib/retrieval), evaluates it against the baselines, keeps the best weights in IndexedDB (one model per
// shard), answers queries, and exports and imports the model file. Thin: the math and the stored model's assembly
// are src/lib/retrieval, the backend session is tf-backend.ts.
import { FLATTEN_DIM, MIXED7_DIM } from '../src/lib/features/model';
import { embeddingKey } from '../src/lib/embedding/run';
import { assembleTask } from '../src/lib/retrieval/data';
import { evaluateRetrieval } from '../src/lib/retrieval/evaluate';
import { maxSetsReferences, rank, trainHead, type FeatureLayer, type Retriever, type TrainOutcome } from '../src/lib/retrieval/heads';
import { incompatibility, unpackModelFile, ModelFileError } from '../src/lib/retrieval/modelfile';
import type { ImportRequest, QueryRequest, RestoreRequest, TrainMethods, TrainRequest } from '../src/lib/retrieval/protocol';
import { exportFile, importedRecord, retrieverFrom, summaryOf, trainedRecord, type StoredModel } from '../src/lib/retrieval/stored-model';
import { ShardError, CancelledError } from '../src/lib/errors';
import { measureProgress } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import { seededRandom } from '../src/lib/random';
import { contentHash } from '../src/lib/hash';
import { getEmbedding, getFeature, getModel, getShard, listShardImages, openForJob, putModel, type Db } from '../src/lib/store/db';
import { BackendSession, InjectedFaults } from './tf-backend';
import { BackendLostError, type BackendFallback } from '../src/lib/faults';
import { speedUpWasmMatMul } from '../src/lib/retrieval/wasm-matmul';

const base = new URL(import.meta.env.BASE_URL, self.location.origin).href;
// The trained net lives on the first backend that started; a later job does not move it to another.
const backends = new BackendSession({
  base,
  keepFirst: true,
  prepare: async (name) => {
    if (name === 'wasm') speedUpWasmMatMul();
  },
});

// ---- the model in use --------------------------------------------------------------------------------------------
interface Current {
  shardId: string;
  retriever: Retriever;
  record: StoredModel;
}
let current: Current | null = null;

function setCurrent(record: StoredModel, retriever: Retriever) {
  if (current && current.retriever !== retriever) {
    current.retriever.model.dispose();
    current.retriever.refs?.dispose();
  }
  current = { shardId: record.shardId, retriever, record };
}

const dimOf = (layer: FeatureLayer) => (layer === 'flatten' ? FLATTEN_DIM : MIXED7_DIM);

async function readFeatures(db: Db, modelId: string, hashes: Iterable<string>, layer: FeatureLayer): Promise<Map<string, Float32Array>> {
  const unique = [...new Set(hashes)];
  const out = new Map<string, Float32Array>();
  const records = await Promise.all(unique.map((h) => getFeature(db, modelId, h)));
  records.forEach((r, i) => {
    if (r) out.set(unique[i], new Float32Array(layer === 'flatten' ? r.flatten : r.mixed7));
  });
  return out;
}

/** Loads a stored model and makes it the one that answers queries for its shard. */
async function useStored(record: StoredModel, req: Pick<RestoreRequest, 'backend' | 'threads'>) {
  await backends.ensure(req.backend, req.threads);
  setCurrent(record, await retrieverFrom(record));
}

// ---- jobs --------------------------------------------------------------------------------------------------------
async function train(req: TrainRequest, job: Job<TrainMethods['train']['event']>): Promise<TrainMethods['train']['result']> {
  const db = await openForJob(job);
  const shard = await getShard(db, req.shardId);
  if (!shard) throw new ShardError('The shard is no longer in the cache; load it again.');
  const embKey = embeddingKey(req.embedding);
  const trainKey = await contentHash(
    new TextEncoder().encode(JSON.stringify({ v: 1, model: req.featureModelId, labels: shard.labelsHash, embKey, train: req.train })),
  );
  if (req.reuse) {
    const stored = await getModel(db, req.shardId);
    if (stored && stored.trainKey === trainKey) {
      await useStored(stored, req);
      return { ...summaryOf(stored, false, backends.backend), fallbacks: [], faultsMet: [] };
    }
  }
  const emb = await getEmbedding(db, req.shardId, embKey, shard.labelsHash);
  if (!emb) throw new ShardError('The label embedding for these settings is not stored yet; run it first.');
  const images = await listShardImages(db, req.shardId);
  const dim = dimOf(req.train.layer);
  const features = await readFeatures(
    db,
    req.featureModelId,
    images.map((im) => im.hash),
    req.train.layer,
  );
  const task = assembleTask(images, emb, features, dim, req.train.target);
  const r = task.refIds.length;
  const limit = maxSetsReferences(dim);
  if (req.train.head === 'sets' && r > limit) {
    throw new ShardError(
      `The 2017 'sets' head needs one output per reference image and would not fit in memory for ${r.toLocaleString('en')} references (the limit here is ${limit.toLocaleString('en')}). Choose the 'embedding' head, which has no such limit.`,
    );
  }
  if (r < 2) throw new ShardError('Training needs at least 2 training images with features and labels.');
  if (task.queryIds.length === 0) {
    throw new ShardError(
      'Training needs labelled validation images (to choose the best epoch and to evaluate); this shard has none with features.',
    );
  }
  const settings = { ...req.train, k: Math.min(req.train.k, r) };
  const started = Date.now();
  const fallbacks: BackendFallback[] = [];
  const faults = new InjectedFaults(req.inject);
  let epochsHere = 0;
  // Training survives the loss of its backend: the lost one is left for good and training starts again on the
  // next backend of the plan (the features and the embedding it reads are stored, so nothing else is redone).
  const outcome: TrainOutcome = await backends.surviving(
    req.backend,
    req.threads,
    (gpu) => {
      epochsHere = 0;
      return trainHead(task.data, settings, {
        random: seededRandom(settings.seed),
        shouldStop: () => job.signal.aborted,
        guard: gpu ? gpu.guard : undefined,
        onEpoch: async (report) => {
          epochsHere = report.epoch;
          job.emit({ type: 'epoch', report, total: settings.epochs });
          const detail = `validation score ${report.validation.score.toFixed(4)}`;
          job.emit({ type: 'progress', progress: measureProgress('train', report.epoch, settings.epochs, started, Date.now(), detail) });
          faults.strikeGpu(gpu); // after the first epoch
          const failure = gpu?.failure();
          if (failure) throw new BackendLostError(failure);
          await new Promise((res) => setTimeout(res, 0)); // let a cancel in
        },
      });
    },
    {
      onSwitch: (c) => {
        fallbacks.push({ stage: 'train', ...c, after: epochsHere });
        job.emit({ type: 'restart', reason: `${c.from} failed (${c.reason}); training again on ${c.to}` });
      },
    },
  );
  if (outcome.cancelled && !outcome.best) throw new CancelledError();
  const trainMs = Date.now() - started;
  const t1 = Date.now();
  const evaluation = await evaluateRetrieval(task.data, outcome.retriever, settings.k, settings.seed);
  const record = await trainedRecord({
    shard,
    trainKey,
    embeddingKey: embKey,
    embedding: req.embedding,
    featureModelId: req.featureModelId,
    featureDim: dim,
    settings,
    backend: backends.backend!,
    task,
    outcome,
    evaluation,
    timingsMs: { train: trainMs, evaluate: Date.now() - t1 },
  });
  await putModel(db, record);
  setCurrent(record, outcome.retriever);
  return { ...summaryOf(record, true, backends.backend), fallbacks, faultsMet: faults.met };
}

async function restore(req: RestoreRequest, job: Job<never>): Promise<TrainMethods['restore']['result']> {
  if (current?.shardId === req.shardId) return summaryOf(current.record, false, backends.backend);
  const db = await openForJob(job);
  const stored = await getModel(db, req.shardId);
  if (!stored) return null;
  await useStored(stored, req);
  return summaryOf(stored, false, backends.backend);
}

async function query(req: QueryRequest, job: Job<never>): Promise<TrainMethods['query']['result']> {
  const t0 = performance.now();
  const model = current;
  if (!model || model.shardId !== req.shardId)
    throw new ShardError('No trained model for this shard yet: train one or import a model file.');
  const layer = model.record.manifest.layer;
  let x: Float32Array;
  if (req.query.kind === 'features') x = layer === 'flatten' ? req.query.flatten : req.query.mixed7;
  else {
    const db = await openForJob(job);
    const image = await db.get('images', [req.shardId, req.query.imageId]);
    const f = image ? await getFeature(db, model.record.manifest.featureModelId, image.hash) : undefined;
    if (!f) throw new ShardError('This image has no features yet; wait for the feature stage to finish.');
    x = new Float32Array(layer === 'flatten' ? f.flatten : f.mixed7);
  }
  const scores: Float32Array[] = [];
  const [top] = await rank(model.retriever, x, 1, req.k, 1, scores);
  const results = Array.from(top, (j, i) => ({ imageId: model.record.manifest.references[j], score: scores[0][i] }));
  return { results, ms: performance.now() - t0 };
}

async function exportModel(req: { shardId: string }, job: Job<never>): Promise<TrainMethods['export']['result']> {
  const stored = current?.shardId === req.shardId ? current.record : await getModel(await openForJob(job), req.shardId);
  if (!stored) throw new ShardError('There is no trained model to export yet.');
  return exportFile(stored);
}

async function importModel(req: ImportRequest, job: Job<never>): Promise<TrainMethods['import']['result']> {
  const parts = await unpackModelFile(req.file);
  const db = await openForJob(job);
  const shard = await getShard(db, req.shardId);
  if (!shard) throw new ShardError('Load the shard this model was made for before importing it.');
  const images = await listShardImages(db, req.shardId);
  const why = incompatibility(parts.manifest, {
    featureModelId: req.featureModelId,
    shardLabelsHash: shard.labelsHash,
    shardName: shard.name,
    imageIds: new Set(images.map((im) => im.imageId)),
  });
  if (why) throw new ModelFileError(why);
  const record = importedRecord(req.shardId, parts);
  await backends.ensure(req.backend, req.threads);
  const retriever = await retrieverFrom(record);
  // Only now, with everything checked and loaded, does the imported model replace the current one.
  await putModel(db, record);
  setCurrent(record, retriever);
  return summaryOf(record, false, backends.backend);
}

serve<TrainMethods>(
  { train, restore, query, export: exportModel, import: importModel },
  {
    train: 'Training failed',
    restore: 'The stored model could not be loaded',
    query: 'The search failed',
    export: 'Exporting the model failed',
    import: 'Importing the model failed',
  },
  self,
);

// Training worker: owns the retrieval net. Trains a head on a shard's cached features and label embedding
// (src/lib/retrieval), evaluates it against the baselines, keeps the best weights in IndexedDB (one model per
// shard), answers queries, and exports and imports the model file. Thin: the math is src/lib/retrieval.
import * as tf from '@tensorflow/tfjs';
import { planBackends, type BackendChoice, type BackendName } from '../src/lib/features/backend';
import { FLATTEN_DIM, MIXED7_DIM } from '../src/lib/features/model';
import { embeddingKey } from '../src/lib/embedding/run';
import { assembleTask } from '../src/lib/retrieval/data';
import {
  featureKnn,
  maxSetsReferences,
  rank,
  trainHead,
  type FeatureLayer,
  type Retriever,
  type TrainSettings,
} from '../src/lib/retrieval/heads';
import { evaluateRankings, oracleRankings, randomRankings } from '../src/lib/retrieval/metrics';
import {
  incompatibility,
  packModelFile,
  unpackModelFile,
  ModelFileError,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
} from '../src/lib/retrieval/modelfile';
import type {
  ExportRequest,
  ImportRequest,
  ModelSummary,
  QueryRequest,
  RestoreRequest,
  RetrievalEvaluation,
  StoredModel,
  TrainRequest,
  TrainWorkerReply,
  TrainWorkerRequest,
} from '../src/lib/retrieval/protocol';
import { measureProgress } from '../src/lib/progress';
import { CancelledError, errorReply } from '../src/lib/protocol';
import { seededRandom } from '../src/lib/random';
import { contentHash } from '../src/lib/hash';
import { getEmbedding, getFeature, getModel, getShard, listShardImages, openSimageDb, putModel, type Db } from '../src/lib/store/db';
import { initBackend, probePlatform, watchWebGpu } from './tf-backend';
import { BackendLostError, isBackendLoss, type BackendFallback } from '../src/lib/faults';
import { speedUpWasmMatMul } from '../src/lib/retrieval/wasm-matmul';

const post = (m: TrainWorkerReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const cancelled = new Set<number>();
const base = new URL(import.meta.env.BASE_URL, self.location.origin).href;

self.onmessage = (event: MessageEvent<TrainWorkerRequest>) => {
  const msg = event.data;
  if (msg.type === 'cancel') cancelled.add(msg.jobId);
  else if (msg.type === 'train') train(msg).catch((err) => post(errorReply(msg.jobId, err, 'Training failed')));
  else if (msg.type === 'restore') restore(msg).catch((err) => post(errorReply(msg.jobId, err, 'The stored model could not be loaded')));
  else if (msg.type === 'query') query(msg).catch((err) => post(errorReply(msg.jobId, err, 'The search failed')));
  else if (msg.type === 'export') exportModel(msg).catch((err) => post(errorReply(msg.jobId, err, 'Exporting the model failed')));
  else if (msg.type === 'import') importModel(msg).catch((err) => post(errorReply(msg.jobId, err, 'Importing the model failed')));
};

// ---- backend ---------------------------------------------------------------------------------------------------
let backend: BackendName | null = null;
/** Backends that failed in the middle of training in this worker (device lost, out of memory): not tried again. */
const lostBackends = new Map<BackendName, string>();
async function ensureBackend(choice: BackendChoice, threads: number): Promise<BackendName> {
  if (backend) return backend;
  const plan = planBackends(choice, await probePlatform());
  const errors: string[] = [];
  for (const name of plan.order) {
    if (lostBackends.has(name)) {
      errors.push(`${name}: left after ${lostBackends.get(name)}`);
      continue;
    }
    try {
      await initBackend(name, threads, base);
      if (name === 'wasm') speedUpWasmMatMul();
      backend = name;
      return name;
    } catch (err) {
      errors.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`No TensorFlow.js backend could start: ${errors.join('; ')}`);
}

// ---- the model in use --------------------------------------------------------------------------------------------
interface Current {
  shardId: string;
  retriever: Retriever;
  refIds: string[];
  layer: FeatureLayer;
  record: StoredModel;
}
let current: Current | null = null;

function setCurrent(next: Current | null) {
  if (current && current.retriever !== next?.retriever) {
    current.retriever.model.dispose();
    current.retriever.refs?.dispose();
  }
  current = next;
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

async function retrieverFrom(record: StoredModel): Promise<Retriever> {
  const weightSpecs = record.modelJson.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: record.modelJson.modelTopology as tf.io.ModelJSON['modelTopology'],
      weightSpecs,
      weightData: record.weights,
    }),
  );
  const m = record.manifest;
  const refs =
    m.head === 'embedding' && record.references
      ? tf.tensor2d(new Float32Array(record.references), [m.references.length, m.targetDim])
      : null;
  return { head: m.head, target: m.target, model, refs };
}

/** Loads a stored model and makes it the one that answers queries for its shard. */
async function useStored(record: StoredModel, req: { backend: BackendChoice; threads: number }) {
  await ensureBackend(req.backend, req.threads);
  const retriever = await retrieverFrom(record);
  setCurrent({ shardId: record.shardId, retriever, refIds: record.manifest.references, layer: record.manifest.layer, record });
}

function summary(record: StoredModel, trained: boolean): ModelSummary {
  const m = record.manifest;
  return {
    head: m.head,
    layer: m.layer,
    target: m.target,
    references: m.references.length,
    k: m.k,
    backend,
    imported: record.imported,
    history: record.history,
    evaluation: record.evaluation,
    timingsMs: record.timingsMs,
    trained,
  };
}

// ---- jobs --------------------------------------------------------------------------------------------------------
async function train(req: TrainRequest) {
  const db = await openSimageDb();
  try {
    const shard = await getShard(db, req.shardId);
    if (!shard) throw Object.assign(new Error('The shard is no longer in the cache; load it again.'), { name: 'ShardError' });
    const embKey = embeddingKey(req.embedding);
    const trainKey = await contentHash(
      new TextEncoder().encode(JSON.stringify({ v: 1, model: req.featureModelId, labels: shard.labelsHash, embKey, train: req.train })),
    );
    if (req.reuse) {
      const stored = await getModel(db, req.shardId);
      if (stored && stored.trainKey === trainKey) {
        await useStored(stored, req);
        post({ type: 'trained', jobId: req.jobId, ...summary(stored, false) });
        return;
      }
    }
    const emb = await getEmbedding(db, req.shardId, embKey, shard.labelsHash);
    if (!emb)
      throw Object.assign(new Error('The label embedding for these settings is not stored yet; run it first.'), { name: 'ShardError' });
    const images = await listShardImages(db, req.shardId);
    const s: TrainSettings = req.train;
    const dim = dimOf(s.layer);
    const features = await readFeatures(
      db,
      req.featureModelId,
      images.map((im) => im.hash),
      s.layer,
    );
    const task = assembleTask(images, emb, features, dim, s.target);
    const r = task.refIds.length;
    const limit = maxSetsReferences(dim);
    if (s.head === 'sets' && r > limit) {
      throw Object.assign(
        new Error(
          `The 2017 'sets' head needs one output per reference image and would not fit in memory for ${r.toLocaleString('en')} references (the limit here is ${limit.toLocaleString('en')}). Choose the 'embedding' head, which has no such limit.`,
        ),
        { name: 'ShardError' },
      );
    }
    if (r < 2)
      throw Object.assign(new Error('Training needs at least 2 training images with features and labels.'), { name: 'ShardError' });
    if (task.queryIds.length === 0)
      throw Object.assign(
        new Error(
          'Training needs labelled validation images (to choose the best epoch and to evaluate); this shard has none with features.',
        ),
        { name: 'ShardError' },
      );
    const k = Math.min(s.k, r);
    const settings = { ...s, k };
    let used = await ensureBackend(req.backend, req.threads);
    const started = Date.now();
    const fallbacks: BackendFallback[] = [];
    const inject = new Set(req.inject ?? []);
    const faultsMet: string[] = [];
    let outcome: Awaited<ReturnType<typeof trainHead>>;
    // Training survives the loss of its backend: the lost one is left for good and training starts again on the
    // next backend of the plan (the features and the embedding it reads are stored, so nothing else is redone).
    for (;;) {
      const gpu = used === 'webgpu' ? watchWebGpu() : null;
      let epochsHere = 0;
      try {
        outcome = await trainHead(task.data, settings, {
          random: seededRandom(settings.seed),
          shouldStop: () => cancelled.has(req.jobId),
          guard: gpu ? gpu.guard : undefined,
          onEpoch: async (report) => {
            epochsHere = report.epoch;
            post({ type: 'epoch', jobId: req.jobId, report, total: settings.epochs });
            post({
              type: 'progress',
              jobId: req.jobId,
              progress: measureProgress(
                'train',
                report.epoch,
                settings.epochs,
                started,
                Date.now(),
                `validation score ${report.validation.score.toFixed(4)}`,
              ),
            });
            // Injected GPU faults strike once, after the first epoch, on a WebGPU device only.
            for (const fault of ['device-lost', 'oom'] as const) {
              if (inject.has(fault) && gpu && !faultsMet.includes(fault)) {
                faultsMet.push(fault);
                gpu.cause(fault);
              }
            }
            if (gpu?.failure()) throw new BackendLostError(gpu.failure()!);
            await new Promise((res) => setTimeout(res, 0)); // let a cancel in
          },
        });
        if (gpu?.failure()) throw new BackendLostError(gpu.failure()!);
        break;
      } catch (err) {
        if (!isBackendLoss(err)) throw err;
        const reason = (err as Error).message;
        lostBackends.set(used, reason);
        backend = null;
        const next = await ensureBackend(req.backend, req.threads);
        fallbacks.push({ stage: 'train', from: used, to: next, reason, after: epochsHere });
        post({ type: 'restart', jobId: req.jobId, reason: `${used} failed (${reason}); training again on ${next}` });
        used = next;
      }
    }
    if (outcome.cancelled && !outcome.best) throw new CancelledError();
    const trainMs = Date.now() - started;
    // Evaluation on the validation split: the net, raw-feature cosine kNN, random lists and the oracle.
    const t1 = Date.now();
    const { data } = task;
    const nq = data.task.queryRows.length;
    const trainedLists = await rank(outcome.retriever, data.valX, nq, k);
    const knnLists = await featureKnn(data.trainX, data.valX, dim, k);
    const lists = {
      trained: trainedLists,
      feature_knn: knnLists,
      random: randomRankings(data.task, k, seededRandom(settings.seed + 7)),
      oracle: oracleRankings(data.task, k),
    };
    const evaluation: RetrievalEvaluation = {
      k,
      queries: nq,
      references: r,
      score: {} as never,
      precision_at_k: {} as never,
      map: {} as never,
    };
    for (const [name, l] of Object.entries(lists) as [keyof typeof lists, Int32Array[]][]) {
      const m = evaluateRankings(data.task, l, k);
      evaluation.score[name] = m.score;
      evaluation.precision_at_k[name] = m.precisionAtK;
      evaluation.map[name] = m.map;
    }
    const evaluateMs = Date.now() - t1;
    // Save: the net's artifacts, the manifest (what an export carries) and the run's record.
    const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
      void outcome.retriever.model.save(
        tf.io.withSaveHandler(async (a) => {
          resolve(a);
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
    });
    const weights = Array.isArray(artifacts.weightData)
      ? tf.io.concatenateArrayBuffers(artifacts.weightData)
      : (artifacts.weightData as ArrayBuffer);
    const record: StoredModel = {
      shardId: req.shardId,
      trainKey,
      manifest: {
        format: MODEL_FORMAT,
        version: MODEL_FORMAT_VERSION,
        head: settings.head,
        layer: settings.layer,
        target: settings.target,
        k,
        featureModelId: req.featureModelId,
        featureDim: dim,
        targetDim: settings.head === 'embedding' ? data.targetDim : 0,
        shard: { id: shard.shardId, name: shard.name, labelsHash: shard.labelsHash },
        references: task.refIds,
        vocabulary: task.vocabulary,
        embedding: {
          key: embKey,
          layout: req.embedding.layout,
          components: req.embedding.components,
          perplexity: req.embedding.perplexity,
          iterations: req.embedding.iterations,
          k: req.embedding.k,
          seed: req.embedding.seed,
        },
        training: {
          epochs: outcome.history.length,
          bestEpoch: outcome.best?.epoch ?? 0,
          validationScore: outcome.best?.validation.score ?? 0,
          settings: { ...settings, backend: used },
        },
        createdAt: new Date().toISOString(),
      },
      modelJson: {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
      },
      weights,
      references: settings.head === 'embedding' ? data.targets.slice().buffer : null,
      history: outcome.history,
      evaluation,
      timingsMs: { train: trainMs, evaluate: evaluateMs },
      imported: false,
      savedAt: Date.now(),
    };
    await putModel(db, record);
    setCurrent({ shardId: req.shardId, retriever: outcome.retriever, refIds: task.refIds, layer: settings.layer, record });
    post({ type: 'trained', jobId: req.jobId, ...summary(record, true), fallbacks, faultsMet });
  } finally {
    db.close();
  }
}

async function restore(req: RestoreRequest) {
  if (current?.shardId === req.shardId) {
    post({ type: 'trained', jobId: req.jobId, ...summary(current.record, false) });
    return;
  }
  const db = await openSimageDb();
  try {
    const stored = await getModel(db, req.shardId);
    if (!stored) {
      post({ type: 'none', jobId: req.jobId });
      return;
    }
    await useStored(stored, req);
    post({ type: 'trained', jobId: req.jobId, ...summary(stored, false) });
  } finally {
    db.close();
  }
}

async function query(req: QueryRequest) {
  const t0 = performance.now();
  if (!current || current.shardId !== req.shardId)
    throw Object.assign(new Error('No trained model for this shard yet: train one or import a model file.'), { name: 'ShardError' });
  let x: Float32Array;
  if (req.query.kind === 'features') x = current.layer === 'flatten' ? req.query.flatten : req.query.mixed7;
  else {
    const db = await openSimageDb();
    try {
      const images = await db.get('images', [req.shardId, req.query.imageId]);
      const f = images ? await getFeature(db, current.record.manifest.featureModelId, images.hash) : undefined;
      if (!f)
        throw Object.assign(new Error('This image has no features yet; wait for the feature stage to finish.'), { name: 'ShardError' });
      x = new Float32Array(current.layer === 'flatten' ? f.flatten : f.mixed7);
    } finally {
      db.close();
    }
  }
  const scores: Float32Array[] = [];
  const [top] = await rank(current.retriever, x, 1, req.k, 1, scores);
  const results = Array.from(top, (j, i) => ({ imageId: current!.refIds[j], score: scores[0][i] }));
  post({ type: 'results', jobId: req.jobId, results, ms: performance.now() - t0 });
}

async function exportModel(req: ExportRequest) {
  const db = await openSimageDb();
  try {
    const stored = current?.shardId === req.shardId ? current.record : await getModel(db, req.shardId);
    if (!stored) throw Object.assign(new Error('There is no trained model to export yet.'), { name: 'ShardError' });
    const file = await packModelFile({
      manifest: stored.manifest,
      modelJson: stored.modelJson,
      weights: new Uint8Array(stored.weights),
      references: stored.references ? new Uint8Array(stored.references) : null,
    });
    const safe = stored.manifest.shard.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'shard';
    post({ type: 'exported', jobId: req.jobId, file, name: `${safe}.${stored.manifest.head}.simage-model.zip` });
  } finally {
    db.close();
  }
}

async function importModel(req: ImportRequest) {
  const parts = await unpackModelFile(req.file);
  const db = await openSimageDb();
  try {
    const shard = await getShard(db, req.shardId);
    if (!shard) throw Object.assign(new Error('Load the shard this model was made for before importing it.'), { name: 'ShardError' });
    const images = await listShardImages(db, req.shardId);
    const why = incompatibility(parts.manifest, {
      featureModelId: req.featureModelId,
      shardLabelsHash: shard.labelsHash,
      shardName: shard.name,
      imageIds: new Set(images.map((im) => im.imageId)),
    });
    if (why) throw new ModelFileError(why);
    const { files: _files, ...manifest } = parts.manifest;
    const record: StoredModel = {
      shardId: req.shardId,
      trainKey: `imported:${parts.manifest.files['weights.bin']}`,
      manifest,
      modelJson: parts.modelJson,
      weights: parts.weights.slice().buffer,
      references: parts.references ? parts.references.slice().buffer : null,
      history: [],
      evaluation: null,
      timingsMs: { train: 0, evaluate: 0 },
      imported: true,
      savedAt: Date.now(),
    };
    await ensureBackend(req.backend, req.threads);
    let retriever: Retriever;
    try {
      retriever = await retrieverFrom(record);
    } catch (err) {
      throw new ModelFileError(`The model file's net cannot be loaded (${(err as Error).message}). Nothing was changed.`);
    }
    // Only now, with everything checked and loaded, does the imported model replace the current one.
    await putModel(db, record);
    setCurrent({ shardId: req.shardId, retriever, refIds: manifest.references, layer: manifest.layer, record });
    post({ type: 'trained', jobId: req.jobId, ...summary(record, false) });
  } finally {
    db.close();
  }
}

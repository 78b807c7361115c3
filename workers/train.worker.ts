// Training worker: owns the retrieval net. Trains a head on a shard's cached features and label embedding
// (src/lib/retrieval), evaluates it against the baselines, keeps the best weights in IndexedDB (one model per
// shard), answers queries, and exports and imports the model file. Thin: the math and the stored model's assembly
// are src/lib/retrieval, the backend session is tf-backend.ts.
import { featureModelId, specOfModelId } from '../src/lib/features/model';
import { extractorRecord, preprocessRecord, readExtractorFiles } from '../src/lib/features/extractor-files';
import { embeddingKey } from '../src/lib/embedding/run';
import { assembleTask } from '../src/lib/retrieval/data';
import { evaluateRetrieval } from '../src/lib/retrieval/evaluate';
import {
  maxSetsReferences,
  featureReferences,
  predictVectors,
  rank,
  setReferences,
  trainHead,
  type FeatureLayer,
  type Retriever,
  type TrainOutcome,
  type TrainSettings,
} from '../src/lib/retrieval/heads';
import { DEFAULT_TRAIN } from '../src/lib/retrieval/train-settings';
import { evaluateLabels, remapSpace } from '../src/lib/retrieval/label-eval';
import { chooseCalibration, evaluateHubness } from '../src/lib/retrieval/calibration';
import { LabelIndex } from '../src/lib/retrieval/label-index';
import { CopyHashes } from '../src/lib/retrieval/copies';
import { PHASH_WORDS } from '../src/lib/duplicates/phash';
import { perceptualHashOfThumb } from './pixels';
import { SUGGEST, VOTE_KS, type Suggestion, type Tagger } from '../src/lib/retrieval/tagging';
import { scoreSuggestions, type ReviewEvaluation } from '../src/lib/retrieval/review-eval';
import { CROSSFIT_FOLDS, foldsOf, reviewMethod, trainOutOfFold, type ReviewMethod } from '../src/lib/retrieval/crossfit';
import type { Planted } from '../src/lib/ingest/plant';
import { answerImage, answerWords, collectionOf, modelIndex, neighbourhoods, type Engine } from '../src/lib/retrieval/searcher';
import { incompatibility, unpackModelFile, ModelFileError } from '../src/lib/retrieval/modelfile';
import {
  lookAlikeSummary,
  type ExportRequest,
  type ImportRequest,
  type LookAlikeRequest,
  type ModelSummary,
  type QueryRequest,
  type RestoreRequest,
  type TrainMethods,
  type TrainRequest,
} from '../src/lib/retrieval/protocol';
import { LookAlikeIndex } from '../src/lib/retrieval/look-alike';
import {
  exportFile,
  importedRecord,
  labelSpaceOf,
  retrieverFrom,
  summaryOf,
  trainedRecord,
  DEFAULT_TAGGER,
  type StoredModel,
} from '../src/lib/retrieval/stored-model';
import { ShardError, CancelledError } from '../src/lib/errors';
import { measureProgress } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import { seededRandom } from '../src/lib/random';
import { contentHash } from '../src/lib/hash';
import {
  getEmbedding,
  getFeature,
  getModel,
  getShard,
  heldConnection,
  listShardImages,
  openForJob,
  putModel,
  readShardFeatures,
  type Db,
} from '../src/lib/store/db';
import { BackendSession, InjectedFaults } from './tf-backend';
import { BackendLostError, type BackendFallback } from '../src/lib/faults';
import { speedUpWasmMatMul } from '../src/lib/retrieval/wasm-matmul';
import { countText } from '../src/lib/format';

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
  /** The collection in label space (built on first use: it reads every image's features once). */
  index: Promise<LabelIndex> | null;
  /** The references' raw features as unit rows (the hybrid tagger's second neighbourhood), built with the index. */
  refFeatures: ReturnType<typeof featureReferences> | null;
  /** The same raw features, as read (a model file carries them for a tagger that votes by look). */
  refRaw: Float32Array | null;
  /** Every image the index returns by its perceptual hash (built when a dropped image or an export first needs it). */
  copies: Promise<CopyHashes> | null;
  review: Promise<{ suggestions: Suggestion[]; images: number }> | null;
}
let current: Current | null = null;

/** A collection whose labels cannot define similarity is searched by look alone (src/lib/retrieval/look-alike.ts):
 *  no net, every image with features a unit row. At most one of `current` and `lookAlike` is set. */
let lookAlike: { shardId: string; summary: ModelSummary; index: LookAlikeIndex; layer: FeatureLayer; featureModelId: string } | null = null;

function setCurrent(record: StoredModel, retriever: Retriever) {
  lookAlike = null;
  if (current && current.retriever !== retriever) {
    current.retriever.model.dispose();
    current.retriever.refs?.dispose();
  }
  current?.refFeatures?.dispose();
  current = { shardId: record.shardId, retriever, record, index: null, refFeatures: null, refRaw: null, copies: null, review: null };
}

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
  if (!shard) throw new ShardError('The collection is no longer stored in this browser; load it again.');
  const embKey = embeddingKey(req.embedding);
  const trainKey = await contentHash(
    new TextEncoder().encode(JSON.stringify({ v: 9, model: req.featureModelId, labels: shard.labelsHash, embKey, train: req.train })),
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
  const dim = specOfModelId(req.featureModelId).dims[req.train.layer];
  const features = await readFeatures(
    db,
    req.featureModelId,
    images.map((im) => im.hash),
    req.train.layer,
  );
  const task = assembleTask(images, emb, features, dim, req.train.target, { head: req.train.head, seed: req.train.seed });
  const r = task.refIds.length;
  const limit = maxSetsReferences(dim);
  if (req.train.head === 'sets' && r > limit) {
    throw new ShardError(
      `The 2017 'sets' head needs one output per reference image and would not fit in memory for ${countText(r)} references (the limit here is ${countText(limit)}). Choose the 'embedding' head, which has no such limit.`,
    );
  }
  if (r < 2) {
    const without = images.filter((im) => !features.has(im.hash)).length;
    throw new ShardError(
      without > images.length / 2
        ? `Training needs the images' features, and ${countText(without)} of ${countText(images.length)} images have none yet: open the collection again (its folder, archive or address) to compute them, then train.`
        : 'Training needs at least 2 training images with features and labels.',
    );
  }
  if (task.queryIds.length === 0) {
    throw new ShardError(
      'Training needs labelled validation images (to evaluate the model on images it never saw); this collection has none with features.',
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
  // The finished model ranks every reference, the hold-out included (its images are placed by their own labels).
  setReferences(outcome.retriever, task.refTargets, task.data.targetDim);
  const { evaluation, perQuery, bootstrap } = await evaluateRetrieval(task.evaluation, outcome.retriever, settings.k, settings.seed);
  if (task.queriesTotal > evaluation.queries) evaluation.queries_total = task.queriesTotal;
  const space = remapSpace(task.vocabulary, emb);
  const labels = await evaluateLabels(task, outcome.retriever, space, perQuery, bootstrap, settings.seed);
  evaluation.tagging = labels.tagging;
  evaluation.label_query = labels.labelQuery;
  evaluation.ci = { ...evaluation.ci!, ...labels.ci };
  const calibration = await chooseCalibration(task, outcome.retriever, settings.seed);
  evaluation.hubness = await evaluateHubness(task, outcome.retriever, calibration, settings.seed);
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
    labelSpace: space,
    tagger: labels.tagger,
    quality: labels.quality,
    calibration: calibration.calibration,
    minusStrength: labels.minusStrength,
  });
  setCurrent(record, outcome.retriever);
  // A collection loaded with planted label errors: the review is measured on them (evaluation.review).
  if (shard.planted && current) record.evaluation!.review = await reviewEvaluation(current, shard.planted, job);
  await putModel(db, record);
  return { ...summaryOf(record, true, backends.backend), fallbacks, faultsMet: faults.met };
}

async function restore(req: RestoreRequest, job: Job<never>): Promise<TrainMethods['restore']['result']> {
  if (lookAlike?.shardId === req.shardId) return lookAlike.summary;
  if (current?.shardId === req.shardId) return summaryOf(current.record, false, backends.backend);
  const db = await openForJob(job);
  const stored = await getModel(db, req.shardId);
  if (!stored) return null;
  await useStored(stored, req);
  return summaryOf(stored, false, backends.backend);
}

/** The features (of the model's layer) of images, read in batches; `fn` gets each batch's images and features. */
async function inBatches<T extends { hash: string }>(
  db: Db,
  record: StoredModel,
  images: T[],
  fn: (batch: T[], x: Float32Array) => Promise<void>,
  batch = 512,
) {
  const layer = record.manifest.layer;
  const dim = record.manifest.featureDim;
  for (let start = 0; start < images.length; start += batch) {
    const part = images.slice(start, start + batch);
    const features = await readFeatures(
      db,
      record.manifest.featureModelId,
      part.map((im) => im.hash),
      layer,
    );
    const have = part.filter((im) => features.has(im.hash));
    const x = new Float32Array(have.length * dim);
    have.forEach((im, i) => x.set(features.get(im.hash)!, i * dim));
    if (have.length) await fn(have, x);
  }
}

/** The current model's collection index: references by their labels, every other image by its prediction. */
function indexOf(model: Current, job: Job<unknown>): Promise<LabelIndex> {
  model.index ??= (async () => {
    const db = await openForJob(job);
    const images = await listShardImages(db, model.shardId);
    const m = model.record.manifest;
    const refVectors = m.head === 'embedding' && model.record.references ? new Float32Array(model.record.references) : null;
    const index = modelIndex(m, images, refVectors, labelSpaceOf(model.record), model.record.tagger ?? DEFAULT_TAGGER);
    // The references' raw features, in reference order.
    const refImages = m.references.map((id) => index.byId.get(id)).filter((im) => im !== undefined);
    if (refImages.length === m.references.length) {
      const refX = new Float32Array(refImages.length * m.featureDim);
      let filled = 0;
      await inBatches(db, model.record, refImages, async (batch, x) => {
        refX.set(x, filled * m.featureDim);
        filled += batch.length;
      });
      if (filled === refImages.length) {
        model.refFeatures = featureReferences(refX, m.featureDim);
        model.refRaw = refX;
      }
    }
    if (m.head === 'embedding') {
      const ids: string[] = [];
      const parts: Float32Array[] = [];
      await inBatches(db, model.record, index.unindexed(), async (batch, x) => {
        ids.push(...batch.map((im) => im.imageId));
        parts.push(await predictVectors(model.retriever, x, batch.length));
      });
      const vectors = new Float32Array(ids.length * m.targetDim);
      parts.reduce((o, p) => (vectors.set(p, o), o + p.length), 0);
      index.setPredicted(ids, vectors);
    }
    return index;
  })();
  // The copy index follows in the background (queries by image do not wait for it).
  void model.index.then((index) => (current === model ? copiesOf(model, index) : null)).catch(() => {});
  model.index.catch(() => {
    if (current?.index && current === model) model.index = null; // a failed build is tried again next time
  });
  return model.index;
}

function currentFor(shardId: string): Current {
  if (lookAlike?.shardId === shardId)
    throw new ShardError(
      'This collection has no labels that say which images are alike, so there is no trained model: search ranks by look alone, and there is nothing to review or export. Add labels (at least 3 images, 2 labels) and load it again to train one.',
    );
  const model = current;
  if (!model || model.shardId !== shardId) throw new ShardError('No trained model for this shard yet: train one or import a model file.');
  return model;
}

/** Makes search by look the shard's engine: every image's features of the layer, read once. */
async function buildLookAlike(req: LookAlikeRequest, job: Job<TrainMethods['lookAlike']['event']>): Promise<ModelSummary> {
  const t0 = performance.now();
  if (lookAlike?.shardId === req.shardId && lookAlike.layer === req.layer && lookAlike.featureModelId === req.featureModelId)
    return lookAlike.summary;
  const db = await openForJob(job);
  const started = Date.now();
  const { images, features, dim } = await readShardFeatures(db, req.shardId, req.featureModelId, req.layer, (done, total) =>
    job.emit({ type: 'progress', progress: measureProgress('index', done, total, started, Date.now()) }),
  );
  if (images.length === 0) throw new ShardError('No image of this collection has features yet; wait for the feature stage to finish.');
  const index = new LookAlikeIndex(
    images.map((im) => im.imageId),
    features,
    dim,
  );
  const summary = lookAlikeSummary(req, images.length, performance.now() - t0);
  if (current) {
    current.retriever.model.dispose();
    current.retriever.refs?.dispose();
    current.refFeatures?.dispose();
    current = null;
  }
  lookAlike = { shardId: req.shardId, summary, index, layer: req.layer, featureModelId: req.featureModelId };
  return summary;
}

async function query(req: QueryRequest, job: Job<never>): Promise<TrainMethods['query']['result']> {
  const t0 = performance.now();
  if (lookAlike?.shardId === req.shardId) return queryByLook(lookAlike, req, t0);
  const model = currentFor(req.shardId);
  const index = await indexOf(model, job);
  const phash = req.query.kind === 'features' ? (req.query.phash ?? null) : null;
  const e = { ...engineOf(model, index), copies: phash ? await copiesOf(model, index) : null };
  const ask = { k: req.k, plus: req.plus, minus: req.minus, includeHeldOut: req.includeHeldOut ?? false, phash };
  if (req.query.kind === 'labels') return { results: answerWords(e, ask), tags: [], ms: performance.now() - t0 };
  const m = model.record.manifest;
  let x: Float32Array;
  let imageId: string | null = null;
  if (req.query.kind === 'features') x = m.layer === 'flatten' ? req.query.flatten : req.query.mixed7;
  else {
    imageId = req.query.imageId;
    const db = await heldConnection();
    const image = await db.get('images', [req.shardId, imageId]);
    const f = image ? await getFeature(db, m.featureModelId, image.hash) : undefined;
    if (!f) throw new ShardError('This image has no features yet; wait for the feature stage to finish.');
    x = new Float32Array(m.layer === 'flatten' ? f.flatten : f.mixed7);
  }
  return { ...(await answerImage(e, x, { ...ask, imageId })), ms: performance.now() - t0 };
}

async function prepare(req: { shardId: string }, job: Job<never>): Promise<{ ms: number }> {
  const t0 = performance.now();
  if (lookAlike?.shardId !== req.shardId) await indexOf(currentFor(req.shardId), job);
  return { ms: performance.now() - t0 };
}

/** The index's images (references, then those placed by prediction: the model file's order) by the perceptual hashes
 *  of their thumbnails: begun as soon as the index is built (a few ms a thumbnail: 2,995 photos took about 12 s), so
 *  that it is ready when a person drops an image. */
function copiesOf(model: Current, index: LabelIndex): Promise<CopyHashes> {
  model.copies ??= (async () => {
    const db = await heldConnection();
    const ids = [...model.record.manifest.references, ...(index.predicted?.ids ?? [])];
    const words = new Uint32Array(ids.length * PHASH_WORDS);
    const known = new Uint8Array(ids.length);
    for (const [i, id] of ids.entries()) {
      const image = index.byId.get(id);
      const h = image ? await perceptualHashOfThumb(db, image.hash) : null;
      if (h) {
        words.set(h, i * PHASH_WORDS);
        known[i] = 1;
      }
    }
    return new CopyHashes(ids, words, known);
  })();
  model.copies.catch(() => {
    if (current === model) model.copies = null;
  });
  return model.copies;
}

/** The answering engine (src/lib/retrieval/searcher.ts) of the current model. */
const engineOf = (model: Current, index: LabelIndex): Engine => ({
  manifest: model.record.manifest,
  retriever: model.retriever,
  index,
  refFeatures: model.refFeatures,
});

/** A query by look: the image's own stored row, or a dropped image's features of the layer; no label words. */
async function queryByLook(engine: NonNullable<typeof lookAlike>, req: QueryRequest, t0: number): Promise<TrainMethods['query']['result']> {
  if (req.query.kind === 'labels' || (req.plus?.length ?? 0) + (req.minus?.length ?? 0) > 0)
    throw new ShardError(
      'This collection has no labels that say which images are alike, so it is searched by look alone: remove the label words.',
    );
  let x: Float32Array;
  let imageId: string | undefined;
  if (req.query.kind === 'features') x = engine.layer === 'flatten' ? req.query.flatten : req.query.mixed7;
  else {
    imageId = req.query.imageId;
    const row = engine.index.rowOfImage(imageId);
    if (!row) throw new ShardError('This image has no features yet; wait for the feature stage to finish.');
    x = row;
  }
  return { results: engine.index.search(x, req.k, imageId), tags: [], ms: performance.now() - t0 };
}

/** Dense predicted scores of images (features in batches), each reference left out of its own vote; `baseline`,
 *  when given, also hears each image's raw-feature kNN vote (its 25 nearest references by cosine). */
async function scoreAll(
  model: Current,
  index: LabelIndex,
  images: { imageId: string; hash: string }[],
  job: Job<TrainMethods['review']['event']>,
  what: string,
  fn: (imageId: string, scores: Float64Array) => void,
  tagger = index.tagger,
  baseline?: (imageId: string, scores: Float64Array) => void,
) {
  const db = await openForJob(job);
  const started = Date.now();
  let done = 0;
  const k = Math.max(...VOTE_KS) + 1;
  const vote: Tagger = { method: 'vote', k: 25, weighting: 'cosine' };
  await inBatches(db, model.record, images, async (batch, x) => {
    job.throwIfCancelled();
    const scores: Float32Array[] = [];
    const lists = await rank(model.retriever, x, batch.length, k, 256, scores);
    const vectors = model.record.manifest.head === 'embedding' ? await predictVectors(model.retriever, x, batch.length) : null;
    const w = vectors ? vectors.length / batch.length : 0;
    const rows = batch.map((_, i) => (vectors ? vectors.subarray(i * w, (i + 1) * w) : null));
    const near = await neighbourhoods(engineOf(model, index), x, batch.length, rows, lists, scores);
    batch.forEach((im, i) => {
      fn(im.imageId, index.denseTags(near[i], im.imageId, tagger));
      const n = near[i];
      if (baseline && n.featureNeighbours && n.featureScores)
        baseline(im.imageId, index.denseTags({ neighbours: n.featureNeighbours, scores: n.featureScores, vector: null }, im.imageId, vote));
    });
    done += batch.length;
    job.emit({ type: 'progress', progress: measureProgress(what, done, images.length, started, Date.now()) });
    await new Promise((res) => setTimeout(res, 0)); // let a cancel in
  });
}

/** The review's suggestions over every labelled image (and, when asked, the raw-feature kNN vote's). 'in-sample':
 *  by the model itself (what the page shows); 'cross-fitted': each training image by a net trained without it
 *  (crossfit.ts), measured on planted errors only (it lost to in-sample on the photos; docs/METHODS.md). */
async function reviewOf(
  model: Current,
  job: Job<TrainMethods['review']['event']>,
  withBaseline: boolean,
  method: ReviewMethod = 'in-sample',
) {
  const index = await indexOf(model, job);
  const db = await openForJob(job);
  const labelled = (await listShardImages(db, model.shardId)).filter((im) => im.labels.some((l) => l.confidence > 0));
  const scored: { imageId: string; scores: Float64Array }[] = [];
  const baseline: { imageId: string; scores: Float64Array }[] = [];
  // Keep only what a suggestion can come from: the image's own labels and strong predictions.
  const sparse = (into: typeof scored) => (imageId: string, scores: Float64Array) => {
    const keep = new Float64Array(scores.length);
    const im = index.byId.get(imageId)!;
    for (const l of im.labels) {
      const col = index.colOf.get(l.labelName);
      if (col !== undefined) keep[col] = scores[col];
    }
    for (let c = 0; c < scores.length; c++) if (scores[c] >= 0.5) keep[c] = scores[c];
    into.push({ imageId, scores: keep });
  };
  const score = (m: Current, images: typeof labelled) =>
    scoreAll(m, index, images, job, 'review', sparse(scored), index.reviewTagger, withBaseline ? sparse(baseline) : undefined);
  const folds = method === 'cross-fitted' ? await outOfFold(model, index, job) : null;
  if (folds) {
    const position = new Map(model.record.manifest.references.map((id, i) => [id, i]));
    // Images that are not references (validation, test) were never trained on: the model itself scores them.
    await score(
      model,
      labelled.filter((im) => !position.has(im.imageId)),
    );
    for (let f = 0; f < CROSSFIT_FOLDS; f++) {
      const retriever = await folds.train(f);
      try {
        await score(
          { ...model, retriever },
          labelled.filter((im) => folds.of[position.get(im.imageId) ?? -1] === f),
        );
      } finally {
        retriever.model.dispose();
        retriever.refs?.dispose();
      }
    }
  } else await score(model, labelled);
  return {
    suggestions: index.suggestions(scored),
    images: scored.length,
    baseline: withBaseline ? index.suggestions(baseline) : [],
    index,
    method: folds ? method : 'in-sample',
  };
}

/** The folds of a model's references and a trainer of each fold's net (with progress), or null when a reference's
 *  features are not stored (a model imported from a file for a collection whose features are gone). */
async function outOfFold(model: Current, index: LabelIndex, job: Job<TrainMethods['review']['event']>) {
  const m = model.record.manifest;
  // The settings it was trained with (a file's manifest keeps them as plain JSON), the head's defaults for the rest.
  const settings = { ...DEFAULT_TRAIN, ...m.training.settings, head: m.head, layer: m.layer, target: m.target } as TrainSettings;
  const bestEpoch = m.training.bestEpoch;
  if (!model.record.references) return null;
  const hashes = m.references.map((id) => index.byId.get(id)?.hash);
  if (hashes.some((h) => !h)) return null;
  const features = await readFeatures(await openForJob(job), m.featureModelId, hashes as string[], m.layer);
  if (features.size < new Set(hashes).size) return null;
  const dim = m.featureDim;
  const x = new Float32Array(hashes.length * dim);
  hashes.forEach((h, i) => x.set(features.get(h!)!, i * dim));
  const data = { dim, x, targets: new Float32Array(model.record.references), targetDim: m.targetDim };
  const of = foldsOf(hashes.length, CROSSFIT_FOLDS, settings.seed);
  const epochs = Math.max(1, bestEpoch);
  const started = Date.now();
  return {
    of,
    train: async (f: number) => {
      const retriever = await trainOutOfFold(data, of, f, settings, epochs, {
        shouldStop: () => job.signal.aborted,
        onEpoch: async (epoch) => {
          const done = f * epochs + epoch;
          const detail = `checking the labels with nets that never saw them: ${f + 1} of ${CROSSFIT_FOLDS}`;
          job.emit({ type: 'progress', progress: measureProgress('review', done, CROSSFIT_FOLDS * epochs, started, Date.now(), detail) });
          await new Promise((res) => setTimeout(res, 0)); // let a cancel in
        },
      });
      if (!retriever) throw new CancelledError();
      return retriever;
    },
  };
}

async function review(req: { shardId: string }, job: Job<TrainMethods['review']['event']>): Promise<TrainMethods['review']['result']> {
  const model = currentFor(req.shardId);
  model.review ??= reviewOf(model, job, false).then(({ suggestions, images }) => ({ suggestions, images }));
  try {
    return await model.review;
  } catch (err) {
    model.review = null;
    throw err;
  }
}

/** The review on a collection with planted label errors: its suggestions and the raw-feature vote's, scored. */
async function reviewEvaluation(model: Current, planted: Planted, job: Job<TrainMethods['review']['event']>): Promise<ReviewEvaluation> {
  const { suggestions, baseline, index } = await reviewOf(model, job, true);
  const m = model.record.manifest;
  // The same review with out-of-fold nets, measured beside it (docs/METHODS.md).
  const crossFitted =
    reviewMethod(m.head, m.references.length) === 'cross-fitted' ? await reviewOf(model, job, false, 'cross-fitted') : null;
  const findable = planted.errors.filter((e) => {
    const col = index.colOf.get(e.labelName);
    return col !== undefined && index.support[col] >= SUGGEST.minSupport && index.byId.has(e.imageId);
  }).length;
  return {
    planted: planted.errors.length,
    findable,
    rate: planted.rate,
    method: 'in-sample',
    ...scoreSuggestions(suggestions, planted.errors),
    baseline: scoreSuggestions(baseline, planted.errors),
    ...(crossFitted?.method === 'cross-fitted' ? { cross_fitted: scoreSuggestions(crossFitted.suggestions, planted.errors) } : {}),
  };
}

async function predictedLabels(
  req: { shardId: string; max?: number; min?: number },
  job: Job<TrainMethods['predictedLabels']['event']>,
): Promise<TrainMethods['predictedLabels']['result']> {
  const model = currentFor(req.shardId);
  const index = await indexOf(model, job);
  const db = await openForJob(job);
  const images = await listShardImages(db, req.shardId);
  const max = req.max ?? 10;
  const min = req.min ?? 0.1;
  const rows: [string, string, number][] = [];
  let count = 0;
  // Confidence = the share of the image's neighbourhood carrying the label (the review's scorer), so it reads
  // as a confidence and not as the sharp tagger's ranking weight.
  await scoreAll(
    model,
    index,
    images,
    job,
    'predicted labels',
    (imageId, scores) => {
      count++;
      const order = Array.from(scores.keys())
        .filter((c) => scores[c] >= min)
        .sort((a, b) => scores[b] - scores[a] || a - b)
        .slice(0, max);
      for (const c of order) rows.push([imageId, index.vocabulary[c], Math.round(scores[c] * 1e4) / 1e4]);
    },
    index.reviewTagger,
  );
  return { rows, images: count };
}

async function exportModel(req: ExportRequest, job: Job<never>): Promise<TrainMethods['export']['result']> {
  if (lookAlike?.shardId === req.shardId) currentFor(req.shardId); // says why there is nothing to export
  if (current?.shardId !== req.shardId) {
    const stored = await getModel(await openForJob(job), req.shardId);
    if (!stored) throw new ShardError('There is no trained model to export yet.');
    await useStored(stored, { backend: 'auto', threads: 0 });
  }
  const model = current!;
  // The file answers as the page does: the collection as the page ranks it, and the base network by its digest.
  const index = await indexOf(model, job);
  const m = model.record.manifest;
  const spec = specOfModelId(m.featureModelId);
  const files = await readExtractorFiles(async (path) => {
    const response = await fetch(new URL(path, base));
    if (!response.ok)
      throw new ShardError(`The feature model's file ${path} is missing (${response.status}); run npm install to build it.`);
    return new Uint8Array(await response.arrayBuffer());
  }, spec.path);
  if (featureModelId(files.modelJson.simage?.modelId ?? spec.name) !== m.featureModelId)
    throw new ShardError(
      `This model was trained on features of ${m.featureModelId}, and this simage serves ${files.modelJson.simage?.modelId}: the file could not name its base network. Train again, then export.`,
    );
  return exportFile(model.record, {
    collection: collectionOf(index, new Map((await getShard(await openForJob(job), req.shardId))?.classes ?? [])),
    predicted: index.predicted?.vectors ?? null,
    referenceFeatures: (model.record.tagger ?? DEFAULT_TAGGER).method === 'hybrid' ? model.refRaw : null,
    copies: await copiesOf(model, index),
    extractor: extractorRecord(spec, files, m.layer, !!req.withExtractor),
    preprocess: preprocessRecord(spec),
    extractorFiles: req.withExtractor ? { modelJson: files.modelJson, weights: files.weights } : null,
  });
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
  { train, restore, query, prepare, export: exportModel, import: importModel, review, predictedLabels, lookAlike: buildLookAlike },
  {
    prepare: 'Preparing the search failed',
    lookAlike: 'Indexing the images for search by look failed',
    review: 'Reviewing the labels failed',
    predictedLabels: 'Predicting labels failed',
    train: 'Training failed',
    restore: 'The stored model could not be loaded',
    query: 'The search failed',
    export: 'Exporting the model failed',
    import: 'Importing the model failed',
  },
  self,
);

// Embedding worker: reads a shard's labels from IndexedDB, runs the label embedding (src/lib/embedding/run.ts)
// step by step, streams progress and layout snapshots for the animated map, and stores the result keyed by
// shard and settings, so a reload reuses it and a change of settings recomputes. Thin: the math is src/lib.
import { UMAP } from 'umap-js';
import {
  embeddingKey,
  featureEmbeddingKey,
  runEmbedding,
  runFeatureEmbedding,
  type EmbeddingEvent,
  type EmbeddingInput,
  type EmbeddingResult,
} from '../src/lib/embedding/run';
import type { DuplicatesRequest, EmbedFeaturesRequest, EmbedLabelsRequest, EmbeddingMethods } from '../src/lib/embedding/protocol';
import { findDuplicates, NEAR_DUPLICATE_COSINE, type DuplicateReport } from '../src/lib/duplicates/groups';
import { ShardError } from '../src/lib/errors';
import { measureProgress } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import { getEmbedding, getShard, listShardImages, openForJob, putEmbedding, readShardFeatures, type Db } from '../src/lib/store/db';
import { COLOUR_BYTES, PHASH_WORDS } from '../src/lib/duplicates/phash';
import { printsOfThumb } from './pixels';

type Embedding = EmbeddingMethods['embedLabels'];

const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));

async function embedLabels(req: EmbedLabelsRequest, job: Job<Embedding['event']>): Promise<Embedding['result']> {
  const db = await openForJob(job);
  const shard = await getShard(db, req.shardId);
  if (!shard) throw new ShardError('The shard is no longer in the cache; load it again.');
  const key = embeddingKey(req.settings);
  const stored = await getEmbedding(db, req.shardId, key, shard.labelsHash);
  if (stored) return { cached: true, ...moved(job, pick(stored)) };
  const images = (await listShardImages(db, req.shardId)).filter((im) => im.labels.length > 0);
  const input: EmbeddingInput = {
    imageIds: images.map((im) => im.imageId),
    labels: images.map((im) => im.labels),
    train: images.map((im) => im.split === 'train'),
  };
  if (input.imageIds.length < 3) throw new ShardError('The label embedding needs at least 3 labelled images; this shard has fewer.');
  const run = runEmbedding(input, req.settings, umapOf(req));
  return drive(job, db, run, input.imageIds, { shardId: req.shardId, key, labelsHash: shard.labelsHash, settings: req.settings });
}

const umapOf = (req: { settings: EmbedLabelsRequest['settings'] }) => (random: () => number) =>
  new UMAP({ nComponents: 2, nNeighbors: req.settings.umapNeighbours, random });

/** The map of a collection without usable labels, from its images' features (stored like a label embedding, under
 *  a key naming the feature model and layer). */
async function embedFeatures(req: EmbedFeaturesRequest, job: Job<Embedding['event']>): Promise<Embedding['result']> {
  const db = await openForJob(job);
  const shard = await getShard(db, req.shardId);
  if (!shard) throw new ShardError('The shard is no longer in the cache; load it again.');
  const key = featureEmbeddingKey(req.settings, req.featureModelId, req.layer);
  const stored = await getEmbedding(db, req.shardId, key, shard.labelsHash);
  if (stored) return { cached: true, ...moved(job, pick(stored)) };
  const started = Date.now();
  const { images, features, dim } = await readShardFeatures(db, req.shardId, req.featureModelId, req.layer, (done, total) =>
    job.emit({ type: 'progress', progress: measureProgress('features read', done, total, started, Date.now()) }),
  );
  if (images.length < 3) throw new ShardError('A map needs at least 3 images with features; this collection has fewer.');
  const imageIds = images.map((im) => im.imageId);
  const run = runFeatureEmbedding({ imageIds, features, dim }, req.settings, umapOf(req));
  return drive(job, db, run, imageIds, { shardId: req.shardId, key, labelsHash: shard.labelsHash, settings: req.settings });
}

/** Runs an embedding generator to its end: progress events, layout snapshots for the animated map, a yield now and
 *  then so a cancel gets in, and the result stored under its key. */
async function drive(
  job: Job<Embedding['event']>,
  db: Db,
  run: Generator<EmbeddingEvent, EmbeddingResult>,
  imageIds: string[],
  keys: { shardId: string; key: string; labelsHash: string; settings: EmbedLabelsRequest['settings'] },
): Promise<Embedding['result']> {
  let stageStart = Date.now();
  let lastStage = '';
  let lastYield = Date.now();
  let first = true;
  for (;;) {
    job.throwIfCancelled();
    const step = run.next();
    if (step.done) {
      const result = step.value;
      await putEmbedding(db, { ...keys, ...result });
      return { cached: false, ...moved(job, pick(result)) };
    }
    const e = step.value;
    if (e.stage !== lastStage) {
      lastStage = e.stage;
      stageStart = Date.now();
    }
    job.emit({
      type: 'progress',
      progress: measureProgress(e.stage, e.done, e.total, stageStart, Date.now(), e.kl !== undefined ? `KL ${e.kl.toFixed(3)}` : undefined),
    });
    if (e.layout) {
      const snapshot = { imageIds: first ? imageIds : null, layout: e.layout, iteration: e.done, total: e.total, kl: e.kl ?? null };
      job.emit({ type: 'layout', ...snapshot }, [e.layout.buffer]);
      first = false;
    }
    // Let cancel messages in now and then without slowing the loop down.
    if (Date.now() - lastYield > 100) {
      await yieldToEvents();
      lastYield = Date.now();
    }
  }
}

/** Exact copies (content hash) and near copies (feature cosine) of every image of the shard, and which straddle
 *  train and validation or test. Images without features still join groups by their hash. */
async function duplicates(req: DuplicatesRequest, job: Job<EmbeddingMethods['duplicates']['event']>): Promise<DuplicateReport> {
  const db = await openForJob(job);
  const started = Date.now();
  const all = await listShardImages(db, req.shardId);
  // Without usable labels there is no evaluation for a copy to flatter: no group is a leak.
  const splitsMatter = !(await getShard(db, req.shardId))?.summary.labelsUnusable;
  const { images, features, dim } = await readShardFeatures(db, req.shardId, req.featureModelId, req.layer);
  const rowOf = new Map(images.map((im, i) => [im.imageId, i]));
  const width = Math.max(dim, 1);
  const x = new Float32Array(all.length * width);
  all.forEach((im, i) => {
    const row = rowOf.get(im.imageId);
    if (row !== undefined) x.set(features.subarray(row * dim, (row + 1) * dim), i * width);
  });
  // Each image's perceptual hash and colour print, from its stored thumbnail (kept per content hash for the
  // worker's life).
  const phashes = new Uint32Array(all.length * PHASH_WORDS);
  const colours = new Uint8Array(all.length * COLOUR_BYTES);
  const phashKnown = new Uint8Array(all.length);
  for (let i = 0; i < all.length; i++) {
    job.throwIfCancelled();
    const p = await printsOfThumb(db, all[i].hash);
    if (p) {
      phashes.set(p.phash, i * PHASH_WORDS);
      colours.set(p.colour, i * COLOUR_BYTES);
      phashKnown[i] = 1;
    }
    if (i % 256 === 255)
      job.emit({ type: 'progress', progress: measureProgress('perceptual hashes', i + 1, all.length, started, Date.now()) });
  }
  const run = findDuplicates(
    {
      imageIds: all.map((im) => im.imageId),
      hashes: all.map((im) => im.hash),
      splits: all.map((im) => (splitsMatter ? im.split : 'train')),
      features: x,
      dim: width,
      phashes,
      phashKnown,
      colours,
    },
    req.threshold ?? NEAR_DUPLICATE_COSINE,
    req.maxHamming === undefined ? {} : { maxHamming: req.maxHamming },
  );
  let lastYield = Date.now();
  for (;;) {
    job.throwIfCancelled();
    const step = run.next();
    if (step.done) return step.value;
    if (Date.now() - lastYield > 100) {
      job.emit({ type: 'progress', progress: measureProgress('duplicates', step.value.done, step.value.total, started, Date.now()) });
      await yieldToEvents();
      lastYield = Date.now();
    }
  }
}

/** The result, its arrays moved to the page rather than copied (each buffer once: arrays may share one). */
function moved(job: Job<Embedding['event']>, r: EmbeddingResult): EmbeddingResult {
  job.transfer(...new Set([r.layout.buffer, r.trainIndex.buffer, r.similar.buffer, r.svd.buffer, r.basis.buffer] as ArrayBuffer[]));
  return r;
}

/** The result fields alone (a stored record also carries its keys). */
function pick(r: EmbeddingResult): EmbeddingResult {
  return {
    imageIds: r.imageIds,
    layout: r.layout,
    trainIndex: r.trainIndex,
    similar: r.similar,
    k: r.k,
    similarSetScore: r.similarSetScore,
    svd: r.svd,
    components: r.components,
    vocabulary: r.vocabulary,
    basis: r.basis,
    kl: r.kl,
    uniqueRows: r.uniqueRows,
    timingsMs: r.timingsMs,
  };
}

serve<EmbeddingMethods>(
  { embedLabels, embedFeatures, duplicates },
  { embedLabels: 'The label embedding failed', embedFeatures: 'The map from the features failed', duplicates: 'Finding duplicates failed' },
  self,
);

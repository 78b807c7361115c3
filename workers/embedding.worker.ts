// Embedding worker: reads a shard's labels from IndexedDB, runs the label embedding (src/lib/embedding/run.ts)
// step by step, streams progress and layout snapshots for the animated map, and stores the result keyed by
// shard and settings, so a reload reuses it and a change of settings recomputes. Thin: the math is src/lib.
import { UMAP } from 'umap-js';
import { embeddingKey, runEmbedding, type EmbeddingInput, type EmbeddingResult } from '../src/lib/embedding/run';
import type { EmbedLabelsRequest, EmbeddingMethods } from '../src/lib/embedding/protocol';
import { ShardError } from '../src/lib/errors';
import { measureProgress } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import { getEmbedding, getShard, listShardImages, openForJob, putEmbedding } from '../src/lib/store/db';

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
  const run = runEmbedding(input, req.settings, (random) => new UMAP({ nComponents: 2, nNeighbors: req.settings.umapNeighbours, random }));
  const started = Date.now();
  let stageStart = started;
  let lastStage = '';
  let lastYield = Date.now();
  let first = true;
  for (;;) {
    job.throwIfCancelled();
    const step = run.next();
    if (step.done) {
      const result = step.value;
      await putEmbedding(db, { shardId: req.shardId, key, labelsHash: shard.labelsHash, settings: req.settings, ...result });
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
      const snapshot = { imageIds: first ? input.imageIds : null, layout: e.layout, iteration: e.done, total: e.total, kl: e.kl ?? null };
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

serve<EmbeddingMethods>({ embedLabels }, { embedLabels: 'The label embedding failed' }, self);

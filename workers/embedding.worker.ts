// Embedding worker: reads a shard's labels from IndexedDB, runs the label embedding (src/lib/embedding/run.ts)
// step by step, streams progress and layout snapshots for the animated map, and stores the result keyed by
// shard and settings, so a reload reuses it and a change of settings recomputes. Thin: the math is src/lib.
import { UMAP } from 'umap-js';
import { embeddingKey, runEmbedding, type EmbeddingInput, type EmbeddingResult } from '../src/lib/embedding/run';
import type { EmbedLabelsRequest, EmbeddingReply, EmbeddingRequest } from '../src/lib/embedding/protocol';
import { measureProgress } from '../src/lib/progress';
import { CancelledError, errorReply } from '../src/lib/protocol';
import { getEmbedding, getShard, listShardImages, openSimageDb, putEmbedding } from '../src/lib/store/db';

const post = (m: EmbeddingReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const cancelled = new Set<number>();

self.onmessage = (event: MessageEvent<EmbeddingRequest>) => {
  const msg = event.data;
  if (msg.type === 'cancel') cancelled.add(msg.jobId);
  else if (msg.type === 'embed-labels') embedLabels(msg).catch((err) => post(errorReply(msg.jobId, err, 'The label embedding failed')));
};

const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));

async function embedLabels(req: EmbedLabelsRequest) {
  const db = await openSimageDb();
  try {
    const shard = await getShard(db, req.shardId);
    if (!shard) throw new Error('The shard is no longer in the cache; load it again.');
    const key = embeddingKey(req.settings);
    const stored = await getEmbedding(db, req.shardId, key, shard.labelsHash);
    if (stored) {
      post({ type: 'result', jobId: req.jobId, cached: true, ...pick(stored) });
      return;
    }
    const images = (await listShardImages(db, req.shardId)).filter((im) => im.labels.length > 0);
    const input: EmbeddingInput = {
      imageIds: images.map((im) => im.imageId),
      labels: images.map((im) => im.labels),
      train: images.map((im) => im.split === 'train'),
    };
    if (input.imageIds.length < 3)
      throw Object.assign(new Error('The label embedding needs at least 3 labelled images; this shard has fewer.'), { name: 'ShardError' });
    const run = runEmbedding(
      input,
      req.settings,
      (random) => new UMAP({ nComponents: 2, nNeighbors: req.settings.umapNeighbours, random }),
    );
    const started = Date.now();
    let stageStart = started;
    let lastStage = '';
    let lastYield = Date.now();
    let first = true;
    for (;;) {
      if (cancelled.has(req.jobId)) throw new CancelledError();
      const step = run.next();
      if (step.done) {
        const result = step.value;
        await putEmbedding(db, { shardId: req.shardId, key, labelsHash: shard.labelsHash, settings: req.settings, ...result });
        post({ type: 'result', jobId: req.jobId, cached: false, ...pick(result) }, []);
        return;
      }
      const e = step.value;
      if (e.stage !== lastStage) {
        lastStage = e.stage;
        stageStart = Date.now();
      }
      post({
        type: 'progress',
        jobId: req.jobId,
        progress: measureProgress(
          e.stage,
          e.done,
          e.total,
          stageStart,
          Date.now(),
          e.kl !== undefined ? `KL ${e.kl.toFixed(3)}` : undefined,
        ),
      });
      if (e.layout) {
        post(
          {
            type: 'layout',
            jobId: req.jobId,
            imageIds: first ? input.imageIds : null,
            layout: e.layout,
            iteration: e.done,
            total: e.total,
            kl: e.kl ?? null,
          },
          [e.layout.buffer],
        );
        first = false;
      }
      // Let cancel messages in now and then without slowing the loop down.
      if (Date.now() - lastYield > 100) {
        await yieldToEvents();
        lastYield = Date.now();
      }
    }
  } finally {
    db.close();
  }
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
    kl: r.kl,
    uniqueRows: r.uniqueRows,
    timingsMs: r.timingsMs,
  };
}

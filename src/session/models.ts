// The trained net as a file: export (the worker zips the stored model), import (the worker validates the file
// completely before it replaces anything), and, after a reload, the stored model made current again.
import { get } from 'svelte/store';
import type { Session } from './session';
import { lookAlikeEngine, prepareSearch } from './run';

/** The current model as one file (with the base network's weights when asked), with the name to save it under; null
 *  (and a sentence) when there is none. */
export async function exportModel(s: Session, withExtractor = false): Promise<{ file: Blob; name: string } | null> {
  const shard = get(s.shard);
  if (!shard) return null;
  try {
    return await s.env.workers.train.call('export', { shardId: shard.shardId, withExtractor });
  } catch (err) {
    s.errorMessage.set((err as Error).message);
    return null;
  }
}

/** Loads a model file for the current shard; a file that does not fit changes nothing and says why. */
export async function importModel(s: Session, file: Blob): Promise<boolean> {
  const shard = get(s.shard);
  if (!shard) {
    s.errorMessage.set('Load the shard the model was made for first, then import the model.');
    return false;
  }
  s.errorMessage.set(null);
  const { backend, threads, model } = get(s.settings);
  try {
    const summary = await s.env.workers.train.call('import', {
      shardId: shard.shardId,
      file,
      featureModelId: await s.env.featureModelId(model),
      backend,
      threads,
    });
    // The old model's results go first: the new model then answers the selection (followSelection) afresh.
    s.search.set(null);
    s.model.set(summary);
    prepareSearch(s, shard.shardId);
    s.epochs.set([]);
    return true;
  } catch (err) {
    s.errorMessage.set((err as Error).message);
    return false;
  }
}

/** After a reload: loads the shard's stored model, if any, so search works without training. */
export async function restoreModel(s: Session, shardId: string) {
  const { backend, threads } = get(s.settings);
  try {
    const summary = await s.env.workers.train.call('restore', { shardId, backend, threads });
    const why = get(s.shard)?.shardId === shardId ? (get(s.shard)?.summary.labelsUnusable ?? null) : null;
    if (!summary && why !== null && get(s.featureCount) > 0) {
      // No net for a collection searched by look: its engine is made again from the stored features.
      const engine = await lookAlikeEngine(s, shardId);
      s.setStage('train', { status: 'done', elapsedMs: engine.timingsMs.evaluate, message: `No training: ${why}` });
      return;
    }
    if (!summary) return;
    s.model.set(summary);
    prepareSearch(s, shardId);
    s.epochs.set(summary.history);
    s.setStage('train', { status: 'done', elapsedMs: summary.timingsMs.train + summary.timingsMs.evaluate });
  } catch (err) {
    s.errorMessage.set((err as Error).message);
  }
}

// What the browser stores for this site: the estimate shown in the header, the request to keep it, the cache's
// own counts and checks, and clearing it all.
import {
  cachedFeatureHashesInBatches,
  clearAll,
  countRecords,
  getShard,
  listShardImagesInBatches,
  malformedFeatures,
  openSimageDb,
  type Db,
} from '../lib/store/db';
import { get } from 'svelte/store';
import { specOfModelId } from '../lib/features/model';
import type { Session } from './session';
import { forgetHandles } from '../lib/ingest/handles';

async function withDb<T>(use: (db: Db) => Promise<T>): Promise<T> {
  const db = await openSimageDb();
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

export class StoreAdmin {
  constructor(private readonly s: Session) {}

  async refresh() {
    const manager = this.s.env.storageManager;
    const estimate = await manager?.estimate?.();
    const persisted = (await manager?.persisted?.()) ?? false;
    if (estimate) this.s.storage.set({ usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted });
  }

  /** Asks the browser to keep the cache under storage pressure (it may decide without asking the person). */
  async requestPersistence(): Promise<boolean> {
    const granted = (await this.s.env.storageManager?.persist?.().catch(() => false)) ?? false;
    await this.refresh();
    return granted;
  }

  /** Every cached shard, thumbnail, feature, embedding and model deleted, and every kept folder handle forgotten;
   *  the page back to its start. */
  async clear() {
    this.s.cancel();
    for (const worker of Object.values(this.s.env.workers)) worker.terminate();
    await withDb(clearAll);
    await forgetHandles();
    this.s.resume.forget();
    this.s.reset();
    await this.refresh();
  }

  /** Feature records read back whole? (after interruptions: none may be half-written) */
  verify() {
    return withDb(async (db) => ({
      features: await db.count('features'),
      malformed: await malformedFeatures(db, (id) => specOfModelId(id).dims),
    }));
  }

  counts() {
    return withDb(countRecords);
  }

  /** A stored shard with its images and how many of them have features; null when it is not stored. */
  async readShard(shardId: string) {
    const modelId = await this.s.env.featureModelId(get(this.s.settings).model);
    return withDb(async (db) => {
      const record = await getShard(db, shardId);
      if (!record) return null;
      // In batches, with a yield between them: at 100,000 images one read was a long main-thread task.
      const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
      const images = await listShardImagesInBatches(db, shardId, pause);
      const have = await cachedFeatureHashesInBatches(db, modelId, pause);
      return { record, images, withFeatures: images.filter((im) => have.has(im.hash)).length };
    });
  }
}

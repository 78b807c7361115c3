import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { afterEach } from 'vitest';
import {
  cachedFeatureHashes,
  cachedFeatureHashesInBatches,
  listShardImagesInBatches,
  clearAll,
  countRecords,
  featureKey,
  getModel,
  heldConnection,
  DB_NAME,
  putModel,
  getShard,
  listShardImages,
  openSimageDb,
  putFeatures,
  putShard,
  putThumbs,
  getThumb,
  injectQuotaFault,
  malformedFeatures,
  putEmbedding,
  adoptTwin,
  getEmbedding,
  QuotaError,
  type ShardRecord,
} from '../../src/lib/store/db';
import { contentHash } from '../../src/lib/hash';

const vec = (n: number, v: number) => new Float32Array(n).fill(v).buffer;
const summary = { images: 0, labelled: 0, labels: 0, train: 0, validation: 0, test: 0, skipped: [] };
const shardRecord = (id: string): ShardRecord => ({
  shardId: id,
  name: id,
  source: { kind: 'url', url: id },
  loadedAt: 0,
  summary,
  classes: [],
  labelsHash: 'h',
});
/** A stored model record with `w` as its weights. */
const storedModel = (shardId: string, trainKey: string, w: number) => ({
  shardId,
  trainKey,
  manifest: {} as never,
  modelJson: { modelTopology: {}, weightsManifest: [] },
  weights: vec(4, w),
  references: null,
  history: [],
  evaluation: null,
  timingsMs: { train: 1, evaluate: 1 },
  imported: false,
  savedAt: 0,
});
const image = (imageId: string, hash: string) => ({
  imageId,
  path: `${imageId}.png`,
  hash,
  width: 1,
  height: 1,
  split: 'train' as const,
  labels: [],
  negatives: [],
});

describe('content hash', () => {
  it('is SHA-256 hex of the bytes, independent of names', async () => {
    expect(await contentHash(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await contentHash(new Uint8Array([1, 2]))).not.toBe(await contentHash(new Uint8Array([2, 1])));
  });
});

describe('IndexedDB store', () => {
  it('keys features by model id and content hash', async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    expect(featureKey('m', 'h')).toEqual(['m', 'h']);
    await putFeatures(db, [
      { modelId: 'model-a', hash: 'h1', flatten: vec(2048, 1), mixed7: vec(768, 1) },
      { modelId: 'model-a', hash: 'h2', flatten: vec(2048, 2), mixed7: vec(768, 2) },
      { modelId: 'model-b', hash: 'h1', flatten: vec(2048, 3), mixed7: vec(768, 3) },
    ]);
    expect([...(await cachedFeatureHashes(db, 'model-a'))].sort()).toEqual(['h1', 'h2']);
    expect([...(await cachedFeatureHashes(db, 'model-b'))]).toEqual(['h1']);
    expect((await cachedFeatureHashes(db, 'model')).size).toBe(0);
    const rec = await db.get('features', ['model-b', 'h1']);
    expect(new Float32Array(rec!.flatten)[0]).toBe(3);
    db.close();
  });

  it("replaces a shard's images when it is loaded again, and writes the record last", async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    await putShard(db, shardRecord('s'), [image('a', 'h1'), image('b', 'h2')], 1);
    await putShard(db, shardRecord('other'), [image('a', 'h9')]);
    expect((await listShardImages(db, 's')).map((i) => i.imageId)).toEqual(['a', 'b']);
    await putShard(db, shardRecord('s'), [image('c', 'h3')]);
    expect((await listShardImages(db, 's')).map((i) => i.imageId)).toEqual(['c']);
    expect((await listShardImages(db, 'other')).map((i) => i.hash)).toEqual(['h9']);
    expect((await getShard(db, 's'))?.name).toBe('s');
    await putThumbs(db, [
      { hash: 'h3', bytes: new Uint8Array([1]).buffer, type: 'image/webp', width: 1, height: 1, originalWidth: 5, originalHeight: 6 },
    ]);
    expect((await getThumb(db, 'h3'))?.originalHeight).toBe(6);
    expect(await countRecords(db)).toEqual({ shards: 2, images: 2, thumbs: 1, features: 0, embeddings: 0, models: 0 });
    await clearAll(db);
    expect(await countRecords(db)).toEqual({ shards: 0, images: 0, thumbs: 0, features: 0, embeddings: 0, models: 0 });
    db.close();
  });

  it('keeps one model per shard: a newer one replaces it whole, Clear cache removes it', async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    const model = (trainKey: string, w: number) => storedModel('s', trainKey, w);
    await putModel(db, model('k1', 1));
    await putModel(db, model('k2', 2));
    const stored = await getModel(db, 's');
    expect(stored?.trainKey).toBe('k2');
    expect(new Float32Array(stored!.weights)[0]).toBe(2);
    expect(await getModel(db, 'other')).toBeUndefined();
    expect((await countRecords(db)).models).toBe(1);
    await clearAll(db);
    expect(await getModel(db, 's')).toBeUndefined();
    db.close();
  });
});

describe('the same collection under another id (another origin)', () => {
  it("takes over its twin's embeddings and model only when name, labels and image bytes all match", async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    const at = (origin: string, name = 'photos'): ShardRecord => ({ ...shardRecord(`url:${origin}/__shard/photos/`), name });
    const images = [image('a', 'h1'), image('b', 'h2')];
    const old = at('http://127.0.0.1:47170');
    await putShard(db, old, images);
    await putEmbedding(db, { shardId: old.shardId, key: 'e1', labelsHash: 'h', settings: {} } as never);
    await putModel(db, {
      ...storedModel(old.shardId, 't1', 1),
      manifest: { shard: { id: old.shardId, name: 'photos', labelsHash: 'h' } } as never,
    });
    // Other bytes under the same ids, or another name: not the same collection.
    const changed = at('http://127.0.0.1:47001');
    await putShard(db, changed, [image('a', 'h1'), image('b', 'h9')]);
    expect(await adoptTwin(db, changed, [image('a', 'h1'), image('b', 'h9')])).toEqual({ embeddings: 0, model: false });
    const renamed = at('http://127.0.0.1:47002', 'other');
    await putShard(db, renamed, images);
    expect(await adoptTwin(db, renamed, images)).toEqual({ embeddings: 0, model: false });
    const moved = at('http://127.0.0.1:47999');
    await putShard(db, moved, images);
    expect(await adoptTwin(db, moved, images)).toEqual({ embeddings: 1, model: true });
    expect(await getEmbedding(db, moved.shardId, 'e1', 'h')).toMatchObject({ shardId: moved.shardId });
    expect((await getModel(db, moved.shardId))?.manifest.shard.id).toBe(moved.shardId);
    // Twice: nothing more to take.
    expect(await adoptTwin(db, moved, images)).toEqual({ embeddings: 0, model: false });
    db.close();
  });
});

describe('when the storage quota is reached', () => {
  afterEach(() => injectQuotaFault(null));
  const feature = (hash: string, v: number) => ({ modelId: 'm', hash, flatten: vec(2048, v), mixed7: vec(768, v) });

  it('refuses the write with a sentence saying what is kept and what to do; what was stored stays readable', async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    injectQuotaFault(1);
    await putFeatures(db, [feature('h1', 1), feature('h2', 2)]);
    const err = await putFeatures(db, [feature('h3', 3)]).catch((e) => e);
    expect(err).toBeInstanceOf(QuotaError);
    expect(err.name).toBe('QuotaError');
    expect(err.message).toMatch(/^The browser refused to store more data \(storage quota reached\)\./);
    expect(err.message).toMatch(
      /Everything stored so far stays readable\. To go on, free disk space .* or use Clear cache, then load the collection again: nothing already stored is computed again\./,
    );
    // Every later write is refused the same way, of any kind.
    await expect(putEmbedding(db, { shardId: 's', key: 'k', labelsHash: 'h' } as never)).rejects.toBeInstanceOf(QuotaError);
    expect([...(await cachedFeatureHashes(db, 'm'))].sort()).toEqual(['h1', 'h2']);
    expect(new Float32Array((await db.get('features', ['m', 'h2']))!.flatten)[0]).toBe(2);
    expect(await malformedFeatures(db, () => ({ flatten: 2048, mixed7: 768 }))).toBe(0);
    db.close();
  });

  it('leaves no shard record when its images cannot be written, so a half-loaded shard is never read back', async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    await putShard(db, shardRecord('s'), [image('a', 'h1')]);
    injectQuotaFault(0);
    await expect(putShard(db, shardRecord('t'), [image('b', 'h2')])).rejects.toBeInstanceOf(QuotaError);
    expect(await getShard(db, 't')).toBeUndefined();
    expect((await listShardImages(db, 's')).map((i) => i.imageId)).toEqual(['a']);
    db.close();
  });

  it('lets other errors through unchanged', async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    db.close();
    const err = await putFeatures(db, [feature('h1', 1)]).catch((e) => e);
    expect(err).not.toBeInstanceOf(QuotaError);
    expect(err.name).toBe('InvalidStateError');
  });
});

describe('reads in batches', () => {
  it('gives the same images and feature hashes as one read, pausing between batches', async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    const images = Array.from({ length: 23 }, (_, i) => image(`im${String(i).padStart(2, '0')}`, `h${i}`));
    await putShard(db, shardRecord('s'), images);
    await putShard(db, shardRecord('t'), [image('other', 'hx')]);
    await putFeatures(
      db,
      images.slice(0, 17).map((im, i) => ({ modelId: 'm', hash: im.hash, flatten: vec(2, i), mixed7: vec(1, i) })),
    );
    await putFeatures(db, [{ modelId: 'n', hash: 'h0', flatten: vec(2, 0), mixed7: vec(1, 0) }]);
    let pauses = 0;
    const pause = async () => void pauses++;
    const batched = await listShardImagesInBatches(db, 's', pause, 5);
    expect(batched.map((im) => im.imageId)).toEqual((await listShardImages(db, 's')).map((im) => im.imageId));
    expect(batched).toHaveLength(23);
    expect(pauses).toBe(4);
    expect([...(await cachedFeatureHashesInBatches(db, 'm', pause, 4))].sort()).toEqual([...(await cachedFeatureHashes(db, 'm'))].sort());
    expect((await cachedFeatureHashesInBatches(db, 'm', pause, 4)).size).toBe(17);
    db.close();
  });
});

describe('feature records read back', () => {
  it('counts records whose vectors are missing or the wrong length', async () => {
    const db = await openSimageDb(`t-${Math.random()}`);
    await putFeatures(db, [
      { modelId: 'm', hash: 'ok', flatten: vec(2048, 1), mixed7: vec(768, 1) },
      { modelId: 'm', hash: 'short', flatten: vec(1000, 1), mixed7: vec(768, 1) },
      { modelId: 'm', hash: 'none', flatten: undefined as never, mixed7: vec(768, 1) },
    ]);
    expect(await malformedFeatures(db, () => ({ flatten: 2048, mixed7: 768 }))).toBe(2);
    db.close();
  });
});

describe('the held connection', () => {
  it('is one connection across calls, closed and replaced when the database is deleted', async () => {
    const { deleteDB } = await import('idb');
    const first = await heldConnection();
    expect(await heldConnection()).toBe(first);
    await putShard(first, shardRecord('held'), []);
    // Clearing the cache deletes the database: the held connection must step aside, not block it.
    await deleteDB(DB_NAME);
    const second = await heldConnection();
    expect(second).not.toBe(first);
    expect(await getShard(second, 'held')).toBeUndefined();
    second.close();
    await deleteDB(DB_NAME);
  });
});

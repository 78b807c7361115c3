// The cache: one IndexedDB database through `idb`, with an explicit, versioned schema.
// Records are keyed by what they depend on: features by [feature model id, content hash], thumbnails by content
// hash, images by [shard id, ImageID]. Invariant: each write of a batch is one transaction, so a reload or a crash
// leaves either the whole batch or none of it; a shard record is written last, after all of its images.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Planted } from '../ingest/plant';
import type { ShardImage, ShardSummary } from '../ingest/assemble';
import type { EmbeddingResult } from '../embedding/run';
import type { StoredModel } from '../retrieval/stored-model';
import type { LabelFile } from '../ingest/review';
import { UserError } from '../errors';

export const DB_NAME = 'simage';
export const DB_VERSION = 4;

export interface ShardRecord {
  shardId: string;
  name: string;
  /** How to open the source again: only URLs survive a reload; local files must be picked again. */
  source: { kind: 'url'; url: string } | { kind: 'files' | 'archive' };
  loadedAt: number;
  summary: ShardSummary;
  /** LabelName -> DisplayName for the labels in use. */
  classes: [string, string][];
  /** SHA-256 of every image's ID, split and labels: what the label embedding depends on. */
  labelsHash: string;
  /** Label errors planted at load time on purpose, to measure the review (src/lib/ingest/plant.ts). */
  planted?: Planted;
}

export interface ImageRecord extends ShardImage {
  shardId: string;
}

export interface ThumbRecord {
  hash: string;
  bytes: ArrayBuffer;
  type: string;
  width: number;
  height: number;
  /** Size of the full image, so a second load of the same bytes needs no decode. */
  originalWidth: number;
  originalHeight: number;
}

export interface FeatureRecord {
  modelId: string;
  hash: string;
  /** Float32 vectors as raw little-endian bytes, the model's two outputs (features/model.ts): Inception v3 flatten_1
   *  (2048) and GAP(mixed7) (768), MobileNetV2 flatten_1 (1280) and GAP(block_13_expand_relu) (576). */
  flatten: ArrayBuffer;
  mixed7: ArrayBuffer;
}

/** The label embedding of a shard for one set of settings (src/lib/embedding/run.ts), kept so a reload reuses it. */
export interface EmbeddingRecord extends EmbeddingResult {
  shardId: string;
  key: string;
  /** The shard's labelsHash it was computed from; a load that changes labels or splits makes it stale. */
  labelsHash: string;
  settings: unknown;
}

interface SimageDb extends DBSchema {
  shards: { key: string; value: ShardRecord };
  images: { key: [string, string]; value: ImageRecord; indexes: { byShard: string } };
  thumbs: { key: string; value: ThumbRecord };
  features: { key: [string, string]; value: FeatureRecord };
  embeddings: { key: [string, string]; value: EmbeddingRecord };
  models: { key: string; value: StoredModel };
  labelFiles: { key: string; value: LabelFilesRecord };
  reviews: { key: string; value: ReviewRecord };
}

/** The shard's label files as read (so a review can export them with only its changes made). */
export interface LabelFilesRecord {
  shardId: string;
  files: LabelFile[];
}

/** A label review's decisions: key `${ImageID}\u0000${LabelName}\u0000${kind}` -> accepted or rejected. */
export interface ReviewRecord {
  shardId: string;
  decisions: [string, 'accept' | 'reject'][];
  updatedAt: number;
}

export type Db = IDBPDatabase<SimageDb>;

export class QuotaError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaError';
  }
}

export function openSimageDb(name = DB_NAME): Promise<Db> {
  return openDB<SimageDb>(name, DB_VERSION, { upgrade: upgradeSchema });
}

function upgradeSchema(db: IDBPDatabase<SimageDb>, oldVersion: number) {
  if (oldVersion < 1) {
    db.createObjectStore('shards', { keyPath: 'shardId' });
    db.createObjectStore('images', { keyPath: ['shardId', 'imageId'] }).createIndex('byShard', 'shardId');
    db.createObjectStore('thumbs', { keyPath: 'hash' });
    db.createObjectStore('features', { keyPath: ['modelId', 'hash'] });
  }
  if (oldVersion < 2) db.createObjectStore('embeddings', { keyPath: ['shardId', 'key'] });
  // One model per shard: the last one trained or imported for it.
  if (oldVersion < 3) db.createObjectStore('models', { keyPath: 'shardId' });
  if (oldVersion < 4) {
    db.createObjectStore('labelFiles', { keyPath: 'shardId' });
    db.createObjectStore('reviews', { keyPath: 'shardId' });
  }
}

let held: Promise<Db> | null = null;
/** One connection kept open across jobs in this realm, for many small reads (a query is two reads; opening a
 *  connection for each cost 4-20 ms at 100,000 images). It is closed and forgotten when another connection needs a
 *  new version or deletes the database (the cache cleared), and when the browser ends it; the next call opens one. */
export function heldConnection(): Promise<Db> {
  if (!held) {
    const opening = openDB<SimageDb>(DB_NAME, DB_VERSION, {
      upgrade: upgradeSchema,
      blocking: () => {
        if (held === opening) held = null;
        void opening.then((db) => db.close());
      },
      terminated: () => {
        if (held === opening) held = null;
      },
    });
    held = opening;
    opening.catch(() => {
      if (held === opening) held = null;
    });
  }
  return held;
}

// Fault injection (src/lib/faults.ts `quota`): after this many more writes succeed, the next ones fail the way a
// full disk makes IndexedDB fail, with a DOMException named QuotaExceededError, so the real handling runs. The
// setting is per JavaScript realm: the feature worker sets it for its own writes only.
let quotaAfterWrites: number | null = null;
export function injectQuotaFault(afterWrites: number | null) {
  quotaAfterWrites = afterWrites;
}

const formatMb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** The sentence for a refused write: how much is stored, that it stays readable, and what to do. */
export async function quotaMessage(): Promise<string> {
  let stored = '';
  try {
    const est = await navigator.storage?.estimate?.();
    if (est && est.quota) stored = ` This site stores ${formatMb(est.usage ?? 0)} of the ${formatMb(est.quota)} the browser allows it.`;
  } catch {
    /* no estimate: the sentence goes without the numbers */
  }
  return `The browser refused to store more data (storage quota reached).${stored} Everything stored so far stays readable. To go on, free disk space (the browser's allowance grows with it) or use Clear cache, then load the collection again: nothing already stored is computed again.`;
}

// Durability. Chromium commits IndexedDB writes 'relaxed' unless told otherwise: the write is reported done once
// it is in the operating system's hands, not on disk. That survives a killed browser (the OS still writes it) but
// not a power loss or an OS crash. The commit marks (a shard record, a label embedding, a model, the label files,
// a review) are few and what a resumed run trusts, so they are written 'strict': flushed to disk before they are
// reported done (and with them every write before them in the same database's log: the image rows a shard
// record closes). The bulk records (features, thumbnails, image rows) stay 'relaxed', said explicitly: flushing each
// feature batch would cost a disk sync per batch, and the ones a power loss could take are found missing by
// content hash and computed again. tests/browser/crash.test.ts kills Chromium during each stage and checks.
const STRICT = { durability: 'strict' } as const;
const RELAXED = { durability: 'relaxed' } as const;

/** Writes one commit mark, flushed to disk before it resolves. */
async function putStrict<S extends 'shards' | 'embeddings' | 'models' | 'labelFiles' | 'reviews'>(
  db: Db,
  store: S,
  value: SimageDb[S]['value'],
) {
  const tx = db.transaction(store, 'readwrite', STRICT);
  await Promise.all([tx.store.put(value as never), tx.done]);
}

/** Runs one write; a quota failure becomes a QuotaError with a sentence a person can act on, anything else is rethrown. */
async function guardedWrite(write: () => Promise<unknown>): Promise<void> {
  try {
    if (quotaAfterWrites !== null) {
      if (quotaAfterWrites <= 0) throw new DOMException('Injected fault: the storage quota is reached.', 'QuotaExceededError');
      quotaAfterWrites--;
    }
    await write();
  } catch (err) {
    if ((err as DOMException)?.name === 'QuotaExceededError') throw new QuotaError(await quotaMessage());
    throw err;
  }
}

export function featureKey(modelId: string, hash: string): [string, string] {
  return [modelId, hash];
}

/** All content hashes that already have features for this model, read as keys only (no vectors). */
export async function cachedFeatureHashes(db: Db, modelId: string): Promise<Set<string>> {
  const keys = await db.getAllKeys('features', IDBKeyRange.bound([modelId, ''], [modelId, '\uffff']));
  return new Set(keys.map((k) => k[1]));
}

export async function putFeatures(db: Db, records: FeatureRecord[]): Promise<void> {
  await guardedWrite(async () => {
    const tx = db.transaction('features', 'readwrite', RELAXED);
    await Promise.all([...records.map((r) => tx.store.put(r)), tx.done]);
  });
}

export function getFeature(db: Db, modelId: string, hash: string) {
  return db.get('features', featureKey(modelId, hash));
}

/** Many feature records in one readonly transaction (undefined where none is stored). */
export async function getFeatures(db: Db, modelId: string, hashes: readonly string[]): Promise<(FeatureRecord | undefined)[]> {
  const tx = db.transaction('features');
  const out = await Promise.all(hashes.map((h) => tx.store.get(featureKey(modelId, h))));
  await tx.done;
  return out;
}

/** The feature model ids that have features stored for any of these hashes, each with those hashes (key order). */
export async function featureModelsFor(db: Db, hashes: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [modelId, hash] of await db.getAllKeys('features')) {
    if (!hashes.has(hash)) continue;
    if (!out.has(modelId)) out.set(modelId, []);
    out.get(modelId)!.push(hash);
  }
  return out;
}

/** Writes the records whose key is not stored yet, in one transaction; what is stored is kept. Returns how many
 *  were written. */
export async function putMissing<S extends 'features' | 'thumbs'>(db: Db, store: S, records: SimageDb[S]['value'][]): Promise<number> {
  let added = 0;
  await guardedWrite(async () => {
    const tx = db.transaction(store, 'readwrite', RELAXED);
    const st = tx.objectStore(store);
    const keys = await Promise.all(
      records.map((r) => st.getKey((store === 'features' ? [(r as FeatureRecord).modelId, r.hash] : r.hash) as never)),
    );
    const writes = records.filter((_, i) => keys[i] === undefined).map((r) => st.put(r as never));
    added = writes.length;
    await Promise.all([...writes, tx.done]);
  });
  return added;
}

export function getThumbs(db: Db, hashes: readonly string[]) {
  const tx = db.transaction('thumbs');
  return Promise.all([...hashes.map((h) => tx.store.get(h)), tx.done]).then((all) => all.slice(0, -1) as (ThumbRecord | undefined)[]);
}

/** The shard's stored label embeddings (one per settings key). */
export function listEmbeddings(db: Db, shardId: string) {
  return db.getAll('embeddings', IDBKeyRange.bound([shardId, ''], [shardId, '\uffff']));
}

export async function hasEmbedding(db: Db, shardId: string, key: string): Promise<boolean> {
  return (await db.getKey('embeddings', [shardId, key])) !== undefined;
}

export async function hasThumb(db: Db, hash: string): Promise<boolean> {
  return (await db.getKey('thumbs', hash)) !== undefined;
}

export async function putThumbs(db: Db, records: ThumbRecord[]): Promise<void> {
  if (records.length === 0) return;
  await guardedWrite(async () => {
    const tx = db.transaction('thumbs', 'readwrite', RELAXED);
    await Promise.all([...records.map((r) => tx.store.put(r)), tx.done]);
  });
}

export function getThumb(db: Db, hash: string) {
  return db.get('thumbs', hash);
}

/** Replaces the shard's images and then its record, in chunks; the record is the commit mark. */
export async function putShard(db: Db, shard: ShardRecord, images: ShardImage[], chunk = 2000): Promise<void> {
  await guardedWrite(async () => {
    await db.delete('shards', shard.shardId);
    const old = await db.getAllKeysFromIndex('images', 'byShard', shard.shardId);
    for (let i = 0; i < old.length; i += chunk) {
      const tx = db.transaction('images', 'readwrite', RELAXED);
      await Promise.all([...old.slice(i, i + chunk).map((k) => tx.store.delete(k)), tx.done]);
    }
    for (let i = 0; i < images.length; i += chunk) {
      const tx = db.transaction('images', 'readwrite', RELAXED);
      await Promise.all([...images.slice(i, i + chunk).map((im) => tx.store.put({ ...im, shardId: shard.shardId })), tx.done]);
    }
    await putStrict(db, 'shards', shard);
  });
}

export function getShard(db: Db, shardId: string) {
  return db.get('shards', shardId);
}

export function listShards(db: Db) {
  return db.getAll('shards');
}

/** The shard's images read `batch` at a time in key order, with `pause()` awaited between batches: the page reads
 *  them this way, so 100,000 records are never deserialized in one main-thread task. */
export async function listShardImagesInBatches(db: Db, shardId: string, pause: () => Promise<void>, batch = 2000): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  let range = IDBKeyRange.bound([shardId, ''], [shardId, '\uffff']);
  for (;;) {
    const part = await db.getAll('images', range, batch);
    for (const im of part) out.push(im);
    if (part.length < batch) return out;
    range = IDBKeyRange.bound([shardId, part[part.length - 1].imageId], [shardId, '\uffff'], true);
    await pause();
  }
}

/** The content hashes with features for a model, read in batches of keys like listShardImagesInBatches. */
export async function cachedFeatureHashesInBatches(
  db: Db,
  modelId: string,
  pause: () => Promise<void>,
  batch = 10000,
): Promise<Set<string>> {
  const out = new Set<string>();
  let range = IDBKeyRange.bound([modelId, ''], [modelId, '\uffff']);
  for (;;) {
    const keys = await db.getAllKeys('features', range, batch);
    for (const k of keys) out.add(k[1]);
    if (keys.length < batch) return out;
    range = IDBKeyRange.bound([modelId, keys[keys.length - 1][1]], [modelId, '\uffff'], true);
    await pause();
  }
}

export async function listShardImages(db: Db, shardId: string): Promise<ImageRecord[]> {
  return db.getAllFromIndex('images', 'byShard', shardId);
}

/** Every image of a shard that has features of this model, with that layer's features as one n x dim block, read
 *  in batches of 512 hashes (one readonly transaction each). `onBatch` hears the images read so far. */
export async function readShardFeatures(
  db: Db,
  shardId: string,
  modelId: string,
  layer: 'flatten' | 'mixed7',
  onBatch: (done: number, total: number) => void = () => {},
): Promise<{ images: ImageRecord[]; features: Float32Array; dim: number }> {
  const all = await listShardImages(db, shardId);
  const have: ImageRecord[] = [];
  const parts: Float32Array[] = [];
  let dim = 0;
  for (let start = 0; start < all.length; start += 512) {
    const part = all.slice(start, start + 512);
    const records = await getFeatures(
      db,
      modelId,
      part.map((im) => im.hash),
    );
    records.forEach((r, i) => {
      if (!r) return;
      const f = new Float32Array(layer === 'flatten' ? r.flatten : r.mixed7);
      dim ||= f.length;
      if (f.length !== dim) return;
      have.push(part[i]);
      parts.push(f);
    });
    onBatch(Math.min(all.length, start + 512), all.length);
  }
  const features = new Float32Array(have.length * dim);
  parts.forEach((f, i) => features.set(f, i * dim));
  return { images: have, features, dim };
}

export async function putEmbedding(db: Db, record: EmbeddingRecord): Promise<void> {
  await guardedWrite(() => putStrict(db, 'embeddings', record));
}

/** The stored embedding for these settings, unless the shard's labels or splits changed since. */
export async function getEmbedding(db: Db, shardId: string, key: string, labelsHash: string): Promise<EmbeddingRecord | undefined> {
  const record = await db.get('embeddings', [shardId, key]);
  return record && record.labelsHash === labelsHash ? record : undefined;
}

/** Replaces the shard's model (one transaction: the old one stays until the new one is whole). */
export async function putModel(db: Db, record: StoredModel): Promise<void> {
  await guardedWrite(() => putStrict(db, 'models', record));
}

export function getModel(db: Db, shardId: string) {
  return db.get('models', shardId);
}

export async function putLabelFiles(db: Db, record: LabelFilesRecord): Promise<void> {
  await guardedWrite(() => putStrict(db, 'labelFiles', record));
}

export function getLabelFiles(db: Db, shardId: string) {
  return db.get('labelFiles', shardId);
}

export async function putReview(db: Db, record: ReviewRecord): Promise<void> {
  await guardedWrite(() => putStrict(db, 'reviews', record));
}

export function getReview(db: Db, shardId: string) {
  return db.get('reviews', shardId);
}

export async function countRecords(db: Db) {
  return {
    shards: await db.count('shards'),
    images: await db.count('images'),
    thumbs: await db.count('thumbs'),
    features: await db.count('features'),
    embeddings: await db.count('embeddings'),
    models: await db.count('models'),
  };
}

export async function clearAll(db: Db): Promise<void> {
  const tx = db.transaction(['shards', 'images', 'thumbs', 'features', 'embeddings', 'models', 'labelFiles', 'reviews'], 'readwrite');
  await Promise.all([
    tx.objectStore('labelFiles').clear(),
    tx.objectStore('reviews').clear(),
    tx.objectStore('embeddings').clear(),
    tx.objectStore('models').clear(),
    tx.objectStore('shards').clear(),
    tx.objectStore('images').clear(),
    tx.objectStore('thumbs').clear(),
    tx.objectStore('features').clear(),
    tx.done,
  ]);
}

/** Feature records whose vectors are not whole (wrong byte length for their model, `dimsOf`): what a half-written
 *  record would look like. */
export async function malformedFeatures(db: Db, dimsOf: (modelId: string) => { flatten: number; mixed7: number }): Promise<number> {
  let bad = 0;
  let cursor = await db.transaction('features').store.openCursor();
  while (cursor) {
    const r = cursor.value;
    const dims = dimsOf(r.modelId);
    const flattenBytes = dims.flatten * 4;
    const mixed7Bytes = dims.mixed7 * 4;
    if (
      !(r.flatten instanceof ArrayBuffer) ||
      r.flatten.byteLength !== flattenBytes ||
      !(r.mixed7 instanceof ArrayBuffer) ||
      r.mixed7.byteLength !== mixed7Bytes
    )
      bad++;
    cursor = await cursor.continue();
  }
  return bad;
}

/** Opens the database for one worker job and closes it when the job ends, however it ends. */
export async function openForJob(job: { defer(release: () => unknown): void }): Promise<Db> {
  const db = await openSimageDb();
  job.defer(() => db.close());
  return db;
}

/** A collection seen before under another id (the same shard served from another origin, say, after a project
 *  file was imported there): same name, same labels and splits (labelsHash) and the same image bytes. Its label
 *  embeddings and model are copied to this id when this id has none, so nothing is computed again. Returns what
 *  was copied. */
export async function adoptTwin(
  db: Db,
  shard: ShardRecord,
  images: readonly ShardImage[],
): Promise<{ embeddings: number; model: boolean }> {
  const none = { embeddings: 0, model: false };
  const twins = (await listShards(db)).filter(
    (s) => s.shardId !== shard.shardId && s.name === shard.name && s.labelsHash === shard.labelsHash,
  );
  if (twins.length === 0) return none;
  const hashOf = new Map(images.map((im) => [im.imageId, im.hash]));
  for (const twin of twins) {
    const theirs = await listShardImages(db, twin.shardId);
    if (theirs.length !== images.length || theirs.some((im) => hashOf.get(im.imageId) !== im.hash)) continue;
    const have = new Set((await listEmbeddings(db, shard.shardId)).map((e) => e.key));
    const embeddings = (await listEmbeddings(db, twin.shardId)).filter((e) => !have.has(e.key));
    for (const e of embeddings) await putEmbedding(db, { ...e, shardId: shard.shardId });
    const model = (await getModel(db, shard.shardId)) ? undefined : await getModel(db, twin.shardId);
    if (model)
      await putModel(db, {
        ...model,
        shardId: shard.shardId,
        manifest: { ...model.manifest, shard: { ...model.manifest.shard, id: shard.shardId } },
      });
    return { embeddings: embeddings.length, model: !!model };
  }
  return none;
}

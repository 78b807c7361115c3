// Ingest worker: opens a collection (folder, zip, tar, tar.gz, URL), hashes and decodes each image once, stores its
// thumbnail by content hash, keeps the text of its table files, and once every entry is read hands the listing to
// src/lib/ingest/collection.ts (which format, ids, splits, labels) and writes the shard's records. Thin: the
// parsing and joining are src/lib/ingest; this file wires them to messages and IndexedDB.
// Invariant: an image already in the cache (same bytes) is hashed but not decoded again. Entries are read one by one
// (archives are streams); up to IN_FLIGHT images are hashed, decoded and thumbnailed at once, and the shard keeps
// the entries' order.
import { plantLabelErrors } from '../src/lib/ingest/plant';
import { assembleShard, type DecodedImage } from '../src/lib/ingest/assemble';
import { interpretCollection, labelsCannotDefineSimilarity, tableTooLarge } from '../src/lib/ingest/collection';
import type { Skipped } from '../src/lib/ingest/labels';
import { classifyPath } from '../src/lib/ingest/paths';
import type { IngestMethods, LoadRequest } from '../src/lib/ingest/protocol';
import { openShard } from '../src/lib/ingest/source';
import { sourceKey } from '../src/lib/ingest/source-key';
import { contentHash } from '../src/lib/hash';
import { measureProgress, throttle } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import {
  adoptTwin,
  getThumb,
  openForJob,
  putLabelFiles,
  putShard,
  putThumbs,
  type ShardRecord,
  type ThumbRecord,
} from '../src/lib/store/db';
import type { LabelFile } from '../src/lib/ingest/review';
import { DecodeError, makeThumbnail } from './pixels';

/** Images hashed, decoded and thumbnailed at once: two per core (decode and WebP encoding run on the browser's
 *  own threads; docs/BENCHMARKS.md, Ingest). */
const IN_FLIGHT = Math.max(2, Math.min(8, 2 * (self.navigator?.hardwareConcurrency ?? 2)));

async function load(req: LoadRequest, job: Job<IngestMethods['load']['event']>): Promise<IngestMethods['load']['result']> {
  const started = Date.now();
  const inFlightLimit = req.inFlight && req.inFlight >= 1 ? Math.min(32, Math.floor(req.inFlight)) : IN_FLIGHT;
  const db = await openForJob(job);
  const shard = await openShard(req.source, undefined, { prefetch: 8 });
  const report = throttle((p: ReturnType<typeof measureProgress>) => job.emit({ type: 'progress', progress: p }), 200);

  // Results carry the entry's position, so the shard comes out in entry order however the decodes finish.
  const decodedAt: { at: number; image: Omit<DecodedImage, 'imageId'> }[] = [];
  const skippedAt: { at: number; skip: Skipped }[] = [];
  let order = 0;
  const skip = (item: Skipped) => void skippedAt.push({ at: order++, skip: item });
  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  const texts = new Map<string, string>();
  const seenPaths = new Set<string>();
  let pendingThumbs: ThumbRecord[] = [];
  let newlyDecoded = 0;
  const rejectedPaths: string[] = [];
  let done = 0;
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

  /** Decodes (and stores the thumbnail of) each content once per load: identical bytes in flight share it. */
  const decoding = new Map<string, Promise<{ width: number; height: number } | string>>();
  async function decodeOnce(hash: string, bytes: Uint8Array): Promise<{ width: number; height: number } | string> {
    const known = await getThumb(db, hash);
    if (known) return { width: known.originalWidth ?? known.width, height: known.originalHeight ?? known.height };
    try {
      const made = await makeThumbnail(bytes, req.thumbnailPx, req.scaledDecode !== false);
      pendingThumbs.push({ hash, ...made.thumb, originalWidth: made.width, originalHeight: made.height });
      newlyDecoded++;
      if (pendingThumbs.length >= 64) {
        const batch = pendingThumbs;
        pendingThumbs = [];
        await putThumbs(db, batch);
      }
      return { width: made.width, height: made.height };
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return err.message;
    }
  }

  /** Hashes an image, and decodes it and stores its thumbnail unless the same bytes are already stored. */
  async function processImage(at: number, path: string, bytes: Uint8Array) {
    const hash = await contentHash(bytes);
    let pending = decoding.get(hash);
    if (!pending) decoding.set(hash, (pending = decodeOnce(hash, bytes)));
    const size = await pending;
    if (typeof size === 'string') {
      skippedAt.push({ at, skip: { id: path, reason: size } });
      rejectedPaths.push(path);
      return;
    }
    decodedAt.push({ at, image: { path, hash, ...size } });
  }

  try {
    for await (const entry of shard.entries()) {
      job.throwIfCancelled();
      done++;
      report(
        measureProgress(
          'load',
          done,
          shard.total,
          started,
          Date.now(),
          shard.bytes ? `${Math.round((100 * shard.bytesRead()) / shard.bytes)}% of the archive read` : undefined,
        ),
      );
      if (entry.path === null) {
        skip({ id: entry.rawPath, reason: 'unsafe path (it points outside the shard)' });
        await entry.discard();
        continue;
      }
      const path = entry.path;
      const kind = classifyPath(path);
      if (seenPaths.has(path)) {
        skip({ id: path, reason: 'a second entry with the same path (the archive holds it twice; the first is kept)' });
        await entry.discard();
        continue;
      }
      seenPaths.add(path);
      switch (kind.kind) {
        case 'image': {
          const bytes = await entry.read();
          if (bytes.length === 0) {
            skip({ id: path, reason: 'empty file (0 bytes)' });
            rejectedPaths.push(path);
            break;
          }
          // Hash, decode and thumbnail run while the next entries are read: decoding and encoding run on the
          // browser's own threads, so several images in flight keep every core busy (one at a time left one idle).
          const at = order++;
          const task = processImage(at, path, bytes).catch((err) => void (failure ??= err));
          inflight.add(task);
          void task.finally(() => inflight.delete(task));
          if (inflight.size >= inFlightLimit) await Promise.race(inflight);
          if (failure) throw failure;
          break;
        }
        case 'table': {
          // Refused before it is read when the container knows its size (folder, zip, tar); a URL's after.
          const declared = entry.size === null ? null : tableTooLarge(entry.size);
          if (declared) {
            skip({ id: path, reason: declared });
            await entry.discard();
            break;
          }
          const bytes = await entry.read();
          const tooLarge = tableTooLarge(bytes.length);
          if (tooLarge) skip({ id: path, reason: tooLarge });
          else texts.set(path, text(bytes));
          break;
        }
        case 'manifest':
          await entry.discard();
          break;
        case 'ignored':
          skip({ id: path, reason: kind.reason });
          await entry.discard();
          break;
      }
    }
  } finally {
    // A cancel or a failure still waits for the images in flight: none writes after the job ends.
    await Promise.allSettled([...inflight]);
  }
  if (failure) throw failure;
  await putThumbs(db, pendingThumbs);
  const files = decodedAt.sort((a, b) => a.at - b.at).map((d) => d.image);
  const skippedFiles = skippedAt.sort((a, b) => a.at - b.at).map((d) => d.skip);
  const collection = interpretCollection({ imagePaths: files.map((f) => f.path), texts, rejectedPaths }, req.format ?? null);
  const fileOf = new Map(files.map((f) => [f.path, f]));
  const decoded: DecodedImage[] = collection.images.map(({ path, imageId }) => ({ ...fileOf.get(path)!, imageId }));
  const { images, summary } = assembleShard(decoded, collection.labelRows, collection.splits, [...skippedFiles, ...collection.skipped]);
  Object.assign(summary, {
    format: collection.choice.format,
    formatEvidence: collection.choice.evidence,
    formatAlternatives: collection.choice.alternatives,
    formatChosen: collection.choice.chosen,
    labelsUnusable: labelsCannotDefineSimilarity(images),
    tablesUsed: collection.used.length,
  });
  const classes = collection.classes;
  const labelFiles: LabelFile[] = collection.used.flatMap((path): LabelFile[] => {
    const kind = labelFileKind(collection.choice.format, path);
    return kind ? [{ path, kind, text: texts.get(path) ?? '' }] : [];
  });
  const planted = req.plantErrors ? plantLabelErrors(images, req.plantErrors) : null;
  const used = new Set(images.flatMap((im) => im.labels.map((l) => l.labelName)));
  const shardId = sourceKey(req.source);
  const labelsHash = await contentHash(new TextEncoder().encode(JSON.stringify(images.map((im) => [im.imageId, im.split, im.labels]))));
  await putLabelFiles(db, { shardId, files: labelFiles });
  const record: ShardRecord = {
    shardId,
    name: planted ? `${shard.name} (${Math.round(planted.rate * 100)}% label errors planted)` : shard.name,
    source: req.source.kind === 'url' ? { kind: 'url', url: req.source.url } : { kind: req.source.kind },
    loadedAt: Date.now(),
    summary,
    classes: [...used].map((l) => [l, classes.get(l) ?? l]),
    labelsHash,
    ...(planted ? { planted } : {}),
  };
  await putShard(db, record, images);
  // The same collection stored under another id (another origin, after a project file): its embeddings and model.
  await adoptTwin(db, record, images);
  report(measureProgress('load', done, done, started, Date.now()), true);
  return { shardId, name: shard.name, summary, decoded: newlyDecoded, elapsedMs: Date.now() - started };
}

/** The label files a review's corrected export rewrites, as they were read. */
function labelFileKind(format: string, path: string): LabelFile['kind'] | null {
  const lower = path.toLowerCase();
  if (format === 'open-images') return /labels\.csv$|imagelabels.*\.csv$/.test(lower) ? 'labels-csv' : null;
  if (format === 'seed-text') return lower.endsWith('.txt') ? 'labels-txt' : null;
  if (format === 'coco') return lower.endsWith('.json') ? 'coco' : null;
  if (format === 'hf') return /metadata\.(jsonl|csv)$/.test(lower) ? 'hf' : null;
  if (format === 'csv') return lower.endsWith('.csv') ? 'csv' : null;
  return null;
}

serve<IngestMethods>({ load }, { load: 'Loading the shard failed' }, self);

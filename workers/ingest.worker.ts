// Ingest worker: opens a shard (folder, zip, tar, tar.gz, URL), hashes and decodes each image once, stores its
// thumbnail by content hash, parses the label tables, and writes the shard's records. Thin: the parsing and
// joining are src/lib/ingest; this file wires them to messages and IndexedDB.
// Invariant: an image already in the cache (same bytes) is hashed but not decoded again.
import { assembleShard, type DecodedImage } from '../src/lib/ingest/assemble';
import {
  parseClassesCsv,
  parseLabelsCsv,
  parseLabelsTxt,
  parseSplitCsv,
  type LabelRow,
  type Skipped,
  type Split,
} from '../src/lib/ingest/labels';
import { classifyPath } from '../src/lib/ingest/paths';
import type { IngestMethods, LoadRequest } from '../src/lib/ingest/protocol';
import { openShard, sourceKey } from '../src/lib/ingest/source';
import { contentHash } from '../src/lib/hash';
import { measureProgress, throttle } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import { getThumb, openForJob, putLabelFiles, putShard, putThumbs, type ThumbRecord } from '../src/lib/store/db';
import type { LabelFile } from '../src/lib/ingest/review';
import { DecodeError, makeThumbnail } from './pixels';

async function load(req: LoadRequest, job: Job<IngestMethods['load']['event']>): Promise<IngestMethods['load']['result']> {
  const started = Date.now();
  const db = await openForJob(job);
  const shard = await openShard(req.source);
  const report = throttle((p: ReturnType<typeof measureProgress>) => job.emit({ type: 'progress', progress: p }), 200);

  const decoded: DecodedImage[] = [];
  const firstPath = new Map<string, string>();
  const skipped: Skipped[] = [];
  const labelRows: LabelRow[] = [];
  const labelFiles: LabelFile[] = [];
  let splits: Map<string, Split> | null = null;
  const classes = new Map<string, string>();
  let pendingThumbs: ThumbRecord[] = [];
  let newlyDecoded = 0;
  const rejectedIds = new Set<string>();
  let done = 0;
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

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
      skipped.push({ id: entry.rawPath, reason: 'unsafe path (it points outside the shard)' });
      await entry.discard();
      continue;
    }
    const path = entry.path;
    const kind = classifyPath(path);
    switch (kind.kind) {
      case 'image': {
        const earlier = firstPath.get(kind.imageId);
        if (earlier !== undefined) {
          skipped.push({ id: kind.imageId, reason: `duplicate ImageID (kept ${earlier}, skipped ${path})` });
          await entry.discard();
          break;
        }
        const bytes = await entry.read();
        if (bytes.length === 0) {
          skipped.push({ id: path, reason: 'empty file (0 bytes)' });
          rejectedIds.add(kind.imageId);
          break;
        }
        const hash = await contentHash(bytes);
        const known = await getThumb(db, hash);
        let size: { width: number; height: number };
        if (known) size = { width: known.originalWidth ?? known.width, height: known.originalHeight ?? known.height };
        else {
          try {
            const made = await makeThumbnail(bytes, req.thumbnailPx);
            size = { width: made.width, height: made.height };
            pendingThumbs.push({ hash, ...made.thumb, originalWidth: made.width, originalHeight: made.height });
            newlyDecoded++;
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            skipped.push({ id: path, reason: err.message });
            rejectedIds.add(kind.imageId);
            break;
          }
        }
        firstPath.set(kind.imageId, path);
        decoded.push({ imageId: kind.imageId, path, hash, ...size });
        if (pendingThumbs.length >= 64) {
          await putThumbs(db, pendingThumbs);
          pendingThumbs = [];
        }
        break;
      }
      case 'labels-csv':
      case 'labels-txt': {
        const raw = text(await entry.read());
        labelFiles.push({ path, kind: kind.kind, text: raw });
        const parsed = (kind.kind === 'labels-csv' ? parseLabelsCsv : parseLabelsTxt)(raw, path);
        for (const r of parsed.rows) labelRows.push(r);
        skipped.push(...parsed.skipped);
        break;
      }
      case 'classes': {
        const parsed = parseClassesCsv(text(await entry.read()), path);
        for (const [k, v] of parsed.names) classes.set(k, v);
        skipped.push(...parsed.skipped);
        break;
      }
      case 'split': {
        const parsed = parseSplitCsv(text(await entry.read()), path);
        splits ??= new Map();
        for (const [k, v] of parsed.splits) splits.set(k, v);
        skipped.push(...parsed.skipped);
        break;
      }
      case 'manifest':
        await entry.discard();
        break;
      case 'ignored':
        skipped.push({ id: path, reason: kind.reason });
        await entry.discard();
        break;
    }
  }
  await putThumbs(db, pendingThumbs);
  const { images, summary } = assembleShard(decoded, labelRows, splits, skipped, rejectedIds);
  const used = new Set(images.flatMap((im) => im.labels.map((l) => l.labelName)));
  const shardId = sourceKey(req.source);
  const labelsHash = await contentHash(new TextEncoder().encode(JSON.stringify(images.map((im) => [im.imageId, im.split, im.labels]))));
  await putLabelFiles(db, { shardId, files: labelFiles });
  await putShard(
    db,
    {
      shardId,
      name: shard.name,
      source: req.source.kind === 'url' ? { kind: 'url', url: req.source.url } : { kind: req.source.kind },
      loadedAt: Date.now(),
      summary,
      classes: [...used].map((l) => [l, classes.get(l) ?? l]),
      labelsHash,
    },
    images,
  );
  report(measureProgress('load', done, done, started, Date.now()), true);
  return { shardId, name: shard.name, summary, decoded: newlyDecoded, elapsedMs: Date.now() - started };
}

serve<IngestMethods>({ load }, { load: 'Loading the shard failed' }, self);

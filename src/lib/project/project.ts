// Project files: a shard's computed state as one zip (zip.js), written and read as streams so 100,000 images x
// 2,816 floats (1.1 GB) are never in memory at once. Export reads the store in batches and writes each entry while
// hashing it; the manifest (format.ts: every entry's size and SHA-256) is written last. Import checks the whole file
// first (the manifest, every entry's presence, size and checksum, every record's decoding) and only then writes,
// merging by key: features by [model id, content hash], thumbnails by content hash, the shard, its label files and
// embeddings by shard id (and settings key), the model by shard id; whatever is stored already is kept.
// Used by workers/project.worker.ts; over fake-indexeddb in Node tests.
import { BlobReader, ZipReader, ZipWriter, configure, type Entry, type FileEntry } from '@zip.js/zip.js';
import {
  featureModelsFor,
  getFeatures,
  getLabelFiles,
  getModel,
  getShard,
  getThumbs,
  hasEmbedding,
  listEmbeddings,
  listShardImages,
  putEmbedding,
  putLabelFiles,
  putMissing,
  putModel,
  putShard,
  type Db,
  type EmbeddingRecord,
  type FeatureRecord,
  type ImageRecord,
  type LabelFilesRecord,
  type ShardRecord,
  type ThumbRecord,
} from '../store/db';
import type { StoredModel } from '../retrieval/stored-model';
import {
  PROJECT_FORMAT,
  PROJECT_VERSION,
  ProjectFileError,
  assertLittleEndian,
  modelFolder,
  packRecord,
  streamingSha256,
  unpackRecord,
  validateManifest,
  type ProjectFeatures,
  type ProjectManifest,
  type RecordKind,
} from './format';

configure({ useWebWorkers: false });

const BATCH = 256;
const HEX64 = /^[0-9a-f]{64}$/;

export interface ProjectProgress {
  phase: 'export' | 'check' | 'import';
  done: number;
  total: number;
}

export interface ExportOptions {
  shardId: string;
  /** Feature model ids to include; 'all' = every model with features of this shard's images. */
  models: 'all' | string[];
  generator?: string;
}

export interface ExportSummary {
  bytes: number;
  features: { modelId: string; count: number }[];
  thumbs: number;
  records: RecordKind[];
}

/** A stream of the bytes `next` produces (null = the end), hashed as they go. */
function hashedStream(
  next: () => Promise<Uint8Array | null>,
  onDone: (d: { bytes: number; sha256: string }) => void,
  signal?: AbortSignal,
) {
  const hash = streamingSha256();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      signal?.throwIfAborted();
      const chunk = await next();
      if (chunk === null) {
        onDone(hash.digest());
        controller.close();
      } else {
        hash.update(chunk);
        controller.enqueue(chunk);
      }
    },
  });
}

const once = (bytes: Uint8Array) => {
  let sent = false;
  return async () => (sent ? null : ((sent = true), bytes));
};

/** Writes the project file of a stored shard to `out`. */
export async function exportProject(
  db: Db,
  opts: ExportOptions,
  out: WritableStream<Uint8Array>,
  onProgress: (p: ProjectProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<ExportSummary> {
  assertLittleEndian();
  const shard = await getShard(db, opts.shardId);
  if (!shard) throw new ProjectFileError('This collection is not stored in this browser any more; load it again, then export.');
  const images = await listShardImages(db, opts.shardId);
  const hashes = new Set(images.map((im) => im.hash));
  const byModel = await featureModelsFor(db, hashes);
  const modelIds = opts.models === 'all' ? [...byModel.keys()].sort() : opts.models.filter((m) => byModel.has(m));
  const orderedHashes = [...hashes].sort();
  const labelFiles = await getLabelFiles(db, opts.shardId);
  const embeddings = await listEmbeddings(db, opts.shardId);
  const model = await getModel(db, opts.shardId);

  const records: { kind: RecordKind; value: unknown }[] = [
    { kind: 'shard', value: shard },
    { kind: 'images', value: images },
    ...(labelFiles ? [{ kind: 'labelFiles' as const, value: labelFiles }] : []),
    ...embeddings.map((e) => ({ kind: 'embedding' as const, value: e })),
    ...(model ? [{ kind: 'model' as const, value: model }] : []),
  ];
  const total = modelIds.reduce((n, m) => n + 2 * byModel.get(m)!.length, 0) + orderedHashes.length + records.length;
  let done = 0;
  const step = (n: number) => {
    done += n;
    onProgress({ phase: 'export', done, total });
  };

  const entries: ProjectManifest['entries'] = {};
  let written = 0;
  const counting = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      written += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const piped = counting.readable.pipeTo(out);
  const zip = new ZipWriter(counting.writable, { zip64: true, level: 0 });
  const add = async (name: string, next: () => Promise<Uint8Array | null>, level = 0) => {
    await zip.add(
      name,
      hashedStream(next, (d) => (entries[name] = d), signal),
      { level },
    );
  };

  try {
    const features: ProjectFeatures[] = [];
    for (const modelId of modelIds) {
      const list = byModel.get(modelId)!;
      const first = (await getFeatures(db, modelId, [list[0]]))[0]!;
      const dims = { flatten: first.flatten.byteLength / 4, mixed7: first.mixed7.byteLength / 4 };
      const dir = `features/${modelFolder(modelId)}`;
      await add(`${dir}/hashes.txt`, once(new TextEncoder().encode(list.join('\n') + '\n')), 6);
      for (const layer of ['flatten', 'mixed7'] as const) {
        let at = 0;
        await add(`${dir}/${layer}.f32`, async () => {
          if (at >= list.length) return null;
          const batch = list.slice(at, at + BATCH);
          at += batch.length;
          const rows = await getFeatures(db, modelId, batch);
          const bytes = new Uint8Array(batch.length * dims[layer] * 4);
          rows.forEach((r, i) => {
            const v = r?.[layer];
            if (!v || v.byteLength !== dims[layer] * 4) throw new Error(`the stored features of ${batch[i]} are not whole`);
            bytes.set(new Uint8Array(v), i * dims[layer] * 4);
          });
          step(batch.length);
          return bytes;
        });
      }
      features.push({
        modelId,
        count: list.length,
        dims,
        entries: { hashes: `${dir}/hashes.txt`, flatten: `${dir}/flatten.f32`, mixed7: `${dir}/mixed7.f32` },
      });
    }

    // Thumbnails: the bytes one after another, then their index.
    const index: [string, string, number, number, number, number, number, number][] = [];
    let offset = 0;
    let at = 0;
    await add('thumbs/data.bin', async () => {
      while (at < orderedHashes.length) {
        const batch = orderedHashes.slice(at, at + BATCH);
        at += batch.length;
        const thumbs = (await getThumbs(db, batch)).filter((t): t is ThumbRecord => !!t);
        step(batch.length);
        if (thumbs.length === 0) continue;
        const size = thumbs.reduce((n, t) => n + t.bytes.byteLength, 0);
        const bytes = new Uint8Array(size);
        let o = 0;
        for (const t of thumbs) {
          bytes.set(new Uint8Array(t.bytes), o);
          index.push([t.hash, t.type, t.width, t.height, t.originalWidth, t.originalHeight, offset + o, t.bytes.byteLength]);
          o += t.bytes.byteLength;
        }
        offset += size;
        return bytes;
      }
      return null;
    });
    await add('thumbs/index.json', once(new TextEncoder().encode(JSON.stringify(index))), 6);

    const recordEntries: ProjectManifest['records'] = [];
    for (const [i, r] of records.entries()) {
      const { json, bin } = packRecord(r.value);
      const base = `records/${i}-${r.kind}`;
      await add(`${base}.json`, once(new TextEncoder().encode(json)), 6);
      await add(`${base}.bin`, once(bin));
      recordEntries.push({ kind: r.kind, json: `${base}.json`, bin: `${base}.bin` });
      step(1);
    }

    const manifest: ProjectManifest = {
      format: PROJECT_FORMAT,
      version: PROJECT_VERSION,
      createdAt: new Date().toISOString(),
      generator: opts.generator ?? 'simage',
      shard: { shardId: shard.shardId, name: shard.name, labelsHash: shard.labelsHash, images: images.length },
      features,
      thumbs: { count: index.length, index: 'thumbs/index.json', data: 'thumbs/data.bin' },
      records: recordEntries,
      entries,
    };
    await zip.add('manifest.json', new BlobReader(new Blob([JSON.stringify(manifest, null, 1)])), { level: 6 });
    await zip.close();
    await piped;
    return {
      bytes: written,
      features: features.map((f) => ({ modelId: f.modelId, count: f.count })),
      thumbs: index.length,
      records: records.map((r) => r.kind),
    };
  } catch (err) {
    await counting.writable.abort(err).catch(() => {});
    await piped.catch(() => {});
    throw err;
  }
}

// ---- import -----------------------------------------------------------------------------------------------------------

export interface ImportSummary {
  shard: { shardId: string; name: string; added: boolean };
  features: { modelId: string; added: number; kept: number }[];
  thumbs: { added: number; kept: number };
  embeddings: { added: number; kept: number };
  model: 'added' | 'kept' | 'none';
}

/** Reads an entry as a stream of chunks. */
function entryStream(entry: FileEntry, signal?: AbortSignal): ReadableStream<Uint8Array> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  entry.getData(pipe.writable, { signal, checkSignature: true }).catch(() => {});
  return pipe.readable;
}

/** Reads exactly `n` bytes at a time from a stream (the last take may be short only at its end). */
function exactReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let buffered: Uint8Array[] = [];
  let have = 0;
  return {
    async take(n: number): Promise<Uint8Array> {
      while (have < n) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered.push(value);
        have += value.byteLength;
      }
      if (have < n) throw new ProjectFileError('The project file ended early (it may be truncated). Nothing more was imported.');
      const out = new Uint8Array(n);
      let o = 0;
      const rest: Uint8Array[] = [];
      for (const b of buffered) {
        if (o >= n) rest.push(b);
        else if (o + b.byteLength <= n) {
          out.set(b, o);
          o += b.byteLength;
        } else {
          const part = n - o;
          out.set(b.subarray(0, part), o);
          rest.push(b.subarray(part));
          o = n;
        }
      }
      buffered = rest;
      have -= n;
      return out;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

async function entryBytes(entry: FileEntry, signal?: AbortSignal): Promise<Uint8Array> {
  return new Uint8Array(await new Response(entryStream(entry, signal)).arrayBuffer());
}

const damaged = (what: string) =>
  new ProjectFileError(
    `The project file is damaged: ${what}. It may be truncated or changed since it was written; export it again. Nothing was changed.`,
  );

interface Checked {
  manifest: ProjectManifest;
  files: Map<string, FileEntry>;
  records: { kind: RecordKind; value: unknown }[];
  hashLists: Map<string, string[]>;
  thumbIndex: [string, string, number, number, number, number, number, number][];
}

/** The whole file checked, nothing written: the manifest, each entry's size and SHA-256, the records decoded. */
async function checkProject(file: Blob, onProgress: (p: ProjectProgress) => void, signal?: AbortSignal): Promise<Checked> {
  let entries: Entry[];
  const reader = new ZipReader(new BlobReader(file));
  try {
    entries = await reader.getEntries();
  } catch {
    throw new ProjectFileError('This file is not a project file (it is not a zip archive, or it is truncated). Nothing was changed.');
  }
  const files = new Map(entries.filter((e): e is FileEntry => !e.directory).map((e) => [e.filename, e]));
  const manifestEntry = files.get('manifest.json');
  if (!manifestEntry) throw new ProjectFileError('This zip is not a project file (it has no manifest.json). Nothing was changed.');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(await entryBytes(manifestEntry, signal)));
  } catch {
    throw damaged('its manifest is not readable');
  }
  const manifest = validateManifest(raw);
  const total = Object.values(manifest.entries).reduce((n, e) => n + e.bytes, 0);
  let done = 0;
  const small = new Map<string, Uint8Array>();
  const keep = new Set([
    ...manifest.features.map((f) => f.entries.hashes),
    ...(manifest.thumbs ? [manifest.thumbs.index] : []),
    ...manifest.records.flatMap((r) => [r.json, r.bin]),
  ]);
  for (const [name, want] of Object.entries(manifest.entries)) {
    const entry = files.get(name);
    if (!entry) throw damaged(`${name} is missing`);
    if (entry.uncompressedSize !== want.bytes) throw damaged(`${name} holds ${entry.uncompressedSize} bytes, not ${want.bytes}`);
    const hash = streamingSha256();
    const parts: Uint8Array[] = [];
    try {
      const r = entryStream(entry, signal).getReader();
      for (;;) {
        signal?.throwIfAborted();
        const { value, done: end } = await r.read();
        if (end) break;
        hash.update(value);
        if (keep.has(name)) parts.push(value);
        done += value.byteLength;
        onProgress({ phase: 'check', done, total });
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      throw damaged(`${name} cannot be read`);
    }
    const got = hash.digest();
    if (got.bytes !== want.bytes || got.sha256 !== want.sha256) throw damaged(`${name} does not match its checksum`);
    if (keep.has(name)) small.set(name, new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer()));
  }
  const text = (name: string) => new TextDecoder().decode(small.get(name)!);
  const hashLists = new Map<string, string[]>();
  for (const f of manifest.features) {
    const list = text(f.entries.hashes).split('\n').filter(Boolean);
    if (list.length !== f.count || !list.every((h) => HEX64.test(h)))
      throw damaged(`the content hashes of ${f.modelId} are not ${f.count} SHA-256 values`);
    hashLists.set(f.modelId, list);
  }
  let thumbIndex: Checked['thumbIndex'] = [];
  if (manifest.thumbs) {
    const dataBytes = manifest.entries[manifest.thumbs.data].bytes;
    try {
      thumbIndex = JSON.parse(text(manifest.thumbs.index));
    } catch {
      throw damaged('the thumbnail index is not readable');
    }
    let end = 0;
    const ok =
      Array.isArray(thumbIndex) &&
      thumbIndex.length === manifest.thumbs.count &&
      thumbIndex.every((t) => {
        const fine =
          Array.isArray(t) &&
          t.length === 8 &&
          HEX64.test(t[0]) &&
          typeof t[1] === 'string' &&
          t[6] === end &&
          Number.isInteger(t[7]) &&
          t[7] > 0;
        if (fine) end += t[7];
        return fine;
      }) &&
      end === dataBytes;
    if (!ok) throw damaged('the thumbnail index does not match the thumbnails');
  }
  const records = manifest.records.map((r) => ({ kind: r.kind, value: unpackRecord(text(r.json), small.get(r.bin)!) }));
  checkRecords(manifest, records);
  await reader.close();
  return { manifest, files, records, hashLists, thumbIndex };
}

/** The records fit together: one shard and its images, embeddings and model of that shard. */
function checkRecords(manifest: ProjectManifest, records: { kind: RecordKind; value: unknown }[]) {
  const of = (kind: RecordKind) => records.filter((r) => r.kind === kind).map((r) => r.value as Record<string, unknown>);
  const shards = of('shard');
  const id = manifest.shard.shardId;
  if (shards.length !== 1 || shards[0].shardId !== id || typeof shards[0].labelsHash !== 'string')
    throw damaged('its shard record does not match its manifest');
  const images = of('images');
  if (images.length !== 1 || !Array.isArray(images[0]) || (images[0] as unknown[]).length !== manifest.shard.images)
    throw damaged('its image list does not match its manifest');
  for (const im of images[0] as unknown as ImageRecord[])
    if (typeof im?.imageId !== 'string' || typeof im.hash !== 'string' || im.shardId !== id)
      throw damaged('an image of its list is not described');
  for (const kind of ['labelFiles', 'embedding', 'model'] as const)
    for (const r of of(kind)) if (r.shardId !== id) throw damaged(`its ${kind} record belongs to another shard`);
  for (const e of of('embedding') as unknown as EmbeddingRecord[]) {
    const n = e.imageIds?.length;
    if (typeof e.key !== 'string' || !(e.layout instanceof Float32Array) || e.layout.length !== n * 2 || !(e.svd instanceof Float32Array))
      throw damaged('a label embedding is not whole');
  }
  for (const m of of('model') as unknown as StoredModel[]) {
    if (!(m.weights instanceof ArrayBuffer) || !m.manifest || typeof m.manifest.featureModelId !== 'string' || !m.modelJson)
      throw damaged('its model is not whole');
  }
}

/** Imports a project file into the store (see the top of this file); refuses a wrong or damaged file before writing. */
export async function importProject(
  db: Db,
  file: Blob,
  onProgress: (p: ProjectProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<ImportSummary> {
  assertLittleEndian();
  const { manifest, files, records, hashLists, thumbIndex } = await checkProject(file, onProgress, signal);
  const total = manifest.features.reduce((n, f) => n + f.count, 0) + thumbIndex.length + records.length;
  let done = 0;
  const step = (n: number) => {
    done += n;
    onProgress({ phase: 'import', done, total });
  };

  const features: ImportSummary['features'] = [];
  for (const f of manifest.features) {
    const list = hashLists.get(f.modelId)!;
    const flat = exactReader(entryStream(files.get(f.entries.flatten)!, signal));
    const mid = exactReader(entryStream(files.get(f.entries.mixed7)!, signal));
    let added = 0;
    try {
      for (let at = 0; at < list.length; at += BATCH) {
        signal?.throwIfAborted();
        const batch = list.slice(at, at + BATCH);
        const a = await flat.take(batch.length * f.dims.flatten * 4);
        const b = await mid.take(batch.length * f.dims.mixed7 * 4);
        const rows: FeatureRecord[] = batch.map((hash, i) => ({
          modelId: f.modelId,
          hash,
          flatten: a.slice(i * f.dims.flatten * 4, (i + 1) * f.dims.flatten * 4).buffer,
          mixed7: b.slice(i * f.dims.mixed7 * 4, (i + 1) * f.dims.mixed7 * 4).buffer,
        }));
        added += await putMissing(db, 'features', rows);
        step(batch.length);
      }
    } finally {
      await flat.cancel();
      await mid.cancel();
    }
    features.push({ modelId: f.modelId, added, kept: list.length - added });
  }

  let thumbsAdded = 0;
  if (manifest.thumbs && thumbIndex.length) {
    const data = exactReader(entryStream(files.get(manifest.thumbs.data)!, signal));
    try {
      for (let at = 0; at < thumbIndex.length; at += BATCH) {
        signal?.throwIfAborted();
        const batch = thumbIndex.slice(at, at + BATCH);
        const rows: ThumbRecord[] = [];
        for (const [hash, type, width, height, originalWidth, originalHeight, , length] of batch)
          rows.push({ hash, type, width, height, originalWidth, originalHeight, bytes: (await data.take(length)).buffer as ArrayBuffer });
        thumbsAdded += await putMissing(db, 'thumbs', rows);
        step(batch.length);
      }
    } finally {
      await data.cancel();
    }
  }

  // The shard and what hangs on it: each kept when one is stored under its key.
  const of = <T>(kind: RecordKind) => records.filter((r) => r.kind === kind).map((r) => r.value as T);
  const shard = of<ShardRecord>('shard')[0];
  const shardAdded = !(await getShard(db, shard.shardId));
  if (shardAdded) await putShard(db, shard, of<ImageRecord[]>('images')[0]);
  step(2);
  for (const lf of of<LabelFilesRecord>('labelFiles')) if (!(await getLabelFiles(db, lf.shardId))) await putLabelFiles(db, lf);
  let embAdded = 0;
  const embeddings = of<EmbeddingRecord>('embedding');
  for (const e of embeddings) {
    if (!(await hasEmbedding(db, e.shardId, e.key))) {
      await putEmbedding(db, e);
      embAdded++;
    }
    step(1);
  }
  const model = of<StoredModel>('model')[0];
  let modelState: ImportSummary['model'] = 'none';
  if (model) {
    modelState = (await getModel(db, model.shardId)) ? 'kept' : 'added';
    if (modelState === 'added') await putModel(db, model);
  }
  step(records.length - 2 - embeddings.length);
  return {
    shard: { shardId: shard.shardId, name: shard.name, added: shardAdded },
    features,
    thumbs: { added: thumbsAdded, kept: thumbIndex.length - thumbsAdded },
    embeddings: { added: embAdded, kept: embeddings.length - embAdded },
    model: modelState,
  };
}

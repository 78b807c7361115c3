// The project file's format, pure: its manifest (what it holds, each entry's size and SHA-256), the checks an
// imported manifest must pass, and the codec that turns a stored record (JSON with typed arrays inside) into a JSON
// entry plus one binary entry and back. Invariants: every number array crosses as little-endian bytes (refused on a
// big-endian machine rather than written wrong); a manifest that fails any check yields one sentence and nothing is
// written; entry names are ours, never taken from the file to address anything outside the archive.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { UserError } from '../errors';

export const PROJECT_FORMAT = 'simage-project';
export const PROJECT_VERSION = 1;

/** One feature model's vectors: `hashes` (content hashes, one per line) and one float32 blob per layer, rows in the
 *  order of the hashes. */
export interface ProjectFeatures {
  modelId: string;
  count: number;
  dims: { flatten: number; mixed7: number };
  entries: { hashes: string; flatten: string; mixed7: string };
}

export interface ProjectManifest {
  format: typeof PROJECT_FORMAT;
  version: number;
  createdAt: string;
  generator: string;
  shard: { shardId: string; name: string; labelsHash: string; images: number };
  /** Features, per feature model. */
  features: ProjectFeatures[];
  /** Thumbnails: `index` (JSON rows [hash, type, width, height, originalWidth, originalHeight, offset, length]) and
   *  `data` (the WebP bytes, one after another). */
  thumbs: { count: number; index: string; data: string } | null;
  /** Stored records, each a JSON entry and a binary entry (the codec below): the shard and its images, its label
   *  files, its label embeddings and its model. */
  records: { kind: RecordKind; json: string; bin: string }[];
  /** Every other entry's size and SHA-256 (hex). */
  entries: Record<string, { bytes: number; sha256: string }>;
}

export type RecordKind = 'shard' | 'images' | 'labelFiles' | 'embedding' | 'model';
const RECORD_KINDS: readonly RecordKind[] = ['shard', 'images', 'labelFiles', 'embedding', 'model'];

/** A refused project file: the message is the sentence for the person. */
export class ProjectFileError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectFileError';
  }
}

export const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export function assertLittleEndian() {
  if (!littleEndian)
    throw new ProjectFileError('This machine stores numbers big-endian; project files are little-endian. Nothing was changed.');
}

/** SHA-256 over bytes that arrive in parts. */
export function streamingSha256() {
  const h = sha256.create();
  let bytes = 0;
  return {
    update(chunk: Uint8Array) {
      h.update(chunk);
      bytes += chunk.byteLength;
    },
    digest: () => ({ bytes, sha256: bytesToHex(h.digest()) }),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isName = (v: unknown): v is string => typeof v === 'string' && /^[\w./-]{1,200}$/.test(v) && !v.includes('..');

/** Checks a manifest read from a file; returns it typed, or throws ProjectFileError with the sentence. */
export function validateManifest(raw: unknown): ProjectManifest {
  const fail = (why: string): never => {
    throw new ProjectFileError(`This is not a project file simage can read (${why}). Nothing was changed.`);
  };
  if (!isObject(raw) || raw.format !== PROJECT_FORMAT) fail('its manifest does not say simage-project');
  const m = raw as Record<string, unknown>;
  if (m.version !== PROJECT_VERSION)
    throw new ProjectFileError(
      typeof m.version === 'number' && m.version > PROJECT_VERSION
        ? `This project file was written by a newer simage (format ${m.version}; this one reads ${PROJECT_VERSION}). Update the app, then import it again. Nothing was changed.`
        : `This project file's format version (${String(m.version)}) is not one this app reads. Nothing was changed.`,
    );
  const shard = m.shard;
  if (
    !isObject(shard) ||
    typeof shard.shardId !== 'string' ||
    typeof shard.name !== 'string' ||
    typeof shard.labelsHash !== 'string' ||
    !isCount(shard.images)
  )
    fail('the shard it was made from is not described');
  if (!isObject(m.entries)) fail('the list of entries is missing');
  const entries = m.entries as Record<string, unknown>;
  for (const [name, e] of Object.entries(entries)) {
    if (!isName(name) || !isObject(e) || !isCount(e.bytes) || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256))
      fail(`the entry ${JSON.stringify(name).slice(0, 80)} is not described right`);
  }
  const listed = (name: unknown) => {
    if (!isName(name) || !(name in entries)) fail(`an entry it names (${String(name).slice(0, 80)}) is not listed`);
    return name as string;
  };
  if (!Array.isArray(m.features)) fail('the feature list is missing');
  const seen = new Set<string>();
  for (const f of m.features as unknown[]) {
    if (!isObject(f) || typeof f.modelId !== 'string' || !isCount(f.count) || !isObject(f.dims) || !isObject(f.entries))
      fail('a feature model is not described');
    const fe = f as unknown as ProjectFeatures;
    if (seen.has(fe.modelId)) fail(`the features of ${fe.modelId} are listed twice`);
    seen.add(fe.modelId);
    for (const layer of ['flatten', 'mixed7'] as const) {
      const dim = fe.dims[layer];
      if (!Number.isInteger(dim) || dim < 1 || dim > 65536) fail(`the width of ${fe.modelId} ${layer} is wrong`);
      const e = entries[listed(fe.entries[layer])] as { bytes: number };
      if (e.bytes !== fe.count * dim * 4) fail(`${fe.modelId} ${layer} holds ${e.bytes} bytes, not ${fe.count} vectors of ${dim} floats`);
    }
    listed(fe.entries.hashes);
  }
  if (m.thumbs !== null) {
    const t = m.thumbs;
    if (!isObject(t) || !isCount(t.count)) fail('the thumbnails are not described');
    listed((t as Record<string, unknown>).index);
    listed((t as Record<string, unknown>).data);
  }
  if (!Array.isArray(m.records)) fail('the record list is missing');
  for (const r of m.records as unknown[]) {
    if (!isObject(r) || !RECORD_KINDS.includes(r.kind as RecordKind)) fail('a record is of an unknown kind');
    listed((r as Record<string, unknown>).json);
    listed((r as Record<string, unknown>).bin);
  }
  return m as unknown as ProjectManifest;
}

// ---- the record codec -----------------------------------------------------------------------------------------------
// JSON cannot hold typed arrays or ArrayBuffers; each one found in a record is replaced by a reference
// {"$bin": type, "at": byte offset, "n": element count} into the record's binary entry (8-byte aligned), so a model's
// weights or an embedding's arrays cross byte for byte.
const TYPED = { Float32Array, Int32Array, Uint8Array, Float64Array, Uint32Array, Int8Array, Uint16Array, Int16Array } as const;
type TypedName = keyof typeof TYPED;
type BinRef = { $bin: TypedName | 'ArrayBuffer'; at: number; n: number };

export function packRecord(record: unknown): { json: string; bin: Uint8Array } {
  assertLittleEndian();
  const parts: Uint8Array[] = [];
  let size = 0;
  const put = (bytes: Uint8Array) => {
    const at = size;
    parts.push(bytes);
    size += bytes.byteLength;
    const pad = (8 - (size % 8)) % 8;
    if (pad) {
      parts.push(new Uint8Array(pad));
      size += pad;
    }
    return at;
  };
  const walk = (v: unknown): unknown => {
    if (v instanceof ArrayBuffer) return { $bin: 'ArrayBuffer', at: put(new Uint8Array(v)), n: v.byteLength } satisfies BinRef;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name as TypedName;
      if (!(name in TYPED)) throw new Error(`cannot pack a ${name}`);
      const t = v as unknown as { length: number };
      return { $bin: name, at: put(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)), n: t.length } satisfies BinRef;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const json = JSON.stringify(walk(record));
  const bin = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    bin.set(p, o);
    o += p.byteLength;
  }
  return { json, bin };
}

export function unpackRecord(json: string, bin: Uint8Array): unknown {
  assertLittleEndian();
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObject(v)) return v;
    if (typeof v.$bin === 'string' && isCount(v.at) && isCount(v.n)) {
      const name = v.$bin;
      const per = name === 'ArrayBuffer' ? 1 : (TYPED[name as TypedName]?.BYTES_PER_ELEMENT ?? 0);
      if (!per || v.at + v.n * per > bin.byteLength)
        throw new ProjectFileError('A stored record in this project file points outside its data. Nothing was changed.');
      const copy = bin.slice(v.at, v.at + v.n * per).buffer;
      return name === 'ArrayBuffer' ? copy : new TYPED[name as TypedName](copy);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  try {
    return walk(JSON.parse(json));
  } catch (err) {
    if (err instanceof ProjectFileError) throw err;
    throw new ProjectFileError('A stored record in this project file is not valid JSON. Nothing was changed.');
  }
}

/** A file-safe folder name for a feature model id. */
export const modelFolder = (modelId: string) => modelId.replace(/[^\w.-]+/g, '_');

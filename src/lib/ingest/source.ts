// Readers for every shard container of ../shared/SHARD-FORMAT.md: a folder (files with relative paths), a .zip,
// a .tar, a .tar.gz/.tgz (from disk or a URL) and a URL to a folder with manifest.json. Web APIs only (Blob,
// streams, fetch, DecompressionStream), so the same code runs in the ingest worker, the feature worker and Node.
// Invariant: entries are yielded one at a time and their bytes are read on demand; nothing holds the whole shard.
// Zip is read through its central directory (zip.js: random access, no full inflate); tar through modern-tar's
// streaming decoder, gzip through the native DecompressionStream.
import { BlobReader, Uint8ArrayWriter, ZipReader, configure } from '@zip.js/zip.js';
import { createTarDecoder } from 'modern-tar';
import { normalizePath } from './paths';
import { ShardError } from '../errors';

export { ShardError };

configure({ useWebWorkers: false });

export type ShardSource =
  | { kind: 'files'; name: string; files: { path: string; file: Blob }[] }
  | { kind: 'archive'; name: string; blob: Blob }
  | { kind: 'url'; url: string };

export interface SourceEntry {
  /** Normalized relative path, or null when the raw name tried to leave the root (`../`). */
  path: string | null;
  rawPath: string;
  size: number | null;
  /** Reads the whole entry. Call exactly one of read() and discard() before taking the next entry. */
  read(): Promise<Uint8Array>;
  discard(): Promise<void>;
}

export interface OpenedShard {
  name: string;
  /** Number of entries when known up front (folder, zip, manifest); null for a streamed tar. */
  total: number | null;
  /** Bytes of the container when known, for progress on streamed archives. */
  bytes: number | null;
  entries(): AsyncGenerator<SourceEntry>;
  /** Bytes consumed so far of a streamed container. */
  bytesRead(): number;
}

// A source's key in the cache is sourceKey (source-key.ts): in its own module, so the page's first bundle can name
// shards without the archive readers.

export function sourceName(source: ShardSource): string {
  if (source.kind !== 'url') return source.name;
  const path = new URL(source.url, 'http://x/').pathname.replace(/\/(manifest\.json)?$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || source.url;
}

type ArchiveFormat = 'zip' | 'tar' | 'tgz';

/** By magic bytes, not by name: zip `PK`, gzip 1f 8b, tar `ustar` at 257 (or an all-zero end block). */
export async function sniffArchive(blob: Blob): Promise<ArchiveFormat | null> {
  const head = new Uint8Array(await blob.slice(0, 512).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b) return 'zip';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tgz';
  const magic = String.fromCharCode(...head.slice(257, 262));
  if (magic === 'ustar') return 'tar';
  if (head.length === 512 && head.every((b) => b === 0)) return 'tar';
  return null;
}

function formatFromName(name: string): ArchiveFormat | null {
  const lower = name.toLowerCase().replace(/[?#].*$/, '');
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar')) return 'tar';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tgz';
  return null;
}

function entryOf(rawPath: string, size: number | null, read: () => Promise<Uint8Array>, discard = async () => {}): SourceEntry {
  return { path: normalizePath(rawPath), rawPath, size, read, discard };
}

function countingStream(stream: ReadableStream<Uint8Array>, counter: { bytes: number }) {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        counter.bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  );
}

function openTar(stream: ReadableStream<Uint8Array>, gzipped: boolean, name: string, bytes: number | null): OpenedShard {
  const counter = { bytes: 0 };
  return {
    name,
    total: null,
    bytes,
    bytesRead: () => counter.bytes,
    async *entries() {
      let s = countingStream(stream, counter);
      if (gzipped) s = s.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
      try {
        for await (const entry of s.pipeThrough(createTarDecoder()) as unknown as AsyncIterable<{
          header: { name: string; size: number; type?: string };
          body: ReadableStream<Uint8Array>;
        }>) {
          const type = entry.header.type ?? 'file';
          if (type !== 'file') {
            await entry.body.cancel();
            continue;
          }
          let consumed = false;
          yield entryOf(
            entry.header.name,
            entry.header.size,
            async () => {
              consumed = true;
              return new Uint8Array(await new Response(entry.body).arrayBuffer());
            },
            async () => {
              consumed = true;
              await entry.body.cancel();
            },
          );
          if (!consumed) await entry.body.cancel();
        }
      } catch (err) {
        throw new ShardError(`The archive "${name}" is damaged or not a tar file (${(err as Error).message}).`);
      }
    },
  };
}

async function openZip(blob: Blob, name: string): Promise<OpenedShard> {
  // 'tolerant': zip.js would refuse the whole archive for one `../` entry; ours are marked unsafe per entry instead
  // (normalizePath) so the rest of the shard still loads and the report names the bad entry.
  const reader = new ZipReader(new BlobReader(blob), { filenameValidation: 'tolerant' } as never);
  let entries;
  try {
    entries = await reader.getEntries();
  } catch (err) {
    throw new ShardError(`The zip file "${name}" is damaged (${(err as Error).message}).`);
  }
  const files = entries.filter((e) => !e.directory);
  return {
    name,
    total: files.length,
    bytes: blob.size,
    bytesRead: () => 0,
    async *entries() {
      for (const e of files) {
        yield entryOf(e.filename, e.uncompressedSize, async () => {
          if (!e.getData) throw new ShardError(`zip entry ${e.filename} has no data`);
          return e.getData(new Uint8ArrayWriter());
        });
      }
      await reader.close();
    },
  };
}

async function openArchiveBlob(blob: Blob, name: string): Promise<OpenedShard> {
  const format = (await sniffArchive(blob)) ?? formatFromName(name);
  if (format === 'zip') return openZip(blob, name);
  if (format === 'tar' || format === 'tgz') return openTar(blob.stream(), format === 'tgz', name, blob.size);
  throw new ShardError(`"${name}" is not a zip, tar or tar.gz archive.`);
}

async function fetchOk(url: string, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const here = typeof location === 'undefined' ? null : location.origin;
    if (here && new URL(url, location.href).origin !== here) {
      throw new ShardError(
        `Could not load ${url}: this page only talks to its own origin (${here}), so that your images never go anywhere else. Download the collection and open the file instead.`,
      );
    }
    throw new ShardError(`Could not reach ${url} (${(err as Error).message}).`);
  }
  if (!response.ok) throw new ShardError(`${url} answered ${response.status} ${response.statusText}.`);
  return response;
}

async function openUrl(url: string, signal?: AbortSignal, prefetch = 0): Promise<OpenedShard> {
  const name = sourceName({ kind: 'url', url });
  const format = formatFromName(new URL(url, 'http://x/').pathname);
  if (format === 'zip') {
    const response = await fetchOk(url, signal);
    return openZip(await response.blob(), name);
  }
  if (format === 'tar' || format === 'tgz') {
    const response = await fetchOk(url, signal);
    if (!response.body) throw new ShardError(`${url} sent no body.`);
    const length = Number(response.headers.get('content-length'));
    return openTar(response.body, format === 'tgz', name, Number.isFinite(length) && length > 0 ? length : null);
  }
  const manifestUrl = /manifest\.json([?#].*)?$/.test(url) ? url : `${url.replace(/\/?$/, '/')}manifest.json`;
  const response = await fetchOk(manifestUrl, signal);
  let manifest: { files?: unknown };
  try {
    manifest = await response.json();
  } catch {
    throw new ShardError(`${manifestUrl} is not valid JSON.`);
  }
  if (!Array.isArray(manifest.files) || !manifest.files.every((f) => typeof f === 'string')) {
    throw new ShardError(`${manifestUrl} must hold {"files": [paths relative to it]}.`);
  }
  const files = manifest.files as string[];
  const base = new URL(manifestUrl, typeof location === 'undefined' ? undefined : location.href);
  return {
    name,
    total: files.length,
    bytes: null,
    bytesRead: () => 0,
    async *entries() {
      const get = async (file: string) => {
        const safe = normalizePath(file);
        if (safe === null) throw new ShardError(`unsafe path ${file}`);
        const url = new URL(safe.split('/').map(encodeURIComponent).join('/'), base).href;
        return new Uint8Array(await (await fetchOk(url, signal)).arrayBuffer());
      };
      // With `prefetch`, the next files are already being fetched while this one is worked on (one request at a
      // time leaves the network idle between them); a discarded entry's fetch is dropped.
      const ahead = new Map<number, Promise<Uint8Array>>();
      for (let i = 0; i < files.length; i++) {
        for (let j = i; j < Math.min(files.length, i + 1 + prefetch); j++) {
          if (prefetch && !ahead.has(j)) {
            const p = get(files[j]);
            p.catch(() => {}); // seen when read; a discarded one's failure is nobody's
            ahead.set(j, p);
          }
        }
        const pending = ahead.get(i);
        ahead.delete(i);
        yield entryOf(files[i], null, () => pending ?? get(files[i]));
      }
    },
  };
}

/** Opens a shard's source for reading entry by entry. `prefetch`: for a folder URL, how many files ahead to fetch
 *  (the ingest reads every file; the feature worker, which skips most, fetches none ahead). */
export async function openShard(source: ShardSource, signal?: AbortSignal, { prefetch = 0 } = {}): Promise<OpenedShard> {
  if (source.kind === 'url') return openUrl(source.url, signal, prefetch);
  if (source.kind === 'archive') return openArchiveBlob(source.blob, source.name);
  const files = source.files;
  return {
    name: source.name,
    total: files.length,
    bytes: null,
    bytesRead: () => 0,
    async *entries() {
      for (const f of files) yield entryOf(f.path, f.file.size, async () => new Uint8Array(await f.file.arrayBuffer()));
    },
  };
}

// A shard source's identity, the shard's key in the cache. Apart from source.ts, whose readers pull in zip.js.
import type { ShardSource } from './source';

/** A stable identity for a source, used as the shard's key in the cache. */
export function sourceKey(source: ShardSource): string {
  if (source.kind === 'url') return `url:${source.url}`;
  if (source.kind === 'archive') {
    const f = source.blob as Blob & { lastModified?: number };
    return `archive:${source.name}:${source.blob.size}:${f.lastModified ?? 0}`;
  }
  const bytes = source.files.reduce((a, f) => a + f.file.size, 0);
  return `folder:${source.name}:${source.files.length}:${bytes}`;
}

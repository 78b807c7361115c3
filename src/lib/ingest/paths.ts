// What each file of a collection is, from its path alone (docs/SHARD-FORMAT.md): an image, a table file some format
// may read, or neither. Which format the tables are is decided once all are read (collection.ts). Pure.
// Invariant: a path is only ever a string to classify; it never becomes a file-system path or HTML.

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp'] as const;

/** Extensions of the files a collection format may read as text (the ingest keeps these until the format is known). */
export const TABLE_EXTENSIONS = ['csv', 'tsv', 'json', 'jsonl', 'yaml', 'yml', 'txt', 'md'] as const;

export type PathKind =
  | { kind: 'image'; imageId: string }
  /** A file some collection format reads as text (csv, json, jsonl, yaml, txt, md): kept until the format is known. */
  | { kind: 'table' }
  | { kind: 'manifest' }
  | { kind: 'ignored'; reason: string };

/** Forward slashes, no leading `./` or `/`; null when a segment is `..` (an archive trying to escape its root). */
export function normalizePath(raw: string): string | null {
  const parts = raw
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  return parts.join('/');
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function classifyPath(path: string): PathKind {
  const name = baseName(path);
  const lower = name.toLowerCase();
  if (name.startsWith('.') || path.split('/').some((p) => p === '__MACOSX')) {
    return { kind: 'ignored', reason: 'hidden or system file' };
  }
  const dot = name.lastIndexOf('.');
  const ext = dot < 0 ? '' : lower.slice(dot + 1);
  if ((IMAGE_EXTENSIONS as readonly string[]).includes(ext)) {
    const imageId = name.slice(0, dot);
    return imageId === '' ? { kind: 'ignored', reason: 'image file without a name' } : { kind: 'image', imageId };
  }
  if (lower === 'manifest.json' && !path.includes('/')) return { kind: 'manifest' };
  if ((TABLE_EXTENSIONS as readonly string[]).includes(ext)) return { kind: 'table' };
  return { kind: 'ignored', reason: 'not an image or a table file (csv, json, jsonl, yaml, txt, md)' };
}

// What each file of a shard is, from its path alone (../shared/SHARD-FORMAT.md). Pure.
// Invariant: a path is only ever a string to classify; it never becomes a file-system path or HTML.

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp'] as const;

export type PathKind =
  | { kind: 'image'; imageId: string }
  | { kind: 'labels-csv' }
  | { kind: 'labels-txt' }
  | { kind: 'classes' }
  | { kind: 'split' }
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
  if (lower === 'labels.csv' || /-annotations-.*imagelabels.*\.csv$/.test(lower)) return { kind: 'labels-csv' };
  if (lower === 'classes.csv' || /class-descriptions.*\.csv$/.test(lower)) return { kind: 'classes' };
  if (lower === 'split.csv') return { kind: 'split' };
  if (lower === 'manifest.json' && !path.includes('/')) return { kind: 'manifest' };
  if (ext === 'txt') return { kind: 'labels-txt' };
  return { kind: 'ignored', reason: 'not an image or a shard table' };
}

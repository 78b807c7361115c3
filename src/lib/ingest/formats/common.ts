// Helpers every format reader shares: resolving a reference inside the collection (never out of it), naming a split
// from a folder or file name, and finding an image by the forms formats name it (a path, a path without its
// extension, a file name, a file name without its extension). Pure.
import type { Split } from '../labels';
import { baseName, IMAGE_EXTENSIONS } from '../paths';

/** The folder part of a path ('' at the root). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function stripExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  const slash = name.lastIndexOf('/');
  return dot > slash + 1 ? name.slice(0, dot) : name;
}

export function hasImageExtension(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && (IMAGE_EXTENSIONS as readonly string[]).includes(name.slice(dot + 1).toLowerCase());
}

/** A reference from a file in `dir` (e.g. a COCO `file_name`, a YOLO path) resolved inside the collection: a
 *  normalised path, or a reason when it is a URL, absolute, or climbs out of the root. The path may not exist. */
export function resolveInside(dir: string, ref: string): { path: string } | { reason: string } {
  const raw = ref.trim().replace(/\\/g, '/');
  if (raw === '') return { reason: 'empty path' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw))
    return { reason: `"${clip(ref)}" is a URL or a drive path, not a path inside the collection (never read)` };
  if (raw.startsWith('/')) return { reason: `"${clip(ref)}" is an absolute path, not a path inside the collection (never read)` };
  const parts = dir === '' ? [] : dir.split('/');
  for (const p of raw.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) return { reason: `"${clip(ref)}" leads out of the collection (never read)` };
      parts.pop();
    } else parts.push(p);
  }
  return { path: parts.join('/') };
}

export const clip = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n)}…` : s);

const SPLIT_WORDS: [RegExp, Split][] = [
  [/(^|[^a-z])(train|training)([^a-z]|$)/, 'train'],
  [/(^|[^a-z])(val|valid|validation|dev)([^a-z]|$)/, 'validation'],
  [/(^|[^a-z])(test|testing)([^a-z]|$)/, 'test'],
];

/** The split a folder or file name stands for (`train2017`, `val`, `valid`, `instances_val2017.json`,
 *  `test-dev`), or null when it names none. Digits count as separators (`train2017`). */
export function splitOfName(name: string): Split | null {
  const lower = stripExtension(baseName(name)).toLowerCase().replace(/[0-9]/g, ' ');
  for (const [re, split] of SPLIT_WORDS) if (re.test(lower)) return split;
  return null;
}

/** Exactly a split folder's name: train, val, valid, validation, test (any case). */
export function isSplitFolder(name: string): Split | null {
  const lower = name.toLowerCase();
  if (lower === 'train' || lower === 'training') return 'train';
  if (lower === 'val' || lower === 'valid' || lower === 'validation') return 'validation';
  if (lower === 'test' || lower === 'testing') return 'test';
  return null;
}

/** Finds images by the forms annotation files name them. A form shared by two images finds neither (it is
 *  ambiguous) and says so. */
export class ImageIndex {
  private readonly byPath = new Map<string, string>();
  private readonly byForm = new Map<string, string | null>();

  constructor(readonly paths: readonly string[]) {
    for (const p of paths) this.byPath.set(p, p);
    const add = (form: string, path: string) => {
      const known = this.byForm.get(form);
      if (known === undefined) this.byForm.set(form, path);
      else if (known !== path) this.byForm.set(form, null);
    };
    for (const p of paths) {
      add(stripExtension(p), p);
      add(baseName(p), p);
      add(stripExtension(baseName(p)), p);
    }
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** The image a reference names, relative to `dir` first, then by its file name alone (with or without the
   *  extension) when that is unique in the collection. */
  find(ref: string, dir = ''): { path: string } | { reason: string } {
    const resolved = resolveInside(dir, ref);
    if ('reason' in resolved) return resolved;
    if (this.byPath.has(resolved.path)) return resolved;
    const noExt = this.byForm.get(resolved.path);
    if (noExt && stripExtension(noExt) === resolved.path) return { path: noExt };
    const name = baseName(resolved.path);
    const byName = this.byForm.get(name);
    if (byName) return { path: byName };
    if (byName === null) return { reason: `"${clip(ref)}" names more than one image of the collection` };
    return { reason: `no image "${clip(ref)}" in the collection` };
  }
}

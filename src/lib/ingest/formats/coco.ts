// COCO instances (docs/SHARD-FORMAT.md, "The collection formats"): detects and reads `images`/`annotations`/
// `categories` JSON files as pycocotools, Roboflow and CVAT write them, turning each image's annotation categories into
// image-level labels; and writes image-level labels back as a COCO file (one whole-image box per label). Pure.
// Invariant: a `file_name` is resolved only by resolveCocoImages, so read and write name the same image for the same
// entry, and only ever an image of the listing (a name that leaves the root is refused and listed, never read).
import type { Skipped, Split } from '../labels';
import { baseName } from '../paths';
import { clip, dirName, ImageIndex, resolveInside, splitOfName, stripExtension } from './common';
import type { CollectionListing, Detection, FormatReader, FormatReading, PathLabel } from './types';

type Json = Record<string, unknown>;

/** A COCO image entry that names an image of the collection. */
export interface CocoImage {
  /** The entry's `id`, as written (a number, or a string some tools write). */
  id: number | string;
  path: string;
  /** 0 when the entry has none (or a non-number). */
  width: number;
  height: number;
}

/** pycocotools / Detectron `instances_<X>.json` and Roboflow's `_annotations.coco.json`: a file so named is COCO
 *  even when it fails to parse, so the person sees why it was not read rather than another format winning. */
const COCO_FILE_NAME = /^(instances_.*|_annotations\.coco)\.json$/i;

const isJsonPath = (path: string) => path.toLowerCase().endsWith('.json');
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number | string => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');
/** Ids are compared as text: a tool that writes `"17"` for an image and `17` in its annotations still matches. */
const idKey = (v: number | string) => String(v);
const size = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

/** A parsed COCO file, or why a candidate is not one. `notCoco` means the file is simply some other JSON. */
type Parsed = { doc: Json } | { reason: string } | { notCoco: true };

function parseCoco(path: string, text: string): Parsed {
  const named = COCO_FILE_NAME.test(baseName(path));
  // Cheap guard before parsing every JSON of a collection: a COCO file spells out its `categories` key.
  if (!named && !text.includes('"categories"')) return { notCoco: true };
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    if (!named) return { notCoco: true };
    return { reason: `not valid JSON (${clip(e instanceof Error ? e.message : String(e))})` };
  }
  if (isObject(value) && Array.isArray(value.images) && Array.isArray(value.categories)) return { doc: value };
  return named ? { reason: 'named like a COCO file but has no "images" and "categories" lists' } : { notCoco: true };
}

/** The folders a `file_name` may be relative to, most specific first: the JSON's own folder (Roboflow), the `<X>`
 *  folder beside the annotations folder for `..._<X>.json` (pycocotools: annotations/instances_val2017.json and
 *  val2017/), an `images/` folder in or beside it (CVAT), then the root. */
function baseFolders(jsonPath: string): string[] {
  const own = dirName(jsonPath);
  const parent = own === '' ? '' : dirName(own);
  const splitPart = /_([^_]+)$/.exec(stripExtension(baseName(jsonPath)))?.[1];
  const folders = [own, ...(splitPart ? [join(parent, splitPart)] : []), join(own, 'images'), join(parent, 'images'), ''];
  return [...new Set(folders)];
}

/** Resolves a COCO file's image entries to images of the collection, in entry order. An entry without an id or a
 *  `file_name`, one that leaves the root or names no image, and a repeated id (the first entry is kept) are skipped
 *  with the reason; `skippedIds` holds the ids of entries left out, so their annotations are not reported twice. */
export function resolveCocoImages(
  jsonPath: string,
  images: readonly unknown[],
  index: ImageIndex,
): { images: CocoImage[]; skipped: Skipped[]; skippedIds: Set<string> } {
  const folders = baseFolders(jsonPath);
  const own = dirName(jsonPath);
  const resolved: CocoImage[] = [];
  const skipped: Skipped[] = [];
  const seen = new Set<string>();
  const skippedIds = new Set<string>();
  images.forEach((entry, i) => {
    const where = (id?: unknown) => `${jsonPath} image ${isId(id) ? clip(idKey(id), 40) : `#${i + 1}`}`;
    if (!isObject(entry) || !isId(entry.id)) {
      skipped.push({ id: where(), reason: 'image entry has no id' });
      return;
    }
    const key = idKey(entry.id);
    if (seen.has(key)) {
      // The annotations of a repeated id cannot be told apart: they stay with the first entry.
      skipped.push({ id: where(entry.id), reason: `image id ${clip(key, 40)} appears again; the first entry is kept` });
      return;
    }
    seen.add(key);
    const fail = (reason: string) => {
      skipped.push({ id: where(entry.id), reason });
      skippedIds.add(key);
    };
    if (typeof entry.file_name !== 'string' || entry.file_name.trim() === '') return fail('image entry has no file_name');
    const ref = entry.file_name;
    const inside = resolveInside(own, ref);
    if ('reason' in inside) return fail(inside.reason);
    let path: string | undefined;
    for (const folder of folders) {
      const candidate = resolveInside(folder, ref);
      if ('path' in candidate && index.has(candidate.path)) {
        path = candidate.path;
        break;
      }
    }
    if (path === undefined) {
      // Last: the file name alone, when exactly one image of the collection has it.
      const found = index.find(ref, own);
      if ('reason' in found) return fail(found.reason);
      path = found.path;
    }
    resolved.push({ id: entry.id, path, width: size(entry.width), height: size(entry.height) });
  });
  return { images: resolved, skipped, skippedIds };
}

/** Category id (as text) -> name, for the categories with a usable id and name; `nameless` holds the ids of those
 *  skipped for want of a name, whose annotations are then covered by that sentence. */
function readCategories(
  jsonPath: string,
  categories: readonly unknown[],
): { names: Map<string, string>; nameless: Set<string>; skipped: Skipped[] } {
  const names = new Map<string, string>();
  const nameless = new Set<string>();
  const skipped: Skipped[] = [];
  categories.forEach((c, i) => {
    if (!isObject(c) || !isId(c.id)) {
      skipped.push({ id: `${jsonPath} category #${i + 1}`, reason: 'category has no id; its annotations are not used' });
      return;
    }
    const where = `${jsonPath} category ${clip(idKey(c.id), 40)}`;
    const name = typeof c.name === 'string' ? c.name.trim() : '';
    if (name === '') {
      if (!names.has(idKey(c.id))) nameless.add(idKey(c.id));
      skipped.push({ id: where, reason: 'category has no name; its annotations are not used' });
    } else if (names.has(idKey(c.id)))
      skipped.push({ id: where, reason: `category id appears again ("${clip(name)}"); the first is kept` });
    else names.set(idKey(c.id), name);
  });
  return { names, nameless, skipped };
}

/** Ids listed in a count sentence: a few, then an ellipsis. */
function someIds(ids: string[]): string {
  const shown = ids.slice(0, 5).map((id) => clip(id, 20));
  return ids.length > 5 ? `${shown.join(', ')}, …` : shown.join(', ');
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

function detect(listing: CollectionListing): Detection | null {
  const found: string[] = [];
  for (const [path, text] of listing.texts) {
    if (!isJsonPath(path)) continue;
    if (!('notCoco' in parseCoco(path, text))) found.push(path);
  }
  if (found.length === 0) return null;
  return { format: 'coco', strength: 3, evidence: clip(found.join(', ')) };
}

function read(listing: CollectionListing): FormatReading {
  const index = new ImageIndex(listing.imagePaths);
  const labelsByPath = new Map<string, Set<string>>();
  const splits = new Map<string, Split>();
  const skipped: Skipped[] = [];
  const used: string[] = [];

  for (const [jsonPath, text] of listing.texts) {
    if (!isJsonPath(jsonPath)) continue;
    const parsed = parseCoco(jsonPath, text);
    if ('notCoco' in parsed) continue;
    if ('reason' in parsed) {
      skipped.push({ id: jsonPath, reason: parsed.reason });
      continue;
    }
    used.push(jsonPath);
    const { doc } = parsed;
    const images = resolveCocoImages(jsonPath, doc.images as unknown[], index);
    const categories = readCategories(jsonPath, doc.categories as unknown[]);
    skipped.push(...images.skipped, ...categories.skipped);

    const split = splitOfName(baseName(jsonPath)) ?? splitOfName(baseName(dirName(jsonPath)));
    const pathById = new Map<string, string>();
    for (const image of images.images) {
      pathById.set(idKey(image.id), image.path);
      // An image in two files keeps the split of the first.
      if (split && !splits.has(image.path)) splits.set(image.path, split);
    }

    const annotations = doc.annotations ?? [];
    if (!Array.isArray(annotations)) {
      skipped.push({ id: jsonPath, reason: '"annotations" is not a list; no labels read from this file' });
      continue;
    }
    const unknownImages: string[] = [];
    const unknownCategories: string[] = [];
    let malformed = 0;
    for (const a of annotations) {
      if (!isObject(a) || !isId(a.image_id)) {
        malformed++;
        continue;
      }
      const imageKey = idKey(a.image_id);
      if (images.skippedIds.has(imageKey)) continue; // its image entry is already listed as skipped
      const path = pathById.get(imageKey);
      if (path === undefined) {
        unknownImages.push(imageKey);
        continue;
      }
      const categoryKey = isId(a.category_id) ? idKey(a.category_id) : undefined;
      const name = categoryKey === undefined ? undefined : categories.names.get(categoryKey);
      if (name === undefined) {
        // A nameless category is already listed; its annotations need no second sentence.
        if (categoryKey === undefined || !categories.nameless.has(categoryKey)) unknownCategories.push(categoryKey ?? 'none');
        continue;
      }
      let names = labelsByPath.get(path);
      if (!names) labelsByPath.set(path, (names = new Set()));
      names.add(name);
    }
    if (unknownImages.length > 0)
      skipped.push({
        id: jsonPath,
        reason: `${plural(unknownImages.length, 'annotation')} for unknown images (ids ${someIds(unknownImages)})`,
      });
    if (unknownCategories.length > 0)
      skipped.push({
        id: jsonPath,
        reason: `${plural(unknownCategories.length, 'annotation')} with unknown categories (ids ${someIds(unknownCategories)})`,
      });
    if (malformed > 0) skipped.push({ id: jsonPath, reason: `${plural(malformed, 'annotation')} without an image_id` });
  }

  const labels: PathLabel[] = [];
  for (const [path, names] of labelsByPath) for (const labelName of names) labels.push({ path, labelName, confidence: 1 });
  return { labels, splits, classes: new Map(), skipped, used };
}

export const coco: FormatReader = { format: 'coco', detect, read };

/** A COCO file with the original's `images`, `categories` (and `licenses`) as they were and one whole-image
 *  annotation per image-level label (`bbox` [0, 0, width, height]), said in `info`. Images are matched to
 *  `labelsByPath` as read() matches them; an image with no entry there gets no annotations, and a label that is no
 *  category's name becomes a new category (next free id). Throws when the original is not a COCO file. */
export function writeCocoLabels(
  original: { path: string; text: string },
  imagePaths: readonly string[],
  labelsByPath: ReadonlyMap<string, readonly string[]>,
): string {
  const parsed = parseCoco(original.path, original.text);
  if (!('doc' in parsed)) throw new Error(`${original.path}: ${'reason' in parsed ? parsed.reason : 'not a COCO file'}`);
  const { doc } = parsed;
  const categories = [...(doc.categories as unknown[])];
  const { images } = resolveCocoImages(original.path, doc.images as unknown[], new ImageIndex(imagePaths));

  const categoryByName = new Map<string, number | string>();
  const takenIds = new Set<string>();
  let maxId = 0;
  for (const c of categories) {
    if (!isObject(c) || !isId(c.id)) continue;
    takenIds.add(idKey(c.id));
    if (typeof c.id === 'number') maxId = Math.max(maxId, c.id);
    const name = typeof c.name === 'string' ? c.name.trim() : '';
    if (name !== '' && !categoryByName.has(name)) categoryByName.set(name, c.id);
  }
  const categoryOf = (name: string): number | string => {
    const known = categoryByName.get(name);
    if (known !== undefined) return known;
    let id = Math.floor(maxId) + 1;
    while (takenIds.has(String(id))) id++;
    maxId = id;
    takenIds.add(String(id));
    categories.push({ id, name, supercategory: '' });
    categoryByName.set(name, id);
    return id;
  };

  const annotations: Json[] = [];
  for (const image of images) {
    const names = new Set((labelsByPath.get(image.path) ?? []).map((n) => n.trim()).filter((n) => n !== ''));
    for (const name of names) {
      annotations.push({
        id: annotations.length + 1,
        image_id: image.id,
        category_id: categoryOf(name),
        bbox: [0, 0, image.width, image.height],
        area: image.width * image.height,
        iscrowd: 0,
      });
    }
  }

  const out: Json = {
    info: {
      description:
        'Image-level labels written by simage: one whole-image annotation per label (bbox [0, 0, width, height], area width*height, iscrowd 0), not object boxes.',
      contributor: 'simage',
      source: original.path,
      ...(doc.info !== undefined ? { original: doc.info } : {}),
    },
    ...(doc.licenses !== undefined ? { licenses: doc.licenses } : {}),
    images: doc.images,
    annotations,
    categories,
  };
  return JSON.stringify(out);
}

// Ultralytics YOLO collections (docs/SHARD-FORMAT.md, "Bring your collection"): a data.yaml with the class `names`
// and the `train`/`val`/`test` image folders, and beside each image folder a label folder with one text file per
// image, one box per line (`class x_center y_center width height`). An image's labels are the names of the classes
// of its boxes. Pure. Invariant: every path read is one the listing holds; a split path that leaves the collection,
// an absolute path or a URL is listed in `skipped`, never read.
import { parse } from 'yaml';
import type { Skipped, Split } from '../labels';
import { baseName } from '../paths';
import { clip, dirName, ImageIndex, resolveInside, stripExtension } from './common';
import type { CollectionListing, Detection, FormatReader, FormatReading, PathLabel } from './types';

/** The split keys of a data.yaml, in the order Ultralytics reads them (`validation` is its alias for `val`). */
const SPLIT_KEYS: [key: string, split: Split][] = [
  ['train', 'train'],
  ['val', 'validation'],
  ['validation', 'validation'],
  ['test', 'test'],
];

interface DataYaml {
  path: string;
  text: Record<string, unknown>;
  names: Map<number, string>;
  /** Entries of `names` that name no class. */
  skipped: Skipped[];
}

type YamlReading = { data: DataYaml } | { malformed: Skipped } | { notData: true };

/** Ultralytics `img2label_paths`: the last `/images/` of the path becomes `/labels/`, the extension `.txt`. */
export function labelPathOf(imagePath: string): string {
  const rooted = `/${imagePath}`;
  const at = rooted.lastIndexOf('/images/');
  const swapped = at < 0 ? rooted : `${rooted.slice(0, at)}/labels/${rooted.slice(at + '/images/'.length)}`;
  return `${stripExtension(swapped.slice(1))}.txt`;
}

function readYaml(path: string, text: string): YamlReading {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { malformed: { id: path, reason: `not valid YAML (${clip(message, 120)}): not read` } };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('names' in value)) return { notData: true };
  const record = value as Record<string, unknown>;
  const names = new Map<number, string>();
  const skipped: Skipped[] = [];
  const addName = (index: number, raw: unknown, where: string) => {
    const name = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
    if (name === '') skipped.push({ id: path, reason: `${where} is not a class name` });
    else names.set(index, name);
  };
  const declared = record.names;
  if (Array.isArray(declared)) declared.forEach((raw, index) => addName(index, raw, `names[${index}]`));
  else if (declared !== null && typeof declared === 'object') {
    for (const [key, raw] of Object.entries(declared)) {
      if (/^\d+$/.test(key)) addName(Number(key), raw, `names entry ${key}`);
      else skipped.push({ id: path, reason: `names entry "${clip(key)}" is not a class index (a whole number)` });
    }
  } else return { malformed: { id: path, reason: 'names is neither a list nor an {index: name} map: not read' } };
  if (names.size === 0) return { malformed: { id: path, reason: 'names declares no class: not read' } };
  return { data: { path, text: record, names, skipped } };
}

/** Every YAML of the listing, read; the data.yaml is the one with class names, `data.yaml` by name first, then the
 *  shallowest, then the first by path. */
function findDataYaml(listing: CollectionListing): { data: DataYaml | null; malformed: Skipped[] } {
  const found: DataYaml[] = [];
  const malformed: Skipped[] = [];
  for (const [path, text] of listing.texts) {
    if (!/\.ya?ml$/i.test(path)) continue;
    const reading = readYaml(path, text);
    if ('data' in reading) found.push(reading.data);
    else if ('malformed' in reading) malformed.push(reading.malformed);
  }
  const rank = (p: string) => [baseName(p).toLowerCase() === 'data.yaml' ? 0 : 1, p.split('/').length] as const;
  found.sort((a, b) => {
    const [ra, rb] = [rank(a.path), rank(b.path)];
    return ra[0] - rb[0] || ra[1] - rb[1] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  });
  return { data: found[0] ?? null, malformed };
}

const LABEL_FILE = /(^|\/)labels\/(.+\/)?[^/]+\.txt$/i;

function detect(listing: CollectionListing): Detection | null {
  const { data } = findDataYaml(listing);
  if (!data) return null;
  for (const path of listing.texts.keys()) if (LABEL_FILE.test(path)) return { format: 'yolo', strength: 3, evidence: data.path };
  return null;
}

/** Where a split entry of data.yaml points: an image folder or a list file, resolved as Ultralytics does (against
 *  `path`, else the yaml's folder; a Roboflow `../x` that is not there is tried as `x`). */
type SplitSource = { folder: string } | { listFile: string } | { reason: string };

function resolveSplitEntry(entry: string, bases: string[], imageFolders: Set<string>, texts: ReadonlyMap<string, string>): SplitSource {
  let leaving: string | null = null;
  let inside = false;
  for (const base of bases) {
    const tries = entry.trim().startsWith('../') ? [entry, entry.trim().slice(3)] : [entry];
    for (const attempt of tries) {
      const resolved = resolveInside(base, attempt);
      if ('reason' in resolved) {
        leaving ??= resolved.reason;
        continue;
      }
      inside = true;
      if (imageFolders.has(resolved.path)) return { folder: resolved.path };
      if (/\.txt$/i.test(resolved.path) && texts.has(resolved.path)) return { listFile: resolved.path };
    }
  }
  // A Roboflow `../test/images` with no test folder resolved inside as `test/images`: it is missing, not escaping.
  return { reason: !inside && leaving ? leaving : `"${clip(entry)}" names no image folder or list file of the collection` };
}

function read(listing: CollectionListing): FormatReading {
  const { data, malformed } = findDataYaml(listing);
  const skipped: Skipped[] = [...malformed];
  const labels: PathLabel[] = [];
  const splits = new Map<string, Split>();
  if (!data) {
    skipped.push({
      id: 'data.yaml',
      reason: 'no data.yaml (or other YAML) with class names: the label files name classes by number only, not read',
    });
    return { labels, splits, classes: new Map(), skipped, used: [] };
  }
  skipped.push(...data.skipped);
  const used = new Set<string>([data.path]);
  readSplits(data, listing, splits, skipped, used);
  readLabelFiles(data, listing, labels, skipped, used);
  return { labels, splits, classes: new Map(), skipped, used: [...used] };
}

/** The split of each image from data.yaml's train, val and test entries: the deepest declared folder holding an
 *  image decides, and a list file names its images explicitly. */
function readSplits(data: DataYaml, listing: CollectionListing, splits: Map<string, Split>, skipped: Skipped[], used: Set<string>) {
  const yamlDir = dirName(data.path);
  const bases: string[] = [];
  const root = data.text.path;
  if (typeof root === 'string' && root.trim() !== '') {
    const resolved = resolveInside(yamlDir, root);
    if ('path' in resolved) bases.push(resolved.path);
    else skipped.push({ id: data.path, reason: `path: ${resolved.reason}; the split paths are read from the yaml's folder instead` });
  }
  if (!bases.includes(yamlDir)) bases.push(yamlDir);

  const imageFolders = new Set<string>(['']);
  for (const image of listing.imagePaths)
    for (let dir = dirName(image); dir !== '' && !imageFolders.has(dir); dir = dirName(dir)) imageFolders.add(dir);

  const folderSplit = new Map<string, Split>();
  const listed: [path: string, split: Split][] = [];
  let index: ImageIndex | null = null; // built only when a split is a list file
  const hasVal = data.text.val !== undefined && data.text.val !== null;
  for (const [key, split] of SPLIT_KEYS) {
    if (key === 'validation' && hasVal) continue;
    const value = data.text[key];
    if (value === undefined || value === null) continue;
    const entries = Array.isArray(value) ? value : [value];
    for (const entry of entries) {
      if (typeof entry !== 'string') {
        skipped.push({ id: data.path, reason: `${key}: ${clip(JSON.stringify(entry) ?? String(entry))} is not a path` });
        continue;
      }
      const source = resolveSplitEntry(entry, bases, imageFolders, listing.texts);
      if ('reason' in source) skipped.push({ id: data.path, reason: `${key}: ${source.reason}` });
      else if ('folder' in source) {
        const earlier = folderSplit.get(source.folder);
        if (earlier === undefined) folderSplit.set(source.folder, split);
        else if (earlier !== split) {
          skipped.push({ id: data.path, reason: `${key}: "${clip(entry)}" is also the ${earlier} folder; its images stay ${earlier}` });
        }
      } else {
        used.add(source.listFile);
        const listDir = dirName(source.listFile);
        index ??= new ImageIndex(listing.imagePaths);
        const images = index;
        listing.texts
          .get(source.listFile)!
          .replace(/^\uFEFF/, '')
          .split(/\r?\n/)
          .forEach((line, i) => {
            if (line.trim() === '') return;
            const found = images.find(line.trim(), listDir);
            if ('reason' in found) skipped.push({ id: `${source.listFile}:${i + 1}`, reason: found.reason });
            else listed.push([found.path, split]);
          });
      }
    }
  }
  if (folderSplit.size > 0) {
    for (const image of listing.imagePaths) {
      for (let dir = dirName(image); ; dir = dirName(dir)) {
        const split = folderSplit.get(dir);
        if (split) {
          splits.set(image, split);
          break;
        }
        if (dir === '') break;
      }
    }
  }
  const listedSplit = new Map<string, Split>();
  let listedTwice = 0;
  for (const [image, split] of listed) {
    const earlier = listedSplit.get(image);
    if (earlier === undefined) listedSplit.set(image, split);
    else if (earlier !== split) listedTwice++;
  }
  for (const [image, split] of listedSplit) splits.set(image, split);
  if (listedTwice > 0) {
    skipped.push({
      id: data.path,
      reason: `${listedTwice} list entries name an image already listed in another split; each image keeps its first split`,
    });
  }
}

/** The class names of each image's boxes, from its label file (no file: an image without boxes, a background
 *  image). */
function readLabelFiles(data: DataYaml, listing: CollectionListing, labels: PathLabel[], skipped: Skipped[], used: Set<string>) {
  const names = data.names;
  let largest = 0;
  for (const classIndex of names.keys()) largest = Math.max(largest, classIndex);
  const contiguous = names.size === largest + 1;
  for (const image of listing.imagePaths) {
    const labelPath = labelPathOf(image);
    const text = listing.texts.get(labelPath);
    if (text === undefined) continue;
    used.add(labelPath);
    const seen = new Set<string>();
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .forEach((line, i) => {
        if (line.trim() === '') return;
        const where = `${labelPath}:${i + 1}`;
        const fields = line.trim().split(/\s+/);
        if (fields.length < 5) {
          skipped.push({ id: where, reason: `${fields.length} fields; a box is "class x_center y_center width height"` });
          return;
        }
        if (!/^\d+(\.0*)?$/.test(fields[0])) {
          skipped.push({ id: where, reason: `class "${clip(fields[0])}" is not a class index (a whole number)` });
          return;
        }
        const notNumber = fields.slice(1).find((f) => !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(f));
        if (notNumber !== undefined) {
          skipped.push({ id: where, reason: `"${clip(notNumber)}" is not a number` });
          return;
        }
        const classIndex = Number(fields[0]);
        const name = names.get(classIndex);
        if (name === undefined) {
          const declared = contiguous ? `names ${names.size} classes (0 to ${largest})` : 'declares no such class';
          skipped.push({ id: where, reason: `class ${classIndex} is out of range: ${data.path} ${declared}` });
          return;
        }
        if (seen.has(name)) return;
        seen.add(name);
        labels.push({ path: image, labelName: name, confidence: 1 });
      });
  }
}

export const yolo: FormatReader = { format: 'yolo', detect, read };

// The Hugging Face `imagefolder` format: `metadata.jsonl` or `metadata.csv` files (in split folders or at the root)
// keyed by `file_name`, labels in `labels`, `label`, `tags` or `objects.category`, class numbers named by the dataset
// card's YAML front matter (README.md). Also writes a metadata.jsonl back. Pure.
// Invariant: a `file_name` is resolved relative to its metadata file's folder and never leaves the collection; a
// reference that does, or names no image, is listed in `skipped` and the rest loads.
import Papa from 'papaparse';
import { parse as parseYaml } from 'yaml';
import type { Skipped, Split } from '../labels';
import { baseName } from '../paths';
import { clip, dirName, isSplitFolder, resolveInside, splitOfName } from './common';
import type { CollectionListing, Detection, FormatReader, FormatReading, PathLabel } from './types';

const METADATA_NAMES = ['metadata.jsonl', 'metadata.csv'];

/** The label fields in the order imagefolder users put them; the first one a row has is its labels. */
const LABEL_FIELDS = ['labels', 'label', 'tags', 'objects.category'] as const;
type LabelField = (typeof LABEL_FIELDS)[number];

/** One row of a metadata file, whichever its syntax: where it came from and its fields. */
interface MetadataRow {
  where: string;
  fields: Record<string, unknown>;
  /** CSV cells are all text: a cell of digits is a class number there, while in JSON only a number is. */
  fromCsv: boolean;
}

/** Class names of one config of the card: per top-level feature, plus the first found (for a field the card
 *  does not describe by name). */
interface CardNames {
  byFeature: Map<string, ClassNames>;
  first: ClassNames | null;
}
type ClassNames = Map<string, string>;

function metadataPaths(listing: CollectionListing): string[] {
  return [...listing.texts.keys()].filter((p) => METADATA_NAMES.includes(baseName(p).toLowerCase()));
}

function detect(listing: CollectionListing): Detection | null {
  const paths = metadataPaths(listing);
  if (paths.length === 0) return null;
  const shown = paths.slice(0, 3).join(', ');
  return { format: 'hf', strength: 3, evidence: paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown };
}

/** The split a metadata file's folder stands for; a metadata file at the root splits nothing. */
function splitOfFolder(dir: string): Split | null {
  if (dir === '') return null;
  const name = baseName(dir);
  return isSplitFolder(name) ?? splitOfName(name);
}

function rowsOfJsonl(path: string, text: string, skipped: Skipped[]): MetadataRow[] {
  const rows: MetadataRow[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${path}:${i + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        skipped.push({ id: where, reason: `malformed JSON line (${clip(e instanceof Error ? e.message : String(e))})` });
        return;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        skipped.push({ id: where, reason: 'line is not a JSON object with a file_name' });
      else rows.push({ where, fields: value as Record<string, unknown>, fromCsv: false });
    });
  return rows;
}

/** The rows of a metadata.csv, or null when it cannot be read at all (no file_name column). */
function rowsOfCsv(path: string, text: string, skipped: Skipped[]): MetadataRow[] | null {
  // The delimiter is fixed: imagefolder's metadata.csv is comma-separated, and auto-detection fails on one column.
  const result = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { delimiter: ',', skipEmptyLines: false });
  const table = result.data;
  const badRows = new Map<number, string>();
  for (const error of result.errors) if (error.row !== undefined && !badRows.has(error.row)) badRows.set(error.row, error.message);
  const header = (table[0] ?? []).map((h) => h.trim());
  if (!header.includes('file_name')) {
    skipped.push({ id: path, reason: 'metadata.csv has no file_name column' });
    return null;
  }
  const rows: MetadataRow[] = [];
  for (let i = 1; i < table.length; i++) {
    const cells = table[i];
    if (cells.every((c) => c.trim() === '')) continue;
    const where = `${path}:${i + 1}`;
    const bad = badRows.get(i);
    if (bad !== undefined) {
      skipped.push({ id: where, reason: `malformed CSV row (${clip(bad)}), left out with what it swallowed` });
      continue;
    }
    const fields: Record<string, unknown> = {};
    // An empty cell is an absent field: a row with an empty label cell is an unlabelled image.
    header.forEach((h, c) => {
      if (h !== '' && cells[c] !== undefined && cells[c].trim() !== '') fields[h] = cells[c];
    });
    rows.push({ where, fields, fromCsv: true });
  }
  return rows;
}

/** The front matter of a dataset card, or null when it has none; a front matter that is not YAML is skipped. */
function frontMatter(path: string, text: string, skipped: Skipped[]): unknown {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return null;
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === '---' || l.trim() === '...'));
  if (end < 0) {
    skipped.push({ id: path, reason: 'YAML front matter has no closing --- line; its class names are not used' });
    return null;
  }
  try {
    // logLevel 'error': errors throw, warnings stay off the console.
    return parseYaml(lines.slice(1, end).join('\n'), { logLevel: 'error' });
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    skipped.push({ id: path, reason: `malformed YAML front matter (${clip(message)}); its class names are not used` });
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `class_label.names` anywhere inside a feature (`dtype`, `sequence`, a struct's fields), as number -> name. */
function findClassNames(node: unknown, depth = 0): ClassNames | null {
  if (depth > 8 || node === null || typeof node !== 'object') return null;
  if (isRecord(node) && isRecord(node.class_label)) {
    const names = node.class_label.names;
    if (Array.isArray(names)) return new Map(names.map((n, i) => [String(i), String(n)]));
    if (isRecord(names)) return new Map(Object.entries(names).map(([k, n]) => [k.trim(), String(n)]));
  }
  for (const child of Object.values(node)) {
    const found = findClassNames(child, depth + 1);
    if (found) return found;
  }
  return null;
}

/** The class names of the first config of `dataset_info` that has any. */
function cardNames(card: unknown): CardNames | null {
  if (!isRecord(card)) return null;
  const configs = Array.isArray(card.dataset_info) ? card.dataset_info : [card.dataset_info];
  for (const config of configs) {
    if (!isRecord(config) || !Array.isArray(config.features)) continue;
    const byFeature = new Map<string, ClassNames>();
    let first: ClassNames | null = null;
    for (const feature of config.features) {
      const names = findClassNames(feature);
      if (!names) continue;
      first ??= names;
      if (isRecord(feature) && typeof feature.name === 'string') byFeature.set(feature.name, names);
    }
    if (first) return { byFeature, first };
  }
  return null;
}

/** The first label field a row has, and its values as a list (a single value is a list of one). */
function labelValues(fields: Record<string, unknown>, fromCsv: boolean): { field: LabelField; values: unknown[] } | null {
  for (const field of LABEL_FIELDS) {
    let value: unknown;
    if (field === 'objects.category') value = isRecord(fields.objects) ? fields.objects.category : fields['objects.category'];
    else value = fields[field];
    if (value === undefined || value === null) continue;
    if (fromCsv && typeof value === 'string' && value.trim().startsWith('[')) {
      // A list in a CSV cell is written as JSON; a cell that only looks like one is a single name.
      try {
        const list: unknown = JSON.parse(value);
        if (Array.isArray(list)) return { field, values: list };
      } catch {
        // a single value
      }
    }
    return { field, values: Array.isArray(value) ? value : [value] };
  }
  return null;
}

function read(listing: CollectionListing): FormatReading {
  const skipped: Skipped[] = [];
  const images = new Set(listing.imagePaths);
  const readmePath = [...listing.texts.keys()].find((p) => p.toLowerCase() === 'readme.md');
  const names = readmePath === undefined ? null : cardNames(frontMatter(readmePath, listing.texts.get(readmePath) ?? '', skipped));
  let namesUsed = false;
  const unnamedNumbers = new Set<string>();
  let unnamedWhere = '';

  const labels: PathLabel[] = [];
  const seen = new Set<string>();
  const splits = new Map<string, Split>();
  const used: string[] = [];

  /** A label value as a name: a string as written, a class number by the card's names (or as the number). */
  const nameOf = (value: unknown, field: LabelField, fromCsv: boolean, where: string): string | null => {
    const isNumber = typeof value === 'number' || (fromCsv && typeof value === 'string' && /^\s*-?\d+\s*$/.test(value));
    if (isNumber) {
      const n = Number(value);
      if (!Number.isInteger(n)) return String(value);
      // -1 is the datasets library's "no label" (the usual test split).
      if (n < 0) return null;
      const classes = names?.byFeature.get(field === 'objects.category' ? 'objects' : field) ?? names?.first;
      const name = classes?.get(String(n));
      if (name !== undefined) {
        namesUsed = true;
        return name;
      }
      if (unnamedNumbers.size === 0) unnamedWhere = where;
      unnamedNumbers.add(String(n));
      return String(n);
    }
    if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
    if (typeof value === 'boolean') return String(value);
    skipped.push({ id: where, reason: `label value ${clip(JSON.stringify(value) ?? String(value))} is not a name or a class number` });
    return null;
  };

  for (const path of metadataPaths(listing)) {
    const text = listing.texts.get(path) ?? '';
    const rows = path.toLowerCase().endsWith('.csv') ? rowsOfCsv(path, text, skipped) : rowsOfJsonl(path, text, skipped);
    if (rows === null) continue;
    used.push(path);
    const dir = dirName(path);
    const split = splitOfFolder(dir);
    for (const { where, fields, fromCsv } of rows) {
      const ref = fields.file_name;
      if (typeof ref !== 'string' || ref.trim() === '') {
        skipped.push({ id: where, reason: 'row without a file_name' });
        continue;
      }
      const resolved = resolveInside(dir, ref);
      if ('reason' in resolved) {
        skipped.push({ id: where, reason: resolved.reason });
        continue;
      }
      if (!images.has(resolved.path)) {
        skipped.push({ id: where, reason: `no image "${clip(resolved.path)}" in the collection` });
        continue;
      }
      if (split) splits.set(resolved.path, split);
      const found = labelValues(fields, fromCsv);
      if (!found) continue;
      for (const value of found.values) {
        const name = nameOf(value, found.field, fromCsv, where);
        if (name === null) continue;
        const key = `${resolved.path}\u0000${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        labels.push({ path: resolved.path, labelName: name, confidence: 1 });
      }
    }
  }

  if (unnamedNumbers.size > 0) {
    const listed = [...unnamedNumbers].slice(0, 5).join(', ') + (unnamedNumbers.size > 5 ? ', …' : '');
    skipped.push({
      id: unnamedWhere,
      reason: `class numbers without a name in README.md's class_label names (${listed}): kept as the numbers`,
    });
  }
  if (namesUsed && readmePath !== undefined) used.push(readmePath);
  return { labels, splits, classes: new Map(), skipped, used };
}

export const hf: FormatReader = { format: 'hf', detect, read };

/** A metadata.jsonl beside `originalPath` (a metadata.jsonl or metadata.csv): one line per image of `imagePaths`
 *  inside that folder, in the given order, with its labels by name (an empty list for none). The caller passes the
 *  images the original listed; an image outside the folder cannot be named without `..` and is left out. */
export function writeHfMetadata(
  originalPath: string,
  imagePaths: readonly string[],
  labelsByPath: ReadonlyMap<string, readonly string[]>,
): { path: string; text: string } {
  const dir = dirName(originalPath);
  const prefix = dir === '' ? '' : `${dir}/`;
  const lines: string[] = [];
  for (const path of imagePaths) {
    if (!path.startsWith(prefix)) continue;
    lines.push(JSON.stringify({ file_name: path.slice(prefix.length), labels: [...(labelsByPath.get(path) ?? [])] }));
  }
  return { path: `${prefix}metadata.jsonl`, text: lines.length === 0 ? '' : `${lines.join('\n')}\n` };
}

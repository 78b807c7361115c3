// The Kaggle-style multi-label CSV: any CSV of the collection with an image column and a tags column (tags separated
// by spaces, `|` or `;`), images matched by path, path without extension, or unique file name. Also writes the CSV
// back in the original's shape. Pure.
// Invariant: the tables of other formats (metadata.csv, labels.csv, classes.csv, split.csv) are never read here, and
// an id that leaves the collection or names no image is listed in `skipped`, never read; the rest loads.
import Papa from 'papaparse';
import type { Skipped, Split } from '../labels';
import { baseName } from '../paths';
import { clip, dirName, hasImageExtension, ImageIndex, isSplitFolder, stripExtension } from './common';
import type { CollectionListing, Detection, FormatReader, FormatReading } from './types';

/** Image columns in order of preference (the first present wins), compared without case. */
const IMAGE_COLUMNS = ['image_name', 'image', 'filename', 'file_name', 'id', 'ImageID'];
const TAGS_COLUMNS = ['tags', 'labels'];
/** CSVs that belong to other formats (Hugging Face, Open Images shards). */
const OTHER_FORMATS = ['metadata.csv', 'labels.csv', 'classes.csv', 'split.csv'];

const NO_IMAGE_COLUMN = 'no image column (image_name, image, filename, file_name, id or ImageID)';
const NO_TAGS_COLUMN = 'no tags column (tags or labels)';

type Separator = '|' | ';' | ' ';

/** Where a CSV's columns are: indexes into each row, -1 when absent. */
interface Columns {
  header: string[];
  image: number;
  tags: number;
  split: number;
}

function parseTable(text: string): Papa.ParseResult<string[]> {
  // The delimiter is fixed: these are comma-separated files, and auto-detection fails on a one-column file. Empty
  // lines are kept so that a row's index stays its line (without quoted newlines) and Papa's error rows match.
  return Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { delimiter: ',', skipEmptyLines: false });
}

function columnsOf(headerRow: readonly string[]): Columns {
  const header = headerRow.map((h) => h.trim());
  const find = (names: readonly string[]) => {
    for (const name of names) {
      const i = header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
      if (i >= 0) return i;
    }
    return -1;
  };
  return { header: [...headerRow], image: find(IMAGE_COLUMNS), tags: find(TAGS_COLUMNS), split: find(['split']) };
}

function candidateCsvs(listing: CollectionListing): string[] {
  return [...listing.texts.keys()].filter((p) => {
    const name = baseName(p).toLowerCase();
    return name.endsWith('.csv') && !OTHER_FORMATS.includes(name);
  });
}

/** The header of a CSV, read alone (detection need not parse the whole table). */
function headerOf(text: string): string[] {
  return Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { delimiter: ',', preview: 1 }).data[0] ?? [];
}

function fittingCsvs(listing: CollectionListing): string[] {
  return candidateCsvs(listing).filter((p) => {
    const c = columnsOf(headerOf(listing.texts.get(p) ?? ''));
    return c.image >= 0 && c.tags >= 0;
  });
}

function detect(listing: CollectionListing): Detection | null {
  const paths = fittingCsvs(listing);
  if (paths.length === 0) return null;
  const shown = paths.slice(0, 3).join(', ');
  return { format: 'csv', strength: 2, evidence: paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown };
}

/** One separator per file: `|` if any cell has one, else `;` if any has one, else whitespace. */
function separatorOf(cells: readonly string[]): Separator {
  if (cells.some((c) => c.includes('|'))) return '|';
  if (cells.some((c) => c.includes(';'))) return ';';
  return ' ';
}

function splitTags(cell: string, separator: Separator): string[] {
  const parts = separator === ' ' ? cell.split(/\s+/) : cell.split(separator);
  return parts.map((t) => t.trim()).filter((t) => t !== '');
}

const isBlank = (row: readonly string[]) => row.every((c) => c.trim() === '');

/** The data rows of a parsed table with their line, the malformed ones skipped with Papa's reason. */
function dataRows(path: string, result: Papa.ParseResult<string[]>, skipped: Skipped[]): { where: string; cells: string[] }[] {
  const badRows = new Map<number, string>();
  for (const error of result.errors) if (error.row !== undefined && !badRows.has(error.row)) badRows.set(error.row, error.message);
  const width = result.data[0]?.length ?? 0;
  const rows: { where: string; cells: string[] }[] = [];
  for (let i = 1; i < result.data.length; i++) {
    const cells = result.data[i];
    if (isBlank(cells)) continue;
    const where = `${path}:${i + 1}`;
    const bad = badRows.get(i);
    if (bad !== undefined) skipped.push({ id: where, reason: `malformed CSV row (${clip(bad)}), left out with what it swallowed` });
    // A row of another width has its cells out of place (an unquoted comma in a tag list): none of them is trusted.
    else if (cells.length !== width)
      skipped.push({ id: where, reason: `malformed CSV row: ${cells.length} cells, the header has ${width}` });
    else rows.push({ where, cells });
  }
  return rows;
}

function read(listing: CollectionListing): FormatReading {
  const reading: FormatReading = { labels: [], splits: new Map(), classes: new Map(), skipped: [], used: [] };
  const paths = fittingCsvs(listing);
  if (paths.length === 0) {
    // Read only by an override: say why each CSV does not fit, so the person can fix the header.
    const all = [...listing.texts.keys()].filter((p) => p.toLowerCase().endsWith('.csv'));
    if (all.length === 0) reading.skipped.push({ id: '(collection)', reason: 'no CSV file with an image column and a tags column' });
    for (const p of all) {
      const name = baseName(p).toLowerCase();
      if (OTHER_FORMATS.includes(name)) {
        reading.skipped.push({ id: p, reason: `${name} belongs to another format, not read as a tags table` });
        continue;
      }
      const c = columnsOf(headerOf(listing.texts.get(p) ?? ''));
      const lacks = [c.image < 0 ? NO_IMAGE_COLUMN : '', c.tags < 0 ? NO_TAGS_COLUMN : ''].filter((s) => s !== '');
      reading.skipped.push({ id: p, reason: `not a tags table: ${lacks.join(' and ')}` });
    }
    return reading;
  }

  const index = new ImageIndex(listing.imagePaths);
  const seen = new Set<string>();
  for (const path of paths) {
    const result = parseTable(listing.texts.get(path) ?? '');
    const columns = columnsOf(result.data[0] ?? []);
    const rows = dataRows(path, result, reading.skipped);
    const separator = separatorOf(rows.map((r) => r.cells[columns.tags]));
    const dir = dirName(path);
    reading.used.push(path);
    for (const { where, cells } of rows) {
      const ref = cells[columns.image];
      if (ref.trim() === '') {
        reading.skipped.push({ id: where, reason: 'row without an image' });
        continue;
      }
      const found = index.find(ref, dir);
      if ('reason' in found) {
        reading.skipped.push({ id: where, reason: found.reason });
        continue;
      }
      for (const labelName of splitTags(cells[columns.tags], separator)) {
        const key = `${found.path}\u0000${labelName}`;
        if (seen.has(key)) continue;
        seen.add(key);
        reading.labels.push({ path: found.path, labelName, confidence: 1 });
      }
      if (columns.split >= 0) {
        const raw = cells[columns.split].trim();
        const split: Split | null = isSplitFolder(raw);
        if (split) reading.splits.set(found.path, split);
        else if (raw !== '')
          reading.skipped.push({ id: where, reason: `unknown split "${clip(raw)}" (train, val, valid, validation or test)` });
      }
    }
  }
  return reading;
}

export const csvTags: FormatReader = { format: 'csv', detect, read };

/** How most of the original's ids are written, for images it did not list: with the extension or without. */
function writesExtensions(ids: readonly string[]): boolean {
  const withExtension = ids.filter((id) => hasImageExtension(id.trim())).length;
  return withExtension * 2 >= ids.length;
}

/** The original tags CSV rewritten with the current labels: its image and tags columns under their header names,
 *  its tag separator, each row's id cell as written; a row whose image is not in `imagePaths` is dropped (and a
 *  second row of one image), an image without labels gets an empty tags cell, and an image the original did not
 *  list is added after its rows (its path from the CSV's folder, or its file name outside it; with the extension
 *  when most of the original's ids have one). Only the two
 *  columns are written: other columns, a split column included, are not kept. */
export function writeCsvTags(
  original: { path: string; text: string },
  imagePaths: readonly string[],
  labelsByPath: ReadonlyMap<string, readonly string[]>,
): string {
  const result = parseTable(original.text);
  const columns = columnsOf(result.data[0] ?? []);
  const imageHeader = columns.image >= 0 ? columns.header[columns.image].trim() : 'image_name';
  const tagsHeader = columns.tags >= 0 ? columns.header[columns.tags].trim() : 'tags';
  const rows = columns.image >= 0 && columns.tags >= 0 ? dataRows(original.path, result, []) : [];
  const separator = separatorOf(rows.map((r) => r.cells[columns.tags]));
  const joiner = separator === ' ' ? ' ' : separator;
  const dir = dirName(original.path);
  const index = new ImageIndex(imagePaths);
  const tagsOf = (path: string) => (labelsByPath.get(path) ?? []).join(joiner);

  const out: string[][] = [[imageHeader, tagsHeader]];
  const written = new Set<string>();
  const ids: string[] = [];
  for (const { cells } of rows) {
    const id = cells[columns.image];
    ids.push(id);
    const found = id.trim() === '' ? null : index.find(id, dir);
    if (!found || 'reason' in found || written.has(found.path)) continue;
    written.add(found.path);
    out.push([id, tagsOf(found.path)]);
  }
  const prefix = dir === '' ? '' : `${dir}/`;
  const withExtension = writesExtensions(ids);
  for (const path of imagePaths) {
    if (written.has(path)) continue;
    const named = path.startsWith(prefix) ? path.slice(prefix.length) : baseName(path);
    out.push([withExtension ? named : stripExtension(named), tagsOf(path)]);
  }
  const newline = /\r\n/.test(original.text) ? '\r\n' : '\n';
  return `${Papa.unparse(out, { newline })}${newline}`;
}

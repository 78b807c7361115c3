// What the workspace exports: a set of images (a selection, a filter's matches, a query's results) as CSV and as a
// zip of the images. Pure, over plain records; where the image bytes come from is the caller's (export-images in
// src/session/exports.ts). CSV through papaparse, so quotes, commas and newlines in IDs and names are escaped.
import Papa from 'papaparse';
import { BlobWriter, TextReader, Uint8ArrayReader, ZipWriter, configure } from '@zip.js/zip.js';

configure({ useWebWorkers: false });

export interface ExportImage {
  imageId: string;
  /** The content hash (the thumbnail's key). */
  hash?: string;
  split: string;
  path: string;
  labels: { labelName: string; confidence: number }[];
}

export interface ExportRow {
  image: ExportImage;
  /** The result's score, for a query's results; absent for a selection or a filter. */
  score?: number;
  rank?: number;
}

/** The CSV: ImageID, Split, Labels (display names), LabelNames, then Rank and Score when the rows have them. One
 *  label list per cell, joined with "; " (a display name may hold a comma). */
export function exportCsv(rows: readonly ExportRow[], classes: ReadonlyMap<string, string>, files?: readonly string[]): string {
  const scored = rows.some((r) => r.score !== undefined);
  const fields = ['ImageID', 'Split', 'Labels', 'LabelNames', ...(scored ? ['Rank', 'Score'] : []), ...(files ? ['File'] : [])];
  const data = rows.map((r, i) => {
    const names = r.image.labels.map((l) => l.labelName);
    const row: (string | number)[] = [r.image.imageId, r.image.split, names.map((n) => classes.get(n) ?? n).join('; '), names.join('; ')];
    if (scored) row.push(r.rank ?? '', r.score === undefined ? '' : Number(r.score.toFixed(6)));
    if (files) row.push(files[i] ?? '');
    return row;
  });
  return Papa.unparse({ fields, data }, { newline: '\n' }) + '\n';
}

/** Names images inside the zip: the base name of each image's path, made safe (no folders, no `..`, no control
 *  characters) and unique (case-insensitively), with the extension of its type when the path has none. */
export function zipNamer() {
  const used = new Set<string>();
  return (image: { imageId: string; path: string }, type: string): string => {
    const base = (image.path.split('/').pop() || image.imageId).replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^\.+/, '_') || 'image';
    const dot = base.lastIndexOf('.');
    const stem = dot > 0 ? base.slice(0, dot) : base;
    const suffix = dot > 0 ? base.slice(dot) : type === 'image/png' ? '.png' : type === 'image/webp' ? '.webp' : '.jpg';
    let name = `images/${stem}${suffix}`;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `images/${stem}-${n}${suffix}`;
    used.add(name.toLowerCase());
    return name;
  };
}

/** Writes the zip: the images one at a time (so only one image's bytes are held besides the growing archive),
 *  then `images.csv` (the CSV with a File column naming each image's entry) and a README with `note`. `bytesOf`
 *  gives an image's bytes, or null to leave it out (its row keeps an empty File). */
export async function exportZip(
  rows: readonly ExportRow[],
  classes: ReadonlyMap<string, string>,
  bytesOf: (image: ExportImage) => Promise<{ bytes: Uint8Array; type: string } | null>,
  note: string,
  signal?: AbortSignal,
): Promise<{ zip: Blob; written: number; missing: number }> {
  const writer = new ZipWriter(new BlobWriter('application/zip'));
  const name = zipNamer();
  const files: string[] = [];
  for (const r of rows) {
    signal?.throwIfAborted();
    const found = await bytesOf(r.image);
    if (!found) {
      files.push('');
      continue;
    }
    const entry = name(r.image, found.type);
    await writer.add(entry, new Uint8ArrayReader(found.bytes), { level: 0 });
    files.push(entry);
  }
  await writer.add('images.csv', new TextReader(exportCsv(rows, classes, files)));
  await writer.add('README.txt', new TextReader(note + '\n'));
  const written = files.filter(Boolean).length;
  return { zip: await writer.close(), written, missing: rows.length - written };
}

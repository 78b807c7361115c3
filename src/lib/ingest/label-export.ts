// Labels back out, in the format they came in: a review's corrected labels (and the predicted labels) written as the
// collection's own format where that format holds image-level labels (COCO JSON, Hugging Face metadata.jsonl, the
// tags CSV, Open Images CSV, the 2017 text form), else as an Open Images CSV, which the button says. Pure.
// Invariants: Open Images and the 2017 form are the files as read with only the accepted changes made (review.ts);
// the other formats are written whole from the labels after the changes, with everything else of the original
// (COCO images and categories, CSV ids as written) kept.
import Papa from 'papaparse';
import { applyLabelChanges, REVIEW_SOURCE, type LabelChange, type LabelFile } from './review';
import { writeCocoLabels } from './formats/coco';
import { writeHfMetadata } from './formats/hf';
import { writeCsvTags } from './formats/csv';
import { dirName } from './formats/common';
import type { FormatName } from './formats/types';
import { labelExportFormat, LABEL_EXPORT_TITLES, type LabelExportFormat } from './format-titles';

export { labelExportFormat, LABEL_EXPORT_TITLES, type LabelExportFormat };

export interface ExportImage {
  imageId: string;
  path: string;
  /** The image's positive labels as loaded (LabelName). */
  labels: readonly string[];
}

export interface ExportedFile {
  /** The path the file had in the collection (or its new name), relative to the collection's root. */
  path: string;
  text: string;
  type: string;
}

/** Each image's labels after the accepted changes: a rejected given label removed, an accepted missing one added. */
export function labelsAfter(images: readonly ExportImage[], changes: readonly LabelChange[]): Map<string, string[]> {
  const byId = new Map<string, Set<string>>(images.map((im) => [im.imageId, new Set(im.labels)]));
  for (const c of changes) {
    const set = byId.get(c.imageId);
    if (!set) continue;
    if (c.kind === 'remove') set.delete(c.labelName);
    else set.add(c.labelName);
  }
  const byPath = new Map<string, string[]>();
  for (const im of images) byPath.set(im.path, [...byId.get(im.imageId)!]);
  return byPath;
}

/** The collection's labels after the accepted changes, as files in its own format. `files`: the label files kept at
 *  load (review.ts `LabelFile`). Open Images and the 2017 form give only the files that changed. */
export function exportLabels(
  format: FormatName | undefined,
  files: readonly LabelFile[],
  images: readonly ExportImage[],
  changes: readonly LabelChange[],
): { written: LabelExportFormat; files: ExportedFile[] } {
  const written = labelExportFormat(format);
  const own = files.filter(
    (f) =>
      f.kind === written || (written === 'open-images' && f.kind === 'labels-csv') || (written === 'seed-text' && f.kind === 'labels-txt'),
  );
  if ((written === 'open-images' || written === 'seed-text') && own.length > 0) {
    return {
      written,
      files: applyLabelChanges([...own], [...changes]).map((f) => ({
        path: f.path,
        text: f.text,
        type: f.kind === 'labels-csv' ? 'text/csv' : 'text/plain',
      })),
    };
  }
  const byPath = labelsAfter(images, changes);
  const paths = images.map((im) => im.path);
  if (written === 'coco' && own.length)
    return { written, files: own.map((f) => ({ path: f.path, text: writeCocoLabels(f, paths, byPath), type: 'application/json' })) };
  if (written === 'hf' && own.length)
    return {
      written,
      files: own.map((f) => {
        const folder = dirName(f.path);
        const inFolder = paths.filter((p) => folder === '' || p.startsWith(`${folder}/`));
        const out = writeHfMetadata(f.path, inFolder, byPath);
        return { path: out.path, text: out.text, type: 'application/jsonl' };
      }),
    };
  if (written === 'csv' && own.length)
    return { written, files: own.map((f) => ({ path: f.path, text: writeCsvTags(f, paths, byPath), type: 'text/csv' })) };
  return { written: 'open-images', files: [{ path: 'labels.csv', text: openImagesCsv(images, byPath, changes), type: 'text/csv' }] };
}

/** Every image's labels as an Open Images CSV (ImageID, Source, LabelName, Confidence): a label the review added
 *  has Source simage-review; the rest the collection's own. */
export function openImagesCsv(
  images: readonly ExportImage[],
  byPath: ReadonlyMap<string, readonly string[]>,
  changes: readonly LabelChange[],
): string {
  const added = new Set(changes.filter((c) => c.kind === 'add').map((c) => `${c.imageId}\u0000${c.labelName}`));
  const rows: (string | number)[][] = [];
  for (const im of images)
    for (const label of byPath.get(im.path) ?? [])
      rows.push([im.imageId, added.has(`${im.imageId}\u0000${label}`) ? REVIEW_SOURCE : 'collection', label, 1]);
  return Papa.unparse({ fields: ['ImageID', 'Source', 'LabelName', 'Confidence'], data: rows }, { newline: '\n' }) + '\n';
}

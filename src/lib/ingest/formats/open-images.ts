// The Open Images shard (`labels.csv` or the upstream `*-annotations-*-imagelabels*.csv`, optional `classes.csv` and
// `split.csv`) and the 2017 seed's text form (`ImageID;label(0.9);…` in any `.txt`), as format readers. Pure.
// Invariant: an image's ImageID is its file name without the extension, so the label rows find it; a second file
// with an ImageID already taken is left out (and listed), never merged.
import { parseClassesCsv, parseLabelsCsv, parseLabelsTxt, parseSplitCsv, type LabelRow, type Skipped, type Split } from '../labels';
import { baseName } from '../paths';
import { clip, stripExtension } from './common';
import type { CollectionListing, Detection, FormatReader, FormatReading, PathLabel } from './types';

const isLabelsCsv = (path: string) => {
  const lower = baseName(path).toLowerCase();
  return lower === 'labels.csv' || /-annotations-.*imagelabels.*\.csv$/.test(lower);
};
const isClassesCsv = (path: string) => {
  const lower = baseName(path).toLowerCase();
  return lower === 'classes.csv' || /class-descriptions.*\.csv$/.test(lower);
};
const isSplitCsv = (path: string) => baseName(path).toLowerCase() === 'split.csv';

/** The header of a CSV has ImageID, LabelName and Confidence (the first line is enough). */
function hasOpenImagesHeader(text: string): boolean {
  const first = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/, 1)[0]
    .toLowerCase();
  const cols = first.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  return ['imageid', 'labelname', 'confidence'].every((c) => cols.includes(c));
}

/** A line of the 2017 text form: an id, then `;`-separated labels, each maybe with `(confidence)`. */
const SEED_LINE = /^[^;]+(;[^;]*)+$/;

/** ImageID -> the image's path (the first file with that name); later files with the same ImageID are excluded. */
function imagesById(listing: CollectionListing): { pathOf: Map<string, string>; excluded: (Skipped & { path: string })[] } {
  const pathOf = new Map<string, string>();
  const excluded: (Skipped & { path: string })[] = [];
  for (const path of listing.imagePaths) {
    const id = stripExtension(baseName(path));
    const earlier = pathOf.get(id);
    if (earlier === undefined) pathOf.set(id, path);
    else excluded.push({ id, path, reason: `duplicate ImageID (kept ${earlier}, skipped ${path})` });
  }
  return { pathOf, excluded };
}

/** Label rows (by ImageID) onto image paths; rows for an ImageID with no image are counted per ImageID. */
function rowsToPaths(rows: LabelRow[], pathOf: Map<string, string>, rejected: ReadonlySet<string>, skipped: Skipped[]): PathLabel[] {
  const labels: PathLabel[] = [];
  const missing = new Map<string, number>();
  for (const r of rows) {
    const path = pathOf.get(r.imageId);
    if (path === undefined) missing.set(r.imageId, (missing.get(r.imageId) ?? 0) + 1);
    else labels.push({ path, labelName: r.labelName, confidence: r.confidence });
  }
  for (const [imageId, n] of missing) {
    const what = `${n} label row${n === 1 ? '' : 's'} for an image that`;
    skipped.push({
      id: imageId,
      reason: rejected.has(imageId) ? `${what} was skipped (see its file)` : `${what} is not in the collection`,
    });
  }
  return labels;
}

function readOpenImagesLike(listing: CollectionListing, labelFiles: string[], parse: typeof parseLabelsCsv): FormatReading {
  const { pathOf, excluded } = imagesById(listing);
  const rejected = new Set((listing.rejectedPaths ?? []).map((p) => stripExtension(baseName(p))));
  const skipped: Skipped[] = [];
  const rows: LabelRow[] = [];
  const used: string[] = [...labelFiles];
  for (const path of labelFiles) {
    const parsed = parse(listing.texts.get(path) ?? '', path);
    for (const r of parsed.rows) rows.push(r);
    skipped.push(...parsed.skipped);
  }
  const classes = new Map<string, string>();
  const splits = new Map<string, Split>();
  for (const [path, text] of listing.texts) {
    if (isClassesCsv(path)) {
      const parsed = parseClassesCsv(text, path);
      for (const [k, v] of parsed.names) classes.set(k, v);
      skipped.push(...parsed.skipped);
      used.push(path);
    } else if (isSplitCsv(path)) {
      const parsed = parseSplitCsv(text, path);
      for (const [id, split] of parsed.splits) {
        const image = pathOf.get(id);
        if (image === undefined) skipped.push({ id, reason: 'split row for an image that is not in the collection' });
        else splits.set(image, split);
      }
      skipped.push(...parsed.skipped);
      used.push(path);
    }
  }
  return { labels: rowsToPaths(rows, pathOf, rejected, skipped), splits, classes, skipped, used, excluded };
}

const openImagesFiles = (listing: CollectionListing) =>
  [...listing.texts.keys()].filter((p) => isLabelsCsv(p) && hasOpenImagesHeader(listing.texts.get(p) ?? ''));

export const openImages: FormatReader = {
  format: 'open-images',
  detect(listing): Detection | null {
    const files = openImagesFiles(listing);
    return files.length ? { format: 'open-images', strength: 3, evidence: clip(files.join(', ')) } : null;
  },
  read(listing) {
    const files = openImagesFiles(listing);
    const reading = readOpenImagesLike(listing, files, parseLabelsCsv);
    if (files.length === 0) {
      const named = [...listing.texts.keys()].filter(isLabelsCsv);
      reading.skipped.unshift(
        ...(named.length
          ? named.map((id) => ({ id, reason: 'label file has no header with ImageID, LabelName and Confidence columns' }))
          : [{ id: '(collection)', reason: 'no labels.csv with ImageID, LabelName and Confidence columns' }]),
      );
    }
    return reading;
  },
};

/** Text files whose lines are the 2017 form and at least one of whose ids names an image. */
function seedTextFiles(listing: CollectionListing): string[] {
  const stems = new Set(listing.imagePaths.map((p) => stripExtension(baseName(p))));
  return [...listing.texts.keys()].filter((path) => {
    if (!path.toLowerCase().endsWith('.txt')) return false;
    const lines = (listing.texts.get(path) ?? '').split(/\r?\n/).filter((l) => l.trim() !== '');
    return lines.length > 0 && lines.every((l) => SEED_LINE.test(l)) && lines.some((l) => stems.has(l.split(';')[0].trim()));
  });
}

export const seedText: FormatReader = {
  format: 'seed-text',
  detect(listing): Detection | null {
    const files = seedTextFiles(listing);
    return files.length ? { format: 'seed-text', strength: 2, evidence: clip(files.join(', ')) } : null;
  },
  read(listing) {
    const files = seedTextFiles(listing);
    const reading = readOpenImagesLike(listing, files, parseLabelsTxt);
    if (files.length === 0)
      reading.skipped.unshift({ id: '(collection)', reason: 'no .txt file of lines "ImageID;label(0.9);…" names an image' });
    return reading;
  },
};

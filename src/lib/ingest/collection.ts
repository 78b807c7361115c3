// A collection as its tools wrote it, read into the shard's terms: which format the files are (detected, or the
// person's choice), each image's id, split and labels, and every file, row or reference that was not used, with its
// reason. Pure: the ingest worker hands it the listing (image paths that decoded, texts of the table files) once
// every entry is read, because a format is a property of the whole tree (a COCO file names images it precedes).
// Invariants: ids never collide; an image's split is its format's own where the format has one, else the hash
// split of its id (labels.ts); a table file of no chosen format is listed as not used, never silently dropped.
import { defaultSplit, type LabelRow, type Skipped, type Split } from './labels';
import { baseName } from './paths';
import { stripExtension } from './formats/common';
import { openImages, seedText } from './formats/open-images';
import { coco } from './formats/coco';
import { yolo } from './formats/yolo';
import { hf } from './formats/hf';
import { csvTags } from './formats/csv';
import { folders, none } from './formats/folders';
import { FORMAT_TITLES } from './format-titles';
import { FORMATS, type CollectionListing, type Detection, type FormatName, type FormatReader } from './formats/types';

export { FORMATS, FORMAT_TITLES, type FormatName };

/** Every reader, in the order that breaks a tie between equally strong detections (and the order they are looked
 *  for in, as said when none fits). */
export const READERS: readonly FormatReader[] = [openImages, coco, yolo, hf, csvTags, seedText, folders, none];

/** The largest table file read, in bytes: a JSON text of this size takes several times its size in a worker's
 *  memory while parsed, and the page shares its tab with it. */
export const MAX_TABLE_BYTES = 64 * 1024 * 1024;

/** Why a table file of this size is not read (null: it is): over MAX_TABLE_BYTES, a sentence that says what to do. */
export function tableTooLarge(bytes: number): string | null {
  if (bytes <= MAX_TABLE_BYTES) return null;
  const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;
  return `a table file of ${mb(bytes)} is more than the ${mb(MAX_TABLE_BYTES)} this page reads at once (it would take the tab's memory); split it (one file per split) and load again`;
}

export interface FormatChoice {
  format: FormatName;
  /** What was found that says so. */
  evidence: string;
  /** Formats that fit exactly as well (the person is asked; the first in READERS order is used meanwhile). */
  alternatives: FormatName[];
  /** true when the person chose the format (`--format`, the load view) rather than detection. */
  chosen: boolean;
}

export function detectFormats(listing: CollectionListing): Detection[] {
  return READERS.map((r) => r.detect(listing))
    .filter((d): d is Detection => d !== null)
    .sort((a, b) => b.strength - a.strength);
}

export function chooseFormat(listing: CollectionListing, override?: FormatName | null): FormatChoice {
  if (override) {
    const found = READERS.find((r) => r.format === override)?.detect(listing);
    return { format: override, evidence: found?.evidence ?? 'chosen, although its files were not found', alternatives: [], chosen: true };
  }
  const found = detectFormats(listing);
  const best = found[0];
  const tied = found.filter((d) => d.strength === best.strength && d.format !== best.format).map((d) => d.format);
  return { format: best.format, evidence: best.evidence, alternatives: tied, chosen: false };
}

/** An image's id: its file name without the extension when no other image has that name; else its path without
 *  the extension; else (two files differing only in extension) its whole path. Open Images and the 2017 text form
 *  name images by file name, so there it is always the file name (a second one is left out by the reader). */
export function assignIds(paths: readonly string[], format: FormatName): string[] {
  const stem = (p: string) => stripExtension(baseName(p));
  if (format === 'open-images' || format === 'seed-text') return paths.map(stem);
  const count = (key: (p: string) => string) => {
    const n = new Map<string, number>();
    for (const p of paths) n.set(key(p), (n.get(key(p)) ?? 0) + 1);
    return n;
  };
  const stems = count(stem);
  const noExt = count(stripExtension);
  const ids = paths.map((p) => (stems.get(stem(p)) === 1 ? stem(p) : noExt.get(stripExtension(p)) === 1 ? stripExtension(p) : p));
  // A file name without extension can equal another's path form (`a/b.jpg` -> `a/b`; a file named `a/b`); a
  // path never equals another path, so a collision falls back to the whole path.
  const seen = count((p) => ids[paths.indexOf(p)]);
  return ids.map((id, i) => ((seen.get(id) ?? 0) > 1 ? paths[i] : id));
}

export interface Interpretation {
  choice: FormatChoice;
  /** The images that take part, with their ids, in listing order. */
  images: { path: string; imageId: string }[];
  /** Labels by image id (Confidence 0: a negative label). */
  labelRows: LabelRow[];
  /** The format's own splits, by image id (the others take the hash split). */
  splits: Map<string, Split>;
  classes: Map<string, string>;
  skipped: Skipped[];
  /** Table files the format read. */
  used: string[];
}

export function interpretCollection(listing: CollectionListing, override?: FormatName | null): Interpretation {
  const choice = chooseFormat(listing, override);
  const reader = READERS.find((r) => r.format === choice.format)!;
  const reading = reader.read(listing);
  const excludedPaths = new Set((reading.excluded ?? []).map((e) => e.path));
  const kept = listing.imagePaths.filter((p) => !excludedPaths.has(p));
  const ids = assignIds(kept, choice.format);
  const idOf = new Map(kept.map((p, i) => [p, ids[i]]));
  const labelRows: LabelRow[] = [];
  for (const l of reading.labels) {
    const imageId = idOf.get(l.path);
    if (imageId !== undefined) labelRows.push({ imageId, labelName: l.labelName, confidence: l.confidence });
  }
  const splits = new Map<string, Split>();
  for (const [path, split] of reading.splits) {
    const imageId = idOf.get(path);
    if (imageId !== undefined) splits.set(imageId, split);
  }
  const used = new Set(reading.used);
  const notUsed: Skipped[] = [...listing.texts]
    .filter(([p]) => !used.has(p))
    .map(([id, text]) => ({
      id,
      reason:
        text.trim() === ''
          ? /(^|\/)labels\.(csv|txt)$/i.test(id)
            ? 'label file is empty'
            : 'empty file'
          : `not used: no part of the ${FORMAT_TITLES[choice.format]} format`,
    }));
  return {
    choice,
    images: kept.map((path, i) => ({ path, imageId: ids[i] })),
    labelRows,
    splits,
    classes: reading.classes,
    skipped: [...(reading.excluded ?? []).map(({ id, reason }) => ({ id, reason })), ...reading.skipped, ...notUsed],
    used: [...used],
  };
}

/** Why the labels cannot define which images are alike, or null when they can: then the map is laid out from
 *  the images' features and search ranks by look alone (no training, no review). */
export function labelsCannotDefineSimilarity(images: readonly { labels: readonly { labelName: string }[] }[]): string | null {
  const labelled = images.filter((im) => im.labels.length > 0);
  if (labelled.length === 0) return 'The collection has no labels, so the map and the search use how the images look alone.';
  if (labelled.length < 3)
    return `Only ${labelled.length} image${labelled.length === 1 ? ' is' : 's are'} labelled (at least 3 are needed to learn from labels), so the map and the search use how the images look alone.`;
  const vocabulary = new Set(labelled.flatMap((im) => im.labels.map((l) => l.labelName)));
  if (vocabulary.size === 1)
    return `Every labelled image has the one label "${[...vocabulary][0]}", which cannot tell images apart, so the map and the search use how the images look alone.`;
  return null;
}

export { defaultSplit };

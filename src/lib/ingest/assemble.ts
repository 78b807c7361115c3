// Joins the images that decoded with the label, class and split tables into the shard's records and its load
// report. Pure. Invariants: every label row ends up either on an image or in `skipped`; negative labels
// (Confidence 0) are kept apart from the positive ones that feed the label matrix; an image without a positive
// label stays in the shard (it can be queried) and is counted as unlabelled.
import { defaultSplit, type LabelRow, type Skipped, type Split } from './labels';
import type { FormatName } from './formats/types';

export interface ImageLabel {
  labelName: string;
  confidence: number;
}

export interface ShardImage {
  imageId: string;
  path: string;
  hash: string;
  width: number;
  height: number;
  split: Split;
  /** Positive labels (Confidence > 0), one per LabelName, highest confidence kept. */
  labels: ImageLabel[];
  /** LabelNames marked absent (Confidence 0). */
  negatives: string[];
}

export interface DecodedImage {
  imageId: string;
  path: string;
  hash: string;
  width: number;
  height: number;
}

export interface ShardSummary {
  images: number;
  labelled: number;
  labels: number;
  train: number;
  validation: number;
  test: number;
  skipped: Skipped[];
  /** The collection format read (src/lib/ingest/collection.ts); absent in shards stored before formats (Open Images). */
  format?: FormatName;
  /** What was found that says so (a file, a layout). */
  formatEvidence?: string;
  /** Formats that fit exactly as well: the load view asks which one the person means. */
  formatAlternatives?: FormatName[];
  /** The person chose the format (`--format`, the load view) rather than detection. */
  formatChosen?: boolean;
  /** Why the labels cannot define which images are alike (no labels, fewer than 3 labelled images, one label on
   *  all), or null: then the map is laid out from the features and search ranks by look alone. */
  labelsUnusable?: string | null;
  /** Table files the format read. */
  tablesUsed?: number;
}

export function assembleShard(
  decoded: DecodedImage[],
  labelRows: LabelRow[],
  splits: Map<string, Split> | null,
  skippedBefore: Skipped[],
  /** ImageIDs whose file was found but left out (did not decode, empty): their label rows say so. */
  rejectedIds: ReadonlySet<string> = new Set(),
): { images: ShardImage[]; summary: ShardSummary } {
  const skipped = [...skippedBefore];
  const byId = new Map<string, ShardImage>();
  for (const d of decoded) {
    byId.set(d.imageId, { ...d, split: splits?.get(d.imageId) ?? defaultSplit(d.imageId), labels: [], negatives: [] });
  }
  const missing = new Map<string, number>();
  const positive = new Map<string, Map<string, number>>();
  for (const row of labelRows) {
    const image = byId.get(row.imageId);
    if (!image) {
      missing.set(row.imageId, (missing.get(row.imageId) ?? 0) + 1);
      continue;
    }
    if (row.confidence === 0) {
      if (!image.negatives.includes(row.labelName)) image.negatives.push(row.labelName);
      continue;
    }
    let labels = positive.get(row.imageId);
    if (!labels) positive.set(row.imageId, (labels = new Map()));
    labels.set(row.labelName, Math.max(labels.get(row.labelName) ?? 0, row.confidence));
  }
  for (const [imageId, rows] of missing) {
    const what = `${rows} label row${rows === 1 ? '' : 's'} for an image that`;
    skipped.push({
      id: imageId,
      reason: rejectedIds.has(imageId) ? `${what} was skipped (see its file)` : `${what} is not in the collection`,
    });
  }
  if (splits) {
    for (const imageId of splits.keys()) {
      if (!byId.has(imageId)) skipped.push({ id: imageId, reason: 'split row for an image that is not in the collection' });
    }
  }
  const vocabulary = new Set<string>();
  const summary: ShardSummary = { images: byId.size, labelled: 0, labels: 0, train: 0, validation: 0, test: 0, skipped };
  for (const image of byId.values()) {
    const labels = positive.get(image.imageId);
    if (labels) {
      image.labels = [...labels].map(([labelName, confidence]) => ({ labelName, confidence }));
      image.negatives = image.negatives.filter((n) => !labels.has(n));
      for (const l of labels.keys()) vocabulary.add(l);
      summary.labelled++;
    }
    summary[image.split]++;
  }
  summary.labels = vocabulary.size;
  return { images: [...byId.values()], summary };
}

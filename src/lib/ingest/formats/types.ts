// The collection formats (docs/SHARD-FORMAT.md, "Bring your collection"): what every format reader is given and
// what it answers. Pure types. Invariant: a reader sees paths and texts only; it never reads a file itself, and a
// path it names is always one of `listing.imagePaths` (a reference that leaves the root is skipped, never read).
import type { Skipped, Split } from '../labels';

export type FormatName = 'open-images' | 'seed-text' | 'folders' | 'coco' | 'yolo' | 'hf' | 'csv' | 'none';
export const FORMATS: readonly FormatName[] = ['open-images', 'seed-text', 'folders', 'coco', 'yolo', 'hf', 'csv', 'none'];

/** What the ingest saw of a collection once every entry was read. */
export interface CollectionListing {
  /** Every image file that decoded, as a normalised path relative to the root (forward slashes, no `./`), in
   *  entry order. */
  imagePaths: readonly string[];
  /** The text of every table file (csv, tsv, json, jsonl, yaml, yml, txt, md), by normalised path. */
  texts: ReadonlyMap<string, string>;
  /** Image files that were found but did not load (empty, undecodable): label rows naming them say so. */
  rejectedPaths?: readonly string[];
}

/** One image-level label of one image, the image named by its path. */
export interface PathLabel {
  path: string;
  labelName: string;
  /** In (0, 1]; 0 is a negative label (Open Images only). */
  confidence: number;
}

/** A reader's answer. */
export interface FormatReading {
  labels: PathLabel[];
  /** The format's own split of an image, by image path; images absent take the hash split (labels.ts). */
  splits: Map<string, Split>;
  /** LabelName -> display name, where the format has both (Open Images); else empty (the name is shown). */
  classes: Map<string, string>;
  /** Rows, files and references that could not be used, each with its reason. */
  skipped: Skipped[];
  /** Table files this reading used (the other table files are listed as not used). */
  used: string[];
  /** Images this format leaves out (Open Images: a second file with an ImageID already taken), with the reason. */
  excluded?: (Skipped & { path: string })[];
}

/** How a listing fits a format: the strongest evidence wins; equal strengths ask the person. */
export interface Detection {
  format: FormatName;
  /** 3: the format's own annotation file; 2: a generic table that fits (a tags CSV, the 2017 text form);
   *  1: the folder layout alone; 0: images alone. */
  strength: number;
  /** One short phrase for the load view and the report: what was found ("annotations/instances_val2017.json"). */
  evidence: string;
}

export interface FormatReader {
  format: FormatName;
  detect(listing: CollectionListing): Detection | null;
  read(listing: CollectionListing): FormatReading;
}

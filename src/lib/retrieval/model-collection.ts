// What version 2 of the model file adds so that it answers images alone (modelfile.ts has the rest): the records of
// the base network and the preprocessing, collection.json (the references' labels, the images placed by prediction,
// the labels' display names) and the vector and hash entries beside it, read and checked. Pure.
import { contentHash } from '../hash';
import { ModelFileError } from '../errors';

/** The base network, named so that a loader with other weights refuses the file. */
export interface ExtractorRecord {
  /** 'inception-v3' or 'mobilenet-v2'. */
  name: string;
  /** The id its model.json declares (name@weights source). */
  modelId: string;
  /** SHA-256 of its weight bytes, in its weights manifest's order. */
  weightsSha256: string;
  /** The network's own name for the layer whose output the head reads, and whether it is average-pooled. */
  layerName: string;
  /** Its weights are in this file (extractor/model.json + extractor/weights.bin). */
  embedded: boolean;
}

/** The exact preprocessing, as the page does it (src/lib/features/preprocess.ts). */
export interface PreprocessRecord {
  inputPx: number;
  /** 'stretch': both sides to inputPx, aspect not kept (the 2017 script's load_img). */
  resize: 'stretch';
  /** EXIF orientation applied before resizing. */
  orientation: 'exif';
  /** Transparent pixels composited over white, then each channel scaled to [0, 1]. */
  alpha: 'over-white';
  scale: '0-1';
  channels: 'rgb';
}

/** collection.json: the references' labels (rows in reference order, columns in vocabulary order) and the images
 *  placed by prediction. */
export interface CollectionRecord {
  referenceLabels: { rowPtr: number[]; colIdx: number[]; values: number[] };
  predicted: string[];
  /** Positions (in `predicted`) of labelled validation or test images: returned only when asked. */
  heldOut: number[];
  /** Each vocabulary label's display name (classes.csv, COCO category names, folder names), in vocabulary order. */
  displayNames: string[];
  /** Positions (references, then predicted) with no perceptual hash in copies.bin (their thumbnail did not decode). */
  unhashed?: number[];
}

/** The entries a version-2 file adds beside the net, as read (modelfile.ts's ModelFileParts has them too). */
export interface Version2Parts {
  collection: CollectionRecord | null;
  predicted: Uint8Array | null;
  referenceFeatures: Uint8Array | null;
  /** copies.bin: (references + predicted) x 8 uint32 words. */
  copies: Uint8Array | null;
  extractor: { modelJson: unknown; weights: Uint8Array } | null;
}

/** What of the manifest (modelfile.ts) the entries are checked against: counts, widths and what it says is there. */
export interface Version2Manifest {
  head: string;
  featureDim: number;
  targetDim: number;
  references: string[];
  vocabulary: string[];
  extractor?: ExtractorRecord;
  collection?: { predicted: number; referenceFeatures: boolean; copies?: string };
}

const bad = (what: string) => new ModelFileError(`This is not a usable simage model file: ${what}.`);
const isString = (v: unknown, max = 512): v is string => typeof v === 'string' && v.length <= max;

/** The entries version 2 adds (`read` gives an entry's bytes once its checksum is checked), each checked against the
 *  manifest's sizes. */
export async function readVersion2(read: (name: string) => Promise<Uint8Array>, manifest: Version2Manifest): Promise<Version2Parts> {
  const R = manifest.references.length;
  const info = manifest.collection!;
  /** A JSON entry, checked; a damaged one is refused with its name. */
  const json = async (name: string): Promise<unknown> => {
    const bytes = await read(name);
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw bad(`${name} is not valid JSON`);
    }
  };
  const collection = (await json('collection.json')) as CollectionRecord;
  const { referenceLabels: csr, predicted: ids, heldOut } = collection ?? ({} as CollectionRecord);
  const ints = (a: unknown, below: number) => Array.isArray(a) && a.every((v) => Number.isInteger(v) && v >= 0 && v < below);
  if (
    !csr ||
    !ints(csr.rowPtr, csr.colIdx?.length + 1) ||
    csr.rowPtr.length !== R + 1 ||
    csr.rowPtr[0] !== 0 ||
    csr.rowPtr[R] !== csr.colIdx.length ||
    csr.rowPtr.some((v, i) => i > 0 && v < csr.rowPtr[i - 1]) ||
    !ints(csr.colIdx, manifest.vocabulary.length) ||
    !Array.isArray(csr.values) ||
    csr.values.length !== csr.colIdx.length ||
    !csr.values.every((v) => typeof v === 'number' && v >= 0 && v <= 1)
  )
    throw bad("collection.json does not hold the references' labels");
  if (!Array.isArray(ids) || ids.length !== info.predicted || !ids.every((s) => isString(s)) || !ints(heldOut, ids.length))
    throw bad('collection.json does not list the images placed by prediction');
  const names = collection.displayNames;
  if (!Array.isArray(names) || names.length !== manifest.vocabulary.length || !names.every((s) => isString(s)))
    throw bad("collection.json does not name the vocabulary's labels");
  let predicted: Uint8Array | null = null;
  if (manifest.head === 'embedding') {
    predicted = await read('predicted.bin');
    if (predicted.length !== 4 * ids.length * manifest.targetDim) throw bad('predicted.bin does not hold one vector per image');
  }
  let referenceFeatures: Uint8Array | null = null;
  if (info.referenceFeatures) {
    referenceFeatures = await read('reference-features.bin');
    if (referenceFeatures.length !== 4 * R * manifest.featureDim) throw bad('reference-features.bin does not hold one row per reference');
  }
  let copies: Uint8Array | null = null;
  if (info.copies) {
    copies = await read('copies.bin');
    const n = R + ids.length;
    if (copies.length !== n * 32) throw bad('copies.bin does not hold one hash per image');
    if (collection.unhashed !== undefined && !ints(collection.unhashed, n))
      throw bad('collection.json lists images without a hash wrongly');
  }
  let extractor: Version2Parts['extractor'] = null;
  if (manifest.extractor!.embedded) {
    const weights = await read('extractor/weights.bin');
    if ((await contentHash(weights)) !== manifest.extractor!.weightsSha256) throw bad('the embedded base network is not the one it names');
    extractor = { modelJson: await json('extractor/model.json'), weights };
  }
  return { collection, predicted, referenceFeatures, copies, extractor };
}

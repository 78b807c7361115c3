// The exported model file: one zip (zip.js) holding
//   manifest.json   what the model is for (ModelManifest below), with a SHA-256 of every other file;
//   model.json      the net in TensorFlow.js layers format (topology and weight specs);
//   weights.bin     its weights, float32, in weight-spec order;
//   references.bin  for the 'embedding' head: the references' label-embedding vectors (R x targetDim, float32 LE);
//   label-space.bin optional: each vocabulary label's row of the SVD's V (vocabulary x components, float32 LE), for
//                   label queries and decoded tags.
// Version 2 adds what answers a query with no app around it (docs/MODEL-FILE.md):
//   collection.json           every image the page can return: the references' labels (CSR over the vocabulary),
//                             the other images' ids (placed by prediction) and which of those are held out;
//   predicted.bin             those images' predicted vectors (embedding head; P x targetDim, float32 LE);
//   reference-features.bin    optional: the references' raw features (R x featureDim), for a tagger that votes by look;
//   copies.bin                optional: every image above (references, then predicted) by its 256-bit perceptual
//                             hash (8 uint32 LE each): a copy of one of them is answered with it first;
//   extractor/model.json,     optional (--with-extractor): the base network itself, so that the file runs where
//   extractor/weights.bin     simage is not installed; the manifest names it by id and SHA-256 either way.
// Pure (no DOM): the app and Node read and write it alike. Validation is strict, so a damaged, foreign or hostile
// file is refused with a sentence and changes nothing.
import { BlobReader, BlobWriter, TextReader, Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter, configure } from '@zip.js/zip.js';
import { contentHash } from '../hash';
import { ModelFileError } from '../errors';
import { readVersion2, type CollectionRecord, type ExtractorRecord, type PreprocessRecord, type Version2Parts } from './model-collection';

export { ModelFileError };
export type { CollectionRecord, ExtractorRecord, PreprocessRecord };
import type { Calibration } from './hubness';
import type { TagMethod } from './tagging';
import { FEATURE_LAYERS, HEADS, TARGET_SPACES, type FeatureLayer, type HeadKind, type TargetSpace } from './train-settings';

configure({ useWebWorkers: false });

export const MODEL_FORMAT = 'simage-model';
export const MODEL_FORMAT_VERSION = 2;
/** Versions this code reads: version 1 files (no collection, no extractor record) still import into the page. */
export const READABLE_VERSIONS = [1, 2];
/** Limits that keep a hostile file from exhausting memory before it is refused. */
export const LIMITS = { references: 2_000_000, vocabulary: 1_000_000, string: 512, fileBytes: 2 ** 31 - 1, units: 4096 * 4096 };

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  version: number;
  head: HeadKind;
  layer: FeatureLayer;
  target: TargetSpace;
  k: number;
  featureModelId: string;
  featureDim: number;
  /** Size of a reference vector (embedding head), 0 for 'sets'. */
  targetDim: number;
  shard: { id: string; name: string; labelsHash: string };
  /** ImageIDs of the references, in the order of the net's outputs (sets) or of references.bin (embedding). */
  references: string[];
  /** The label vocabulary (LabelName) of the shard's labelled images. */
  vocabulary: string[];
  embedding: { key: string; layout: string; components: number; perplexity: number; iterations: number; k: number; seed: number };
  training: { epochs: number; bestEpoch: number; validationScore: number; settings: Record<string, unknown> };
  files: Record<string, string>;
  createdAt: string;
  /** Present when label-space.bin is: its width. */
  labelSpace?: { components: number };
  /** How the model tags images (tagging.ts), chosen on the selection queries. */
  tagger?: { method: TagMethod; k: number; alpha?: number; weighting?: 'cosine' | 'softmax' };
  /** What the epoch was chosen on. */
  selection?: { kind: 'holdout' | 'validation'; size: number };
  /** How images placed by prediction are calibrated against references (hubness.ts; absent: not at all). */
  calibration?: Calibration;
  /** How strongly a minus word pushes a query away (tagging.ts composeQuery; absent: the default). */
  minusStrength?: number;
  /** Version 2: the base network the features come from. */
  extractor?: ExtractorRecord;
  /** Version 2: how an image becomes the base network's input. */
  preprocess?: PreprocessRecord;
  /** Version 2: what collection.json and predicted.bin hold. */
  collection?: { predicted: number; heldOut: number; referenceFeatures: boolean; copies?: 'phash-256' };
}

/** The parts of a model file; a version-2 file's extra entries as model-collection.ts reads them. */
export interface ModelFileParts extends Partial<Version2Parts> {
  manifest: ModelManifest;
  modelJson: {
    modelTopology: unknown;
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
  };
  weights: Uint8Array;
  references: Uint8Array | null;
  labelSpace?: Uint8Array | null;
}

const enc = new TextEncoder();

/** Writes the parts as one zip; the manifest's checksums are filled in here. */
export async function packModelFile(parts: Omit<ModelFileParts, 'manifest'> & { manifest: Omit<ModelManifest, 'files'> }): Promise<Blob> {
  const modelJsonBytes = enc.encode(JSON.stringify(parts.modelJson));
  const files: Record<string, string> = {
    'model.json': await contentHash(modelJsonBytes),
    'weights.bin': await contentHash(parts.weights),
  };
  if (parts.references) files['references.bin'] = await contentHash(parts.references);
  if (parts.labelSpace) files['label-space.bin'] = await contentHash(parts.labelSpace);
  const extra: [string, Uint8Array, number][] = [];
  if (parts.collection) extra.push(['collection.json', enc.encode(JSON.stringify(parts.collection)), 6]);
  if (parts.predicted) extra.push(['predicted.bin', parts.predicted, 0]);
  if (parts.referenceFeatures) extra.push(['reference-features.bin', parts.referenceFeatures, 0]);
  if (parts.copies) extra.push(['copies.bin', parts.copies, 0]);
  if (parts.extractor) {
    extra.push(['extractor/model.json', enc.encode(JSON.stringify(parts.extractor.modelJson)), 6]);
    extra.push(['extractor/weights.bin', parts.extractor.weights, 0]);
  }
  for (const [name, bytes] of extra) files[name] = await contentHash(bytes);
  const manifest: ModelManifest = { ...parts.manifest, files };
  const writer = new ZipWriter(new BlobWriter('application/zip'));
  await writer.add('manifest.json', new TextReader(JSON.stringify(manifest, null, 1)));
  await writer.add('model.json', new Uint8ArrayReader(modelJsonBytes));
  await writer.add('weights.bin', new Uint8ArrayReader(parts.weights), { level: 0 });
  if (parts.references) await writer.add('references.bin', new Uint8ArrayReader(parts.references), { level: 0 });
  if (parts.labelSpace) await writer.add('label-space.bin', new Uint8ArrayReader(parts.labelSpace), { level: 0 });
  for (const [name, bytes, level] of extra) await writer.add(name, new Uint8ArrayReader(bytes), { level });
  return writer.close();
}

const isString = (v: unknown, max = LIMITS.string): v is string => typeof v === 'string' && v.length <= max;
const isCount = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;

/** Checks the manifest's shape and ranges; returns it typed or throws a ModelFileError saying what is wrong. */
export function validateManifest(raw: unknown): ModelManifest {
  const fail = (what: string): never => {
    throw new ModelFileError(`This is not a usable simage model file: ${what}.`);
  };
  if (!raw || typeof raw !== 'object') fail('manifest.json is not an object');
  const m = raw as Record<string, unknown>;
  if (m.format !== MODEL_FORMAT) fail('manifest.json does not name the simage model format');
  if (!READABLE_VERSIONS.includes(m.version as number))
    fail(
      `format version ${String(m.version).slice(0, 20)} is not one this simage reads (${READABLE_VERSIONS.join(' or ')}); a newer simage wrote it`,
    );
  if (!HEADS.includes(m.head as HeadKind)) fail('unknown head');
  if (!FEATURE_LAYERS.includes(m.layer as FeatureLayer)) fail('unknown feature layer');
  if (!TARGET_SPACES.includes(m.target as TargetSpace)) fail('unknown target space');
  if (!isCount(m.k, 10_000) || (m.k as number) < 1) fail('k is out of range');
  if (!isString(m.featureModelId)) fail('the feature model id is missing');
  if (!isCount(m.featureDim, 65_536) || (m.featureDim as number) < 1) fail('the feature size is out of range');
  if (!isCount(m.targetDim, 4096)) fail('the reference vector size is out of range');
  const shard = m.shard as Record<string, unknown> | undefined;
  if (!shard || !isString(shard.id, 4096) || !isString(shard.name) || !isString(shard.labelsHash, 128))
    fail('the collection it was made for is not named');
  if (
    !Array.isArray(m.references) ||
    m.references.length === 0 ||
    m.references.length > LIMITS.references ||
    !m.references.every((s) => isString(s))
  )
    fail('the reference list is missing, too long or holds non-text');
  if (!Array.isArray(m.vocabulary) || m.vocabulary.length > LIMITS.vocabulary || !m.vocabulary.every((s) => isString(s)))
    fail('the label vocabulary is malformed');
  const files = m.files as Record<string, unknown> | undefined;
  if (!files || !isString(files['model.json'], 64) || !isString(files['weights.bin'], 64)) fail('checksums are missing');
  if (m.head === 'embedding' && !isString(files!['references.bin'], 64)) fail('the embedding head has no reference vectors');
  if (!m.embedding || typeof m.embedding !== 'object' || !m.training || typeof m.training !== 'object')
    fail('the embedding or training record is missing');
  const cal = m.calibration as Record<string, unknown> | undefined;
  if (
    cal !== undefined &&
    !(
      cal &&
      cal.method === 'csls' &&
      typeof cal.beta === 'number' &&
      cal.beta >= 0 &&
      cal.beta <= 4 &&
      isCount(cal.k, 1000) &&
      (cal.spread === undefined || typeof cal.spread === 'boolean')
    )
  )
    fail('its calibration is of a kind this simage does not read');
  if (m.minusStrength !== undefined && !(typeof m.minusStrength === 'number' && m.minusStrength >= 0 && m.minusStrength <= 4))
    fail('its minus-word strength is out of range');
  if ((m.version as number) >= 2) {
    const x = m.extractor as Record<string, unknown> | undefined;
    if (
      !x ||
      !isString(x.name, 64) ||
      !isString(x.modelId) ||
      !isString(x.layerName, 128) ||
      !/^[0-9a-f]{64}$/.test(String(x.weightsSha256))
    )
      fail('the base network is not named (extractor)');
    const p = m.preprocess as Record<string, unknown> | undefined;
    if (!p || !isCount(p.inputPx, 1024) || (p.inputPx as number) < 16 || p.resize !== 'stretch') fail('the preprocessing is not described');
    const c = m.collection as Record<string, unknown> | undefined;
    if (!c || !isCount(c.predicted, LIMITS.references) || !isCount(c.heldOut, LIMITS.references)) fail('the collection record is missing');
    if (!isString(files!['collection.json'], 64)) fail('collection.json is not listed');
    if (m.head === 'embedding' && !isString(files!['predicted.bin'], 64)) fail('predicted.bin is not listed');
    if (c!.copies !== undefined && c!.copies !== 'phash-256') fail('its copy index is of a kind this simage does not read');
    if (c!.copies !== undefined && !isString(files!['copies.bin'], 64)) fail('copies.bin is not listed');
    if (x!.embedded === true && !(isString(files!['extractor/model.json'], 64) && isString(files!['extractor/weights.bin'], 64)))
      fail('the embedded base network is not listed');
  }
  return m as unknown as ModelManifest;
}

async function entryBytes(
  entries: Map<string, { getData?: (w: Uint8ArrayWriter) => Promise<Uint8Array>; uncompressedSize: number }>,
  name: string,
  required: boolean,
): Promise<Uint8Array | null> {
  const entry = entries.get(name);
  if (!entry?.getData) {
    if (required) throw new ModelFileError(`This is not a usable simage model file: ${name} is missing.`);
    return null;
  }
  if (entry.uncompressedSize > LIMITS.fileBytes) throw new ModelFileError(`This is not a usable simage model file: ${name} is too large.`);
  try {
    return await entry.getData(new Uint8ArrayWriter());
  } catch {
    throw new ModelFileError(`The model file is damaged: ${name} cannot be read (truncated or corrupt).`);
  }
}

/** Reads and checks a model file: structure, checksums, and that the net's shapes agree with the manifest. */
export async function unpackModelFile(file: Blob): Promise<ModelFileParts> {
  let entries;
  try {
    entries = await new ZipReader(new BlobReader(file)).getEntries();
  } catch {
    throw new ModelFileError('The model file is damaged or not a zip file (it may be truncated).');
  }
  const byName = new Map(entries.filter((e) => !e.directory).map((e) => [e.filename, e as never]));
  const manifestBytes = await entryBytes(byName, 'manifest.json', true);
  let manifestRaw: unknown;
  try {
    manifestRaw = JSON.parse(new TextDecoder().decode(manifestBytes!));
  } catch {
    throw new ModelFileError('This is not a usable simage model file: manifest.json is not valid JSON.');
  }
  const manifest = validateManifest(manifestRaw);
  const modelJsonBytes = (await entryBytes(byName, 'model.json', true))!;
  const weights = (await entryBytes(byName, 'weights.bin', true))!;
  const references = manifest.head === 'embedding' ? await entryBytes(byName, 'references.bin', true) : null;
  const check = async (name: string, bytes: Uint8Array) => {
    if ((await contentHash(bytes)) !== manifest.files[name])
      throw new ModelFileError(`The model file is damaged: the checksum of ${name} does not match its manifest.`);
  };
  await check('model.json', modelJsonBytes);
  await check('weights.bin', weights);
  if (references) await check('references.bin', references);
  const labelSpace = isString(manifest.files['label-space.bin'], 64) ? await entryBytes(byName, 'label-space.bin', true) : null;
  if (labelSpace) {
    await check('label-space.bin', labelSpace);
    const c = manifest.labelSpace?.components;
    if (!isCount(c, 4096) || labelSpace.length !== 4 * manifest.vocabulary.length * (c as number))
      throw new ModelFileError('This is not a usable simage model file: label-space.bin does not hold one row per label.');
  }
  let modelJson: ModelFileParts['modelJson'];
  try {
    modelJson = JSON.parse(new TextDecoder().decode(modelJsonBytes));
  } catch {
    throw new ModelFileError('This is not a usable simage model file: model.json is not valid JSON.');
  }
  // Shapes: every weight's size must be sane and together they must fill weights.bin exactly; the net's input must
  // be the feature size and its output the reference count (sets) or the vector size (embedding).
  const specs = modelJson?.weightsManifest?.flatMap((g) => g.weights) ?? [];
  let total = 0;
  for (const w of specs) {
    if (w.dtype !== 'float32' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d > 0 && d <= LIMITS.units)) {
      throw new ModelFileError('This is not a usable simage model file: a weight has an unsupported type or shape.');
    }
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (size > LIMITS.units) throw new ModelFileError('This is not a usable simage model file: a weight is oversized.');
    total += 4 * size;
  }
  if (specs.length === 0 || total !== weights.length)
    throw new ModelFileError("This is not a usable simage model file: the weights do not match the net's shapes.");
  const kernels = specs.filter((w) => w.shape.length === 2);
  const first = kernels[0],
    last = kernels.at(-1)!;
  const outputs = manifest.head === 'sets' ? manifest.references.length : manifest.targetDim;
  if (!first || first.shape[0] !== manifest.featureDim || last.shape[1] !== outputs) {
    throw new ModelFileError("This is not a usable simage model file: the net's input or output size does not match its manifest.");
  }
  if (references && references.length !== 4 * manifest.references.length * manifest.targetDim) {
    throw new ModelFileError('This is not a usable simage model file: references.bin does not hold one vector per reference.');
  }
  // Version 2's entries, each read once its checksum is checked.
  const read = async (name: string) => {
    const bytes = (await entryBytes(byName, name, true))!;
    await check(name, bytes);
    return bytes;
  };
  return { manifest, modelJson, weights, references, labelSpace, ...(manifest.version >= 2 ? await readVersion2(read, manifest) : {}) };
}

/** Why a (valid) model cannot serve the current shard and features, or null when it can. */
export function incompatibility(
  manifest: ModelManifest,
  current: { featureModelId: string; shardLabelsHash: string; shardName: string; imageIds: Set<string> },
): string | null {
  if (manifest.featureModelId !== current.featureModelId)
    return `This model was made for other features (${manifest.featureModelId}); the settings' feature model computes ${current.featureModelId}. Choose the model's feature model in Settings (or load its features), then import it again. Nothing was changed.`;
  if (manifest.shard.labelsHash !== current.shardLabelsHash) {
    const missing = manifest.references.filter((id) => !current.imageIds.has(id)).length;
    return `This model was made for another shard ("${manifest.shard.name}"${missing ? `; ${missing} of its ${manifest.references.length} reference images are not in this one` : ', with other labels or splits'}). Load that shard first. Nothing was changed.`;
  }
  return null;
}

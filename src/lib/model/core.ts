// A simage model file, opened with no app around it: image in, ranked images and predicted labels out. The file is
// read and checked by src/lib/retrieval/modelfile.ts (the page's import reads it the same way) and answers through
// src/lib/retrieval/searcher.ts (the page's own query path), so the file answers as the page does. What differs by
// platform (decoding an image, reading the base network when the file does not embed it) comes in as `Platform`:
// node.ts and browser.ts are the two entries.
import * as tf from '@tensorflow/tfjs';
import { contentHash } from '../hash';
import { featureReferences } from '../retrieval/heads';
import { ModelFileError, unpackModelFile, type ModelFileParts, type ModelManifest } from '../retrieval/modelfile';
import { answerImage, answerWords, indexFromFile, type Engine } from '../retrieval/searcher';
import type { Found } from '../retrieval/label-index';
import { DEFAULT_TAGGER, importedRecord, labelSpaceOf, retrieverFrom } from '../retrieval/stored-model';
import type { Rgba } from '../features/resize';
import { CopyHashes } from '../retrieval/copies';
import type { CollectionRecord } from '../retrieval/modelfile';

/** An image: its encoded bytes (JPEG, PNG, WebP; as a file holds them), or pixels already decoded (RGBA). */
export type ImageInput = Uint8Array | ArrayBuffer | Blob | Rgba;

export interface Platform {
  /** From one decode of an image: the base network's input (inputPx x inputPx x 3 floats, as
   *  src/lib/features/preprocess.ts makes it) and its perceptual hash (src/lib/duplicates/phash.ts); null when the
   *  image does not decode. */
  prepare(image: Uint8Array | Rgba, inputPx: number): Promise<{ input: Float32Array; phash: number[] | null } | null>;
  /** The base network's files (model.json and its weights) when the model file does not embed them. */
  extractor(name: string): Promise<{ modelJson: unknown; weights: Uint8Array }>;
}

export interface Neighbour {
  id: string;
  score: number;
  /** The query is a copy of this image (re-encoded, resized): how many of 256 perceptual-hash bits differ. */
  copyBits?: number;
  /** 'labels': placed by its own labels; 'prediction': an unlabelled (or held-out) image placed by the net. */
  by: 'labels' | 'prediction' | 'look';
}
export interface Label {
  /** The label as the collection names it (LabelName: a /m/ id, a COCO category id, a folder name). */
  label: string;
  /** Its display name. */
  name: string;
  score: number;
}
export interface QueryOptions {
  /** How many images (default: the model's k). */
  top?: number;
  plus?: string[];
  minus?: string[];
  /** Also return labelled validation and test images. */
  includeHeldOut?: boolean;
}

export interface OpenedModel {
  manifest: ModelManifest;
  /** The base network's features of an image (the layer the head reads). */
  features(image: ImageInput): Promise<Float32Array>;
  /** Both of the base network's outputs, as the page's feature records hold them (`flatten`, `mixed7` roles). */
  outputs(image: ImageInput): Promise<Record<'flatten' | 'mixed7', Float32Array>>;
  /** The nearest images of the collection to an image (label words, if given, move the query), and its labels. */
  query(image: ImageInput, options?: QueryOptions): Promise<{ neighbours: Neighbour[]; labels: Label[] }>;
  /** The same from features already computed (features()), as the page's dropped image is answered; with the
   *  image's perceptual hash (`phash`), a copy of a collection image gets that image first. */
  queryFeatures(
    x: Float32Array,
    options?: QueryOptions & { phash?: number[] | null },
  ): Promise<{ neighbours: Neighbour[]; labels: Label[] }>;
  /** Predicted labels of an image, best first. */
  tag(image: ImageInput, max?: number): Promise<Label[]>;
  /** Images nearest to label words alone. */
  queryLabels(plus: string[], minus?: string[], options?: Omit<QueryOptions, 'plus' | 'minus'>): Promise<Neighbour[]>;
  dispose(): void;
}

const isRgba = (x: unknown): x is Rgba => !!x && typeof x === 'object' && 'data' in x && 'width' in x && 'height' in x;

async function bytesOf(image: ImageInput): Promise<Uint8Array | Rgba> {
  if (image instanceof Uint8Array) return image;
  if (image instanceof ArrayBuffer) return new Uint8Array(image);
  if (typeof Blob !== 'undefined' && image instanceof Blob) return new Uint8Array(await image.arrayBuffer());
  if (isRgba(image)) return image;
  throw new TypeError('An image is its file bytes (Uint8Array, ArrayBuffer, Blob) or decoded RGBA pixels ({ data, width, height }).');
}

/** The base network of a version-2 file: embedded, or the platform's, which must be the very weights it names. */
async function loadExtractor(parts: ModelFileParts, platform: Platform): Promise<tf.LayersModel> {
  const named = parts.manifest.extractor!;
  const files = parts.extractor ?? (await platform.extractor(named.name));
  const sha = await contentHash(files.weights);
  if (sha !== named.weightsSha256)
    throw new ModelFileError(
      `This model was made with other ${named.name} weights (${named.modelId}, SHA-256 ${named.weightsSha256.slice(0, 12)}…) than the ones here (SHA-256 ${sha.slice(0, 12)}…); its answers would be wrong. Export it again with "with the base network" ticked (--with-extractor), or use the simage version that made it.`,
    );
  const json = files.modelJson as {
    modelTopology: tf.io.ModelJSON['modelTopology'];
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: files.weights.slice().buffer,
      }),
    );
  } catch (err) {
    throw new ModelFileError(`The base network ${named.modelId} cannot be loaded (${(err as Error).message}).`);
  }
}

/** Opens a model file (its bytes) for answering. Version-1 files import into the page but cannot answer alone. */
export async function openWith(file: Uint8Array | ArrayBuffer | Blob, platform: Platform): Promise<OpenedModel> {
  const blob = file instanceof Blob ? file : new Blob([file instanceof Uint8Array ? (file as Uint8Array<ArrayBuffer>) : file]);
  const parts = await unpackModelFile(blob);
  const m = parts.manifest;
  if (m.version < 2 || !parts.collection)
    throw new ModelFileError(
      'This is a version-1 model file: it holds neither the collection nor the base network it was made with, so it cannot answer on its own. It still imports into simage; export it again from there to get a file that stands alone.',
    );
  const record = importedRecord(m.shard.id, parts);
  const retriever = await retrieverFrom(record);
  const extractor = await loadExtractor(parts, platform);
  const px = m.preprocess!.inputPx;
  const refFeatures = parts.referenceFeatures
    ? featureReferences(new Float32Array(parts.referenceFeatures.slice().buffer), m.featureDim)
    : null;
  const index = indexFromFile(
    m,
    parts.collection,
    parts.references ? new Float32Array(parts.references.slice().buffer) : null,
    parts.predicted ? new Float32Array(parts.predicted.slice().buffer) : null,
    labelSpaceOf(record),
    record.tagger ?? DEFAULT_TAGGER,
  );
  const copies = parts.copies ? copyHashesOf(m, parts.collection, parts.copies) : null;
  const engine: Engine = { manifest: m, retriever, index, refFeatures, copies };
  const nameOf = new Map(m.vocabulary.map((l, i) => [l, parts.collection!.displayNames[i]]));

  /** Both outputs of the base network (the `flatten` and `mixed7` roles), as the page's feature records hold them,
   *  and the image's perceptual hash. */
  async function look(image: ImageInput) {
    const prepared = await platform.prepare(await bytesOf(image), px);
    if (!prepared) throw new ModelFileError('The image cannot be read: it does not decode as a JPEG, PNG or WebP image.');
    return { ...(await outputsFor(prepared.input)), phash: prepared.phash };
  }
  const outputsOf = async (image: ImageInput) => {
    const { flatten, mixed7 } = await look(image);
    return { flatten, mixed7 };
  };
  async function outputsFor(input: Float32Array): Promise<Record<'flatten' | 'mixed7', Float32Array>> {
    const outputs = tf.tidy(() => extractor.predict(tf.tensor4d(input, [1, px, px, 3])) as tf.Tensor[]);
    try {
      const [flatten, mixed7] = (await Promise.all(outputs.map((t) => t.data()))) as Float32Array[];
      const x = m.layer === 'flatten' ? flatten : mixed7;
      if (x.length !== m.featureDim)
        throw new ModelFileError(`The base network gives ${x.length} features where the head reads ${m.featureDim}.`);
      return { flatten, mixed7 };
    } finally {
      outputs.forEach((t) => t.dispose());
    }
  }
  const features = async (image: ImageInput) => (await outputsOf(image))[m.layer];
  /** An image from outside: its features, and its hash so that a copy of a collection image finds that image. */
  const ask = async (image: ImageInput, o: QueryOptions = {}) => {
    const f = await look(image);
    return queryFeatures(f[m.layer], { ...o, phash: f.phash });
  };
  const toNeighbours = (found: Found[]): Neighbour[] =>
    found.map((f) => ({ id: f.imageId, score: f.score, by: f.by, ...(f.copyBits === undefined ? {} : { copyBits: f.copyBits }) }));
  async function queryFeatures(x: Float32Array, o: QueryOptions & { phash?: number[] | null } = {}) {
    const r = await answerImage(engine, x, {
      k: o.top ?? m.k,
      plus: o.plus,
      minus: o.minus,
      includeHeldOut: o.includeHeldOut,
      phash: o.phash,
    });
    return {
      neighbours: toNeighbours(r.results),
      labels: r.tags.map((t) => ({ label: t.labelName, name: nameOf.get(t.labelName)!, score: t.score })),
    };
  }
  return {
    manifest: m,
    features,
    outputs: outputsOf,
    queryFeatures,
    query: ask,
    tag: async (image, max = 12) => (await ask(image)).labels.slice(0, max),
    queryLabels: async (plus, minus = [], o = {}) =>
      toNeighbours(answerWords(engine, { k: o.top ?? m.k, plus, minus, includeHeldOut: o.includeHeldOut })),
    dispose: () => {
      retriever.model.dispose();
      retriever.refs?.dispose();
      refFeatures?.dispose();
      extractor.dispose();
    },
  };
}

/** copies.bin as the copy index: references, then the images placed by prediction. */
function copyHashesOf(m: ModelManifest, collection: CollectionRecord, bytes: Uint8Array): CopyHashes {
  const ids = [...m.references, ...collection.predicted];
  const known = new Uint8Array(ids.length).fill(1);
  for (const i of collection.unhashed ?? []) known[i] = 0;
  return new CopyHashes(ids, new Uint32Array(bytes.slice().buffer), known);
}

// How a trained model answers: an image's features to ranked images and predicted labels, and label words to
// ranked images. One code path for the training worker (the page) and the model file's library (src/lib/model:
// `npm run query`, any page), so that the file answers as the page does. The net runs on the current tf backend;
// the ranking over the collection is the pure LabelIndex.
import type * as tf from '@tensorflow/tfjs';
import { ShardError } from '../errors';
import { cosineRank, predictVectors, rank, type Retriever } from './heads';
import { LabelIndex, type Found, type IndexImage, type Neighbourhood, type PredictedTag } from './label-index';
import type { CollectionRecord, ModelManifest } from './modelfile';
import { composeQuery, VOTE_KS, type LabelSpace, type Tagger } from './tagging';
import type { CopyHashes } from './copies';

/** What answers: the net, the collection in label space and (for a tagger that votes by look) the references'
 *  raw features as unit rows (featureReferences). */
export interface Engine {
  manifest: Pick<ModelManifest, 'head' | 'target' | 'references'>;
  retriever: Retriever;
  index: LabelIndex;
  refFeatures: tf.Tensor2D | null;
  /** Every image the index returns, by its perceptual hash: a copy of one is answered with it first (copies.ts). */
  copies?: CopyHashes | null;
}

export interface Ask {
  k: number;
  plus?: string[];
  minus?: string[];
  /** Also return labelled validation and test images (placed by prediction). */
  includeHeldOut?: boolean;
  /** The query is this image of the collection: it is not returned, and its own labels are marked in the tags. */
  imageId?: string | null;
  /** An image from outside: its perceptual hash, so that a copy of a collection image gets that image first. */
  phash?: ArrayLike<number> | null;
}

/** Label names to vocabulary columns; a name no reference carries is refused with a sentence. */
export function columnsOf(index: LabelIndex, names: string[] | undefined): number[] {
  return (names ?? []).map((name) => {
    const col = index.colOf.get(name);
    if (col === undefined)
      throw new ShardError(`No training image carries the label "${name}", so the model cannot place it; choose a label from the list.`);
    return col;
  });
}

function wordsAllowed(e: Engine) {
  const m = e.manifest;
  if (!(e.index.space && m.head === 'embedding' && m.target === 'svd'))
    throw new ShardError(
      "Searching by label words needs a model trained with the 'embedding' head on the 'svd' target; change the head in Settings and train again.",
    );
}

/** Images nearest to label words alone (plus words pull, minus words push). */
export function answerWords(e: Engine, ask: Ask): Found[] {
  const plus = columnsOf(e.index, ask.plus);
  const minus = columnsOf(e.index, ask.minus);
  wordsAllowed(e);
  if (plus.length + minus.length === 0) throw new ShardError('Name at least one label to search for.');
  return e.index.search(composeQuery(e.index.space!, null, plus, minus, e.index.minusStrength), ask.k, ask.includeHeldOut ?? false);
}

/** Neighbourhoods of n images: the net's rankings given, plus their raw-feature neighbours when the engine has them. */
export async function neighbourhoods(
  e: Engine,
  x: Float32Array,
  n: number,
  vectors: (Float32Array | null)[],
  lists: Int32Array[],
  scores: Float32Array[],
): Promise<Neighbourhood[]> {
  const featureScores: Float32Array[] = [];
  const featureLists = e.refFeatures ? await cosineRank(e.refFeatures, x, n, Math.max(...VOTE_KS) + 1, 256, featureScores) : null;
  return lists.map((neighbours, i) => ({
    neighbours,
    scores: scores[i],
    vector: vectors[i],
    featureNeighbours: featureLists?.[i],
    featureScores: featureScores[i],
  }));
}

/** An image (its features of the model's layer) to the k nearest images and its predicted labels; label words, if
 *  any, move the query in label space. */
export async function answerImage(e: Engine, x: Float32Array, ask: Ask): Promise<{ results: Found[]; tags: PredictedTag[] }> {
  const plus = columnsOf(e.index, ask.plus);
  const minus = columnsOf(e.index, ask.minus);
  const withWords = plus.length + minus.length > 0;
  if (withWords) wordsAllowed(e);
  const includeHeldOut = ask.includeHeldOut ?? false;
  const imageId = ask.imageId ?? null;
  const scores: Float32Array[] = [];
  const [top] = await rank(e.retriever, x, 1, Math.max(ask.k, Math.max(...VOTE_KS)) + 1, 1, scores);
  const vector = e.manifest.head === 'embedding' ? await predictVectors(e.retriever, x, 1) : null;
  const near = await neighbourhoods(e, x, 1, [vector], [top], scores);
  const tags = e.index.tags(near[0], imageId);
  let results: Found[];
  if (withWords)
    results = e.index.search(
      composeQuery(e.index.space!, vector, plus, minus, e.index.minusStrength),
      ask.k,
      includeHeldOut,
      imageId ?? undefined,
    );
  else if (vector && e.index.refVectors && e.manifest.target === 'svd')
    // The references by their label vectors (the net's own cosine ranking), calibrated with the predicted images.
    results = e.index.search(vector, ask.k, includeHeldOut, imageId ?? undefined);
  else {
    const refs = Array.from(top, (j, i) => ({ imageId: e.manifest.references[j], score: scores[0][i] }));
    results = e.index.withPredicted(refs, vector, ask.k, includeHeldOut, imageId ?? undefined);
  }
  return { results: copyFirst(e, results, ask, includeHeldOut), tags };
}

/** A query that is a copy of a collection image (copies.ts) gets that image first, marked; a held-out original only
 *  when held-out images are asked for. Its score is the list's best, so the list stays in score order. */
function copyFirst(e: Engine, results: Found[], ask: Ask, includeHeldOut: boolean): Found[] {
  if (!e.copies || !ask.phash || ask.imageId || results.length === 0) return results;
  const copy = e.copies.copyOf(ask.phash);
  if (!copy) return results;
  const isRef = e.index.refPos.has(copy.imageId);
  const p = e.index.predicted;
  const at = p ? p.ids.indexOf(copy.imageId) : -1;
  if (!isRef && !(at >= 0 && (includeHeldOut || !p!.heldOut[at]))) return results;
  const own = results.find((f) => f.imageId === copy.imageId);
  const first: Found = {
    imageId: copy.imageId,
    score: Math.max(own?.score ?? -Infinity, results[0].score),
    by: isRef ? 'labels' : 'prediction',
    copyBits: copy.bits,
  };
  return [first, ...results.filter((f) => f.imageId !== copy.imageId)].slice(0, ask.k);
}

/** The collection in label space for a model: its references (their vectors as the model ranks them) among `images`. */
export function modelIndex(
  m: Pick<ModelManifest, 'references' | 'vocabulary' | 'head' | 'target' | 'targetDim' | 'calibration' | 'minusStrength'>,
  images: IndexImage[],
  refVectors: Float32Array | null,
  space: LabelSpace | null,
  tagger: Tagger,
): LabelIndex {
  const target = m.head === 'sets' ? 'sets' : m.target;
  const index = new LabelIndex(m.references, m.vocabulary, images, target, refVectors, m.targetDim, space, tagger, m.calibration ?? null);
  if (m.minusStrength !== undefined) index.minusStrength = m.minusStrength;
  return index;
}

/** What a model file's collection record makes of the index: the references with their labels, the other images
 *  at the vectors the page predicted for them. */
export function indexFromFile(
  manifest: ModelManifest,
  collection: CollectionRecord,
  /** references.bin (embedding head): the references' vectors as ranked. */
  refVectors: Float32Array | null,
  predicted: Float32Array | null,
  space: LabelSpace | null,
  tagger: Tagger,
): LabelIndex {
  const { rowPtr, colIdx, values } = collection.referenceLabels;
  const images: IndexImage[] = manifest.references.map((imageId, r) => ({
    imageId,
    hash: '',
    split: 'train',
    labels: colIdx
      .slice(rowPtr[r], rowPtr[r + 1])
      .map((c, i) => ({ labelName: manifest.vocabulary[c], confidence: values[rowPtr[r] + i] })),
  }));
  for (const imageId of collection.predicted) images.push({ imageId, hash: '', split: 'unlabelled', labels: [] });
  const index = modelIndex(manifest, images, refVectors, space, tagger);
  if (predicted) {
    const heldOut = new Uint8Array(collection.predicted.length);
    for (const i of collection.heldOut) heldOut[i] = 1;
    index.setPredicted(collection.predicted, predicted, heldOut);
  }
  return index;
}

/** The collection record of an index (what a version-2 model file keeps of it), with the labels' display names. */
export function collectionOf(index: LabelIndex, classes: Map<string, string>): CollectionRecord {
  const csr = index.refLabels;
  const p = index.predicted;
  return {
    referenceLabels: { rowPtr: Array.from(csr.rowPtr), colIdx: Array.from(csr.colIdx), values: Array.from(csr.values) },
    predicted: p ? p.ids : [],
    heldOut: p ? [...p.heldOut.keys()].filter((i) => p.heldOut[i]) : [],
    displayNames: index.vocabulary.map((l) => classes.get(l) ?? l),
  };
}

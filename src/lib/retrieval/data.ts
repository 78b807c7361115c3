// Turns a shard's cached records into the retrieval task and training data. Pure.
// References are the training images of the label embedding that have features (the 2017 net's R outputs).
// Honest model selection: the epoch (and the tagger, tagging.ts) is chosen on queries that the reported figures
// never use. When the shard has labelled `test` images, selection uses the `validation` split and the report the
// `test` split. Otherwise a seeded hold-out of the training images is kept out of training and chosen on, and the
// report uses the `validation` split. The hold-out images stay references of the finished 'embedding' model (they
// are indexed by their own labels, which the net never needed); the 'sets' head has one output per trained image,
// so its references are the trained images alone.
import { buildLabelMatrix } from '../embedding/run';
import type { CsrMatrix } from '../sparse';
import { seededRandom } from '../random';
import { embeddingTargets, type TargetSpace, type TrainData } from './heads';
import type { RetrievalTask } from './metrics';
import type { HeadKind } from './train-settings';

export interface TaskImage {
  imageId: string;
  hash: string;
  split: string;
  labels: { labelName: string; confidence: number }[];
}

export interface TaskEmbedding {
  imageIds: string[];
  trainIndex: Int32Array;
  similar: Int32Array;
  k: number;
  svd: Float32Array;
  components: number;
  layout: Float32Array;
}

export type SelectionKind = 'holdout' | 'validation';

/** What the reported evaluation runs on: the final references and the queries no choice was made on. */
export interface EvaluationData {
  dim: number;
  refX: Float32Array;
  queryX: Float32Array;
  task: RetrievalTask;
}

export interface AssembledTask {
  /** Training data; its `valX`/`task` are the selection queries against the trained references. */
  data: TrainData;
  /** The finished model's references (trained images, then the hold-out for the 'embedding' head). */
  refIds: string[];
  /** The reported queries (labelled `validation` images, or `test` when the shard has them). */
  queryIds: string[];
  /** The shard's labelled query images (validation, or test): more than queryIds when those are a sample. */
  queriesTotal: number;
  querySplit: 'validation' | 'test';
  vocabulary: string[];
  /** Raw label-embedding vectors of the final references (what references.bin holds, before target scaling). */
  refVectors: Float32Array;
  /** The final references' targets (unit SVD rows or scaled layout), as the finished 'embedding' model ranks them. */
  refTargets: Float32Array;
  evaluation: EvaluationData;
  selection: { kind: SelectionKind; size: number; ids: string[] };
  /** One label matrix over every image above: trained references, hold-out, reported queries, selection queries. */
  labels: CsrMatrix;
  /** Row in `labels` of each final reference. */
  refRows: Int32Array;
}

export interface AssembleOptions {
  head?: HeadKind;
  seed?: number;
  /** Hold-out size; default: holdoutSize(references). */
  holdout?: number;
}

/** The hold-out for selection: a tenth of the references, at least 25 (but at most a fifth), at most 2,000; none
 *  below 10 references. */
export function holdoutSize(references: number): number {
  if (references < 10) return 0;
  return Math.min(2000, Math.max(Math.round(references / 10), Math.min(25, Math.floor(references / 5))));
}

/** At most this many reported queries are evaluated; more are sampled (seeded) down to it. */
export const MAX_EVAL_QUERIES = 2000;

/** A seeded choice of `h` of `n` positions (sorted). */
export function choosePositions(n: number, h: number, seed: number): Set<number> {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed * 7919 + 13);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return new Set(Array.from(order.subarray(0, h)));
}

export function assembleTask(
  images: TaskImage[],
  emb: TaskEmbedding,
  features: Map<string, Float32Array>,
  dim: number,
  target: TargetSpace,
  options: AssembleOptions = {},
): AssembledTask {
  const head = options.head ?? 'embedding';
  const seed = options.seed ?? 1;
  const byId = new Map(images.map((im) => [im.imageId, im]));
  const labelled = (split: string) =>
    images.filter((im) => im.split === split && im.labels.some((l) => l.confidence > 0) && features.has(im.hash));
  // Candidate references: embedding training rows with features.
  const candidates: number[] = [];
  for (const row of emb.trainIndex) {
    const im = byId.get(emb.imageIds[row]);
    if (im && features.has(im.hash)) candidates.push(row);
  }
  const tests = labelled('test');
  const validation = labelled('validation');
  const useTest = tests.length > 0 && validation.length > 0;
  const h = useTest ? 0 : Math.min(options.holdout ?? holdoutSize(candidates.length), Math.max(candidates.length - 2, 0));
  const held = choosePositions(candidates.length, h, seed);
  const fitRows = candidates.filter((_, i) => !held.has(i));
  const holdRows = candidates.filter((_, i) => held.has(i));
  const f = fitRows.length;
  const finalRows = head === 'sets' ? fitRows : [...fitRows, ...holdRows];

  const featuresOf = (ims: TaskImage[]) => {
    const x = new Float32Array(ims.length * dim);
    ims.forEach((im, i) => x.set(features.get(im.hash)!, i * dim));
    return x;
  };
  const imageOfRow = (row: number) => byId.get(emb.imageIds[row])!;
  const fitImages = fitRows.map(imageOfRow);
  const holdImages = holdRows.map(imageOfRow);
  // The reported queries: all of them up to MAX_EVAL_QUERIES, else a seeded sample of that many (the report says
  // so): at 100,000 images the 10,000 validation queries took ten minutes to evaluate.
  const allQueries = useTest ? tests : validation;
  const sampled = allQueries.length > MAX_EVAL_QUERIES ? choosePositions(allQueries.length, MAX_EVAL_QUERIES, seed + 101) : null;
  const queries = sampled ? allQueries.filter((_, i) => sampled.has(i)) : allQueries;
  const selectionQueries = useTest ? validation : h > 0 ? holdImages : validation;
  const selectionKind: SelectionKind = useTest || h === 0 ? 'validation' : 'holdout';

  // Similar sets, as positions among the trained references (-1 where a similar image is not one of them).
  const fitPosOfRow = new Map(fitRows.map((row, j) => [row, j]));
  const setOfRow = new Map<number, number>();
  emb.trainIndex.forEach((row, j) => setOfRow.set(row, j));
  const sets = new Int32Array(f * emb.k).fill(-1);
  fitRows.forEach((row, j) => {
    const s = setOfRow.get(row)!;
    for (let t = 0; t < emb.k; t++) sets[j * emb.k + t] = fitPosOfRow.get(emb.similar[s * emb.k + t]) ?? -1;
  });
  const vdim = target === 'svd' ? emb.components : 2;
  const source = target === 'svd' ? emb.svd : emb.layout;
  const vectorsOf = (rows: number[]) => {
    const v = new Float32Array(rows.length * vdim);
    rows.forEach((row, j) => v.set(source.subarray(row * vdim, (row + 1) * vdim), j * vdim));
    return v;
  };
  const finalVectors = vectorsOf(finalRows);
  const finalTargets = embeddingTargets(finalVectors, vdim, target);
  // 'layout' targets are scaled over the reference set; the trained part uses the same scaling as the whole.
  const fitTargets = finalTargets.slice(0, f * vdim);

  // One label matrix: trained references, hold-out, reported queries, then selection queries if they differ.
  const rowsImages = [...fitImages, ...holdImages, ...queries, ...(selectionKind === 'validation' && useTest ? validation : [])];
  const { matrix: labels, vocabulary } = buildLabelMatrix({
    imageIds: rowsImages.map((im) => im.imageId),
    labels: rowsImages.map((im) => im.labels),
    train: [],
  });
  const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
  const holdStart = f;
  const queryStart = f + holdImages.length;
  const selStart = queryStart + queries.length;
  const selectionQueryRows =
    selectionKind === 'holdout'
      ? range(holdStart, holdImages.length)
      : useTest
        ? range(selStart, validation.length)
        : range(queryStart, queries.length);
  const refRows = range(0, finalRows.length);

  // The final references are the trained images first, then the hold-out: the training rows are a view of the
  // references' features, not a second copy (at 100,000 images each copy is 300 MB).
  const finalImages = finalRows.map(imageOfRow);
  const refX = featuresOf(finalImages);
  const data: TrainData = {
    dim,
    trainX: refX.subarray(0, f * dim),
    sets,
    setK: emb.k,
    targets: fitTargets,
    targetDim: vdim,
    valX: featuresOf(selectionQueries),
    task: { labels, refRows: range(0, f), queryRows: selectionQueryRows },
  };
  return {
    data,
    refIds: finalImages.map((im) => im.imageId),
    queryIds: queries.map((im) => im.imageId),
    queriesTotal: allQueries.length,
    querySplit: useTest ? 'test' : 'validation',
    vocabulary,
    refVectors: finalVectors,
    refTargets: finalTargets,
    evaluation: {
      dim,
      refX,
      queryX: featuresOf(queries),
      task: { labels, refRows, queryRows: range(queryStart, queries.length) },
    },
    selection: { kind: selectionKind, size: selectionQueries.length, ids: selectionQueries.map((im) => im.imageId) },
    labels,
    refRows,
  };
}

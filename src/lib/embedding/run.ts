// The label-embedding stage as one step-wise run (a generator), so the worker can report progress, animate the
// map and stop between steps. Pure. 2017 system: label matrix -> TruncatedSVD(50) -> 2-D t-SNE -> for each
// training image its k nearest training images in the plane = its "truly similar" set. Identical label rows are
// embedded once and expanded after (they share a position, and so lead each other's similar sets).
import { csrFromRows, dedupeRows, type CsrMatrix } from '../sparse';
import { randomizedSvd } from './svd';
import { densePca } from './pca';
import { spreadIdentical } from './spread';
import { normalizeRows } from '../vector';
import { exactKnn, nnDescent, type KnnGraph } from './nndescent';
import { perplexityAffinities } from './affinities';
import { BarnesHutTsne, pcaInit } from './tsne';
import { knn2d, knnCosineExact } from './knn';
import { meanRetrievalScore } from './score';
import { seededRandom } from '../random';

export type LayoutMethod = 'tsne' | 'umap' | 'svd';

/** NN-descent rounds for the t-SNE input graph: measured on 10,000 synthetic label rows (k = 90), 6 rounds found
 *  95% of the true neighbours and 12 rounds 99.6% at twice the time; 7 is the compromise. */
export const TSNE_KNN_ROUNDS = 7;
export const LAYOUTS: readonly LayoutMethod[] = ['tsne', 'umap', 'svd'];

export interface EmbeddingSettings {
  layout: LayoutMethod;
  /** Size of each similar set (the number of images retrieved: 60 or 100 in 2017). */
  k: number;
  components: number;
  perplexity: number;
  iterations: number;
  umapNeighbours: number;
  seed: number;
}

export const DEFAULT_EMBEDDING: EmbeddingSettings = {
  layout: 'tsne',
  k: 100,
  components: 50,
  perplexity: 30,
  iterations: 1000,
  umapNeighbours: 15,
  seed: 1,
};

/** A stable key of the settings that change the result (the cache key beside the shard id). */
export function embeddingKey(s: EmbeddingSettings): string {
  // v4: identical label rows spread on the map (spread.ts).
  const parts = [`v4`, s.layout, `k${s.k}`, `c${s.components}`, `seed${s.seed}`];
  if (s.layout === 'tsne') parts.push(`p${s.perplexity}`, `it${s.iterations}`);
  if (s.layout === 'umap') parts.push(`nn${s.umapNeighbours}`);
  return parts.join('/');
}

export interface EmbeddingInput {
  /** Every image with at least one positive label; `train[i]` says whether image i is a training image. */
  imageIds: string[];
  labels: { labelName: string; confidence: number }[][];
  train: boolean[];
}

export interface EmbeddingEvent {
  stage: 'svd' | 'pca' | 'knn' | 'tsne' | 'umap' | 'sets';
  done: number;
  total: number;
  kl?: number;
  /** Current layout of all input images (n x 2), sent every few iterations for the animated map. */
  layout?: Float32Array;
}

export interface EmbeddingResult {
  imageIds: string[];
  /** n x 2, the map (for 'svd', the top two principal components of the 50-d space). */
  layout: Float32Array;
  /** Indices (into imageIds) of the training images, in order; similar sets refer to these. */
  trainIndex: Int32Array;
  /** trainIndex.length x k, indices into imageIds of each training image's similar set, nearest first. */
  similar: Int32Array;
  k: number;
  similarSetScore: number;
  /** n x components: each image's row in the SVD space (the 'embedding' head's target). */
  svd: Float32Array;
  components: number;
  /** The label space's columns (LabelName, in label-matrix order) and each one's row of V (vocabulary x
   *  components): an image's SVD row is its label vector times V, and V^T maps a row back to labels. */
  vocabulary: string[];
  basis: Float32Array;
  kl: number | null;
  uniqueRows: number;
  timingsMs: { svd: number; layout: number; sets: number };
}

/** Something that runs UMAP step by step (umap-js in the app; injected to keep this module free of it). */
export interface UmapRunner {
  initializeFit(data: number[][]): number;
  step(): number;
  getEmbedding(): number[][];
}

export function buildLabelMatrix(input: EmbeddingInput): { matrix: CsrMatrix; vocabulary: string[] } {
  const vocabulary: string[] = [];
  const colOf = new Map<string, number>();
  const rows = input.labels.map((ls) =>
    ls.map((l) => {
      let c = colOf.get(l.labelName);
      if (c === undefined) {
        c = vocabulary.length;
        vocabulary.push(l.labelName);
        colOf.set(l.labelName, c);
      }
      return { col: c, value: l.confidence };
    }),
  );
  return { matrix: csrFromRows(rows, vocabulary.length), vocabulary };
}

function expand(unique: Float32Array, groupOf: Int32Array, dim: number): Float32Array {
  const out = new Float32Array(groupOf.length * dim);
  for (let i = 0; i < groupOf.length; i++) out.set(unique.subarray(groupOf[i] * dim, (groupOf[i] + 1) * dim), i * dim);
  return out;
}

export function* runEmbedding(
  input: EmbeddingInput,
  settings: EmbeddingSettings,
  makeUmap?: (random: () => number) => UmapRunner,
): Generator<EmbeddingEvent, EmbeddingResult> {
  const n = input.imageIds.length;
  if (n < 3) throw new Error('The label embedding needs at least 3 labelled images.');
  const { matrix, vocabulary } = buildLabelMatrix(input);
  const { unique, groupOf } = dedupeRows(matrix);
  const u = unique.rows;

  yield { stage: 'svd', done: 0, total: 1 };
  let t0 = performance.now();
  const components = Math.max(2, Math.min(settings.components, unique.cols, u));
  const svd = randomizedSvd(unique, { components, seed: settings.seed });
  const svdMs = performance.now() - t0;
  const dim = svd.components;
  yield { stage: 'svd', done: 1, total: 1 };

  t0 = performance.now();
  const { layout: uniqueLayout, kl } = yield* layoutRows(svd.embedding, u, dim, settings, groupOf, makeUmap);
  const layoutMs = performance.now() - t0;
  const layout = expand(uniqueLayout, groupOf, 2);

  t0 = performance.now();
  yield { stage: 'sets', done: 0, total: 1 };
  const trainIndex = Int32Array.from(input.train.flatMap((t, i) => (t ? [i] : [])));
  const k = Math.min(settings.k, Math.max(trainIndex.length - 1, 0));
  let similar: Int32Array;
  if (settings.layout === 'svd') {
    const full = expand(svd.embedding, groupOf, dim);
    if (trainIndex.length <= 6000) similar = knnCosineExact(full, dim, trainIndex, k);
    else {
      // Cosine = Euclidean on unit vectors: NN-descent over the normalized training rows.
      const normed = new Float32Array(trainIndex.length * dim);
      trainIndex.forEach((row, j) => {
        let s = 0;
        for (let d = 0; d < dim; d++) s += full[row * dim + d] ** 2;
        const norm = Math.sqrt(s) || 1;
        for (let d = 0; d < dim; d++) normed[j * dim + d] = full[row * dim + d] / norm;
      });
      const g = nnDescent(normed, trainIndex.length, dim, k, { random: seededRandom(settings.seed + 1) });
      similar = g.indices.map((j) => trainIndex[j]);
    }
  } else similar = knn2d(layout, trainIndex, k);
  const setsMs = performance.now() - t0;
  const lists = Array.from({ length: trainIndex.length }, (_, j) => similar.subarray(j * k, (j + 1) * k));
  const similarSetScore = meanRetrievalScore(matrix, trainIndex, lists);
  yield { stage: 'sets', done: 1, total: 1 };
  return {
    imageIds: input.imageIds,
    // The map spreads images with identical label rows around their point (spread.ts); the similar sets above were
    // found on the shared points, where such images are exactly alike.
    layout: u < n ? spreadIdentical(uniqueLayout, groupOf) : layout,
    trainIndex,
    similar,
    k,
    similarSetScore,
    svd: expand(svd.embedding, groupOf, dim),
    components: dim,
    vocabulary,
    basis: Float32Array.from(svd.v),
    kl,
    uniqueRows: u,
    timingsMs: { svd: svdMs, layout: layoutMs, sets: setsMs },
  };
}

/** The 2-D map of u rows of `dim` floats (t-SNE, UMAP, or the top two principal components), step by step; the
 *  snapshots are expanded through `groupOf` (identical rows share a position). */
function* layoutRows(
  rows: Float32Array,
  u: number,
  dim: number,
  settings: EmbeddingSettings,
  groupOf: Int32Array,
  makeUmap?: (random: () => number) => UmapRunner,
): Generator<EmbeddingEvent, { layout: Float32Array; kl: number | null }> {
  if (settings.layout === 'tsne' && u >= 4) {
    const kNeighbours = Math.min(u - 1, Math.max(3, Math.round(3 * settings.perplexity)));
    yield { stage: 'knn', done: 0, total: 1 };
    const graph: KnnGraph =
      u <= 3000
        ? exactKnn(rows, u, dim, kNeighbours)
        : nnDescent(rows, u, dim, kNeighbours, { random: seededRandom(settings.seed), iterations: TSNE_KNN_ROUNDS });
    yield { stage: 'knn', done: 1, total: 1 };
    const p = perplexityAffinities(graph.indices, graph.distances, u, graph.k, Math.min(settings.perplexity, (u - 1) / 3));
    const tsne = new BarnesHutTsne(p, pcaInit(rows, u, dim), { iterations: settings.iterations });
    while (!tsne.done) {
      tsne.step();
      if (tsne.iteration % 10 === 0 || tsne.done) {
        const event: EmbeddingEvent = { stage: 'tsne', done: tsne.iteration, total: settings.iterations };
        if (tsne.iteration % 50 === 0 || tsne.done) event.kl = tsne.klDivergence();
        event.layout = expand(tsne.y, groupOf, 2);
        yield event;
      }
    }
    return { layout: tsne.y, kl: tsne.klDivergence() };
  }
  if (settings.layout === 'umap' && makeUmap && u >= 4) {
    const umap = makeUmap(seededRandom(settings.seed));
    const data = Array.from({ length: u }, (_, i) => Array.from(rows.subarray(i * dim, (i + 1) * dim)));
    const epochs = umap.initializeFit(data);
    for (let e = 0; e < epochs; e++) {
      umap.step();
      if (e % 10 === 0 || e === epochs - 1)
        yield { stage: 'umap', done: e + 1, total: epochs, layout: expand(Float32Array.from(umap.getEmbedding().flat()), groupOf, 2) };
    }
    return { layout: Float32Array.from(umap.getEmbedding().flat()), kl: null };
  }
  // 'svd' (or too few distinct rows for a 2-D method): the map shows the top two principal components.
  return { layout: pcaInit(rows, u, dim).map((v) => v * 1e4), kl: null };
}

/** A stable key of what a map from features depends on: the feature model and layer, and the layout's settings. */
export function featureEmbeddingKey(s: EmbeddingSettings, featureModelId: string, layer: string): string {
  const parts = [`features-v1`, featureModelId, layer, s.layout, `c${s.components}`, `seed${s.seed}`];
  if (s.layout === 'tsne') parts.push(`p${s.perplexity}`, `it${s.iterations}`);
  if (s.layout === 'umap') parts.push(`nn${s.umapNeighbours}`);
  return parts.join('/');
}

export interface FeatureEmbeddingInput {
  imageIds: string[];
  /** n x dim, row-major: each image's features (any scale: rows are made unit length first). */
  features: Float32Array;
  dim: number;
}

/** The map of a collection whose labels cannot define similarity: unit-length features -> PCA (the settings'
 *  components) -> the same t-SNE / UMAP as the label map. There are no similar sets (no labels to define them):
 *  `trainIndex` and `similar` are empty and `k` is 0. */
export function* runFeatureEmbedding(
  input: FeatureEmbeddingInput,
  settings: EmbeddingSettings,
  makeUmap?: (random: () => number) => UmapRunner,
): Generator<EmbeddingEvent, EmbeddingResult> {
  const n = input.imageIds.length;
  if (n < 3) throw new Error('A map needs at least 3 images with features.');
  yield { stage: 'pca', done: 0, total: 1 };
  let t0 = performance.now();
  const unit = normalizeRows(input.features, input.dim);
  const pca = densePca(unit, n, input.dim, { components: Math.max(2, settings.components), seed: settings.seed });
  const pcaMs = performance.now() - t0;
  yield { stage: 'pca', done: 1, total: 1 };
  t0 = performance.now();
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const { layout, kl } = yield* layoutRows(pca.embedding, n, pca.components, settings, identity, makeUmap);
  return {
    imageIds: input.imageIds,
    layout,
    trainIndex: new Int32Array(0),
    similar: new Int32Array(0),
    k: 0,
    similarSetScore: 0,
    svd: pca.embedding,
    components: pca.components,
    vocabulary: [],
    basis: new Float32Array(0),
    kl,
    uniqueRows: n,
    timingsMs: { svd: pcaMs, layout: performance.now() - t0, sets: 0 },
  };
}

// The retrieval nets and their training loop, on TensorFlow.js (any backend; the worker picks it). No DOM.
//  - 'sets', the 2017 net: feature -> dropout 0.5 -> dense(R, sigmoid), sigmoid cross-entropy against the image's
//    similar set (1 for the R references in it, else 0), Adam 1e-4, batch 128. Ranking: the k largest outputs.
//  - 'embedding', ours: feature -> dropout -> dense(hidden, relu) -> dropout -> dense(D): the image's position in
//    the label embedding. Target 'svd': the L2-normalized 50-d SVD row, cosine loss, references ranked by cosine
//    to the prediction; target 'layout': the 2-D map position (scaled to unit variance), squared error, references
//    ranked by distance. References are indexed by their label embeddings, so R is not bounded by the net.
// Training keeps the weights of the epoch with the best validation score (the 2017 score at k) and stops after
// `patience` epochs without improvement.
import { normalizeRows } from '../vector';
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import { evaluateRankings, topK, type RetrievalTask } from './metrics';

export {
  DEFAULT_TRAIN,
  FEATURE_LAYERS,
  HEADS,
  SETS_BUDGET_BYTES,
  SETS_LEARNING_RATE,
  TARGET_SPACES,
  maxSetsReferences,
  setsBytesPerReference,
} from './train-settings';
import { fitStandardiser, standardiseRows, type Standardiser } from './transform';
export type { EpochReport, FeatureLayer, HeadKind, TargetSpace, TrainSettings } from './train-settings';
import { SETS_LEARNING_RATE, type EpochReport, type HeadKind, type TargetSpace, type TrainSettings } from './train-settings';

export interface TrainData {
  dim: number;
  /** Features of the training images, which are also the references, in reference order (R x dim). */
  trainX: Float32Array;
  /** For 'sets': each training image's similar set as reference positions (R x k; -1 pads). */
  sets: Int32Array;
  setK: number;
  /** For 'embedding': each reference's label-embedding vector (R x targetDim), as the loss wants it. */
  targets: Float32Array;
  targetDim: number;
  /** Features of the validation queries, in the order of `task.queryRows`. */
  valX: Float32Array;
  task: RetrievalTask;
}

/** A trained head with what ranking needs. */
export interface Retriever {
  head: HeadKind;
  target: TargetSpace;
  model: tf.LayersModel;
  /** For 'embedding': the references' vectors, transposed (targetDim x R, `referenceTensor`), as ranked against a
   *  prediction: a query's product then needs no transpose of the references. */
  refs: tf.Tensor2D | null;
}

/** R rows of `dim` as a dim x R tensor, transposed here once. (On the WASM backend a product with transposeB
 *  transposes its second operand on every call: at 90,000 references x 768 features that is a 276 MB copy per
 *  query; docs/BENCHMARKS.md, Scale.) */
export function referenceTensor(rows: Float32Array, dim: number): tf.Tensor2D {
  const r = rows.length / dim;
  const t = new Float32Array(rows.length);
  for (let i = 0; i < r; i++) for (let j = 0, o = i * dim; j < dim; j++) t[j * r + i] = rows[o + j];
  return tf.tensor2d(t, [dim, r]);
}

export function buildModel(settings: TrainSettings, dim: number, outputs: number): tf.LayersModel {
  const model = tf.sequential();
  if (settings.head === 'sets') {
    model.add(tf.layers.dropout({ inputShape: [dim], rate: 0.5, seed: settings.seed }));
    model.add(
      tf.layers.dense({
        units: outputs,
        activation: 'sigmoid',
        name: 'similar_sets',
        kernelInitializer: tf.initializers.glorotUniform({ seed: settings.seed }),
      }),
    );
  } else {
    model.add(tf.layers.dropout({ inputShape: [dim], rate: settings.dropout, seed: settings.seed }));
    for (let layer = 0; layer < (settings.depth ?? 1); layer++) {
      model.add(
        tf.layers.dense({
          units: settings.hidden,
          activation: 'relu',
          name: layer === 0 ? 'hidden' : `hidden_${layer + 1}`,
          kernelInitializer: tf.initializers.heNormal({ seed: settings.seed + 10 * layer }),
        }),
      );
      model.add(tf.layers.dropout({ rate: settings.dropout, seed: settings.seed + 1 + 10 * layer }));
    }
    model.add(
      tf.layers.dense({
        units: outputs,
        name: 'label_embedding',
        kernelInitializer: tf.initializers.glorotUniform({ seed: settings.seed + 2 }),
      }),
    );
  }
  return model;
}

export { normalizeRows };

/** Targets for the 'embedding' head from the label-embedding vectors of the references. */
export function embeddingTargets(vectors: Float32Array, dim: number, target: TargetSpace): Float32Array {
  if (target === 'svd') return normalizeRows(vectors, dim);
  // 'layout': centre and scale to unit variance per axis (t-SNE coordinates run to the hundreds).
  const n = vectors.length / dim;
  const out = new Float32Array(vectors.length);
  for (let d = 0; d < dim; d++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += vectors[i * dim + d] / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (vectors[i * dim + d] - mean) ** 2 / n;
    const inv = v > 0 ? 1 / Math.sqrt(v) : 1;
    for (let i = 0; i < n; i++) out[i * dim + d] = (vectors[i * dim + d] - mean) * inv;
  }
  return out;
}

/** The listwise loss's softmax temperature over cosines. */
export const LISTWISE_TEMPERATURE = 0.1;

function lossOf(settings: TrainSettings, pred: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  if (settings.head === 'sets') return tf.metrics.binaryCrossentropy(y, pred).mean() as tf.Scalar;
  if (settings.target === 'svd') {
    // Cosine loss: 1 - cos(prediction, target); targets are unit vectors.
    const unit = pred.div(pred.norm('euclidean', 1, true).add(1e-8));
    const cosine = tf.scalar(1).sub(unit.mul(y).sum(1).mean()) as tf.Scalar;
    if (settings.loss !== 'listwise') return cosine;
    // Listwise (ListNet, Cao et al. 2007, over the batch): the softmax of each prediction's cosines to the batch's
    // label vectors should match the softmax of its own label vector's cosines to them.
    const predicted = tf.logSoftmax(tf.matMul(unit, y, false, true).div(LISTWISE_TEMPERATURE));
    const truth = tf.softmax(tf.matMul(y, y, false, true).div(LISTWISE_TEMPERATURE));
    return cosine.add(truth.mul(predicted).sum(1).mean().neg()) as tf.Scalar;
  }
  return tf.losses.meanSquaredError(y, pred) as tf.Scalar;
}

/** The head's score of every reference for n queries (features row-major): an n x R tensor, higher is better. */
export function scoreReferences(retriever: Retriever, xs: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const pred = retriever.model.predict(xs) as tf.Tensor2D;
    if (retriever.head === 'sets') return pred;
    const refs = retriever.refs!;
    if (retriever.target === 'svd') return tf.matMul(pred.div(pred.norm('euclidean', 1, true).add(1e-8)), refs); // cosine
    // Minus the squared distance: 2 p.r - |r|^2 - |p|^2.
    return tf
      .matMul(pred, refs)
      .mul(2)
      .sub(refs.square().sum(0).reshape([1, -1]))
      .sub(pred.square().sum(1, true));
  });
}

/** Top-k of score rows computed a batch at a time: `score(start, m)` gives the m x R scores of queries
 *  start..start+m; returns each query's best k positions (and, if asked, their scores). */
async function topKByBatch(
  n: number,
  k: number,
  batch: number,
  score: (start: number, m: number) => tf.Tensor2D,
  scoresOut?: Float32Array[],
): Promise<Int32Array[]> {
  const out: Int32Array[] = [];
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const scores = tf.tidy(() => score(start, m));
    const data = (await scores.data()) as Float32Array;
    const r = scores.shape[1];
    scores.dispose();
    for (let i = 0; i < m; i++) {
      const row = data.subarray(i * r, (i + 1) * r);
      const top = topK(row, k);
      out.push(top);
      scoresOut?.push(Float32Array.from(top, (j) => row[j]));
    }
  }
  return out;
}

/** Ranks all references for each of n queries; returns reference positions, best first (and their scores). */
export function rank(
  retriever: Retriever,
  x: Float32Array,
  n: number,
  k: number,
  batch = 256,
  scoresOut?: Float32Array[],
): Promise<Int32Array[]> {
  const dim = x.length / Math.max(n, 1);
  return topKByBatch(
    n,
    k,
    batch,
    (start, m) => scoreReferences(retriever, tf.tensor2d(x.subarray(start * dim, (start + m) * dim), [m, dim])),
    scoresOut,
  );
}

/** The 'embedding' head's label-space vectors for n queries (row-major, n x targetDim), unit length for the 'svd'
 *  target (what its cosine ranking compares). */
export async function predictVectors(retriever: Retriever, x: Float32Array, n: number, batch = 256): Promise<Float32Array> {
  if (retriever.head !== 'embedding') throw new Error("Only the 'embedding' head predicts label-space vectors.");
  const dim = x.length / Math.max(n, 1);
  let out = new Float32Array(0);
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const pred = tf.tidy(() => {
      const p = retriever.model.predict(tf.tensor2d(x.subarray(start * dim, (start + m) * dim), [m, dim])) as tf.Tensor2D;
      return retriever.target === 'svd' ? p.div(p.norm('euclidean', 1, true).add(1e-8)) : p;
    });
    const data = (await pred.data()) as Float32Array;
    const width = pred.shape[1] as number;
    if (start === 0) out = new Float32Array(n * width);
    out.set(data, start * width);
    pred.dispose();
  }
  return out;
}

/** Makes `targets` (R x dim) the references an 'embedding' head ranks (the finished model's full set). */
export function setReferences(retriever: Retriever, targets: Float32Array, dim: number): void {
  if (retriever.head !== 'embedding') return;
  retriever.refs?.dispose();
  retriever.refs = referenceTensor(targets, dim);
}

/** Raw features as a reference tensor for cosine ranking: unit rows, transposed (dim x R). */
export function featureReferences(refX: Float32Array, dim: number): tf.Tensor2D {
  return referenceTensor(normalizeRows(refX, dim), dim);
}

/** Ranks unit reference rows (`featureReferences`, dim x R) by cosine to each of n queries (raw features,
 *  row-major); best k positions first. */
export function cosineRank(
  refs: tf.Tensor2D,
  queryX: Float32Array,
  n: number,
  k: number,
  batch = 256,
  scoresOut?: Float32Array[],
): Promise<Int32Array[]> {
  const dim = refs.shape[0];
  const q = normalizeRows(queryX, dim);
  return topKByBatch(
    n,
    k,
    batch,
    (start, m) => tf.matMul(tf.tensor2d(q.subarray(start * dim, (start + m) * dim), [m, dim]), refs),
    scoresOut,
  );
}

/** The feature_knn baseline: references ranked by cosine similarity of raw features (no training). */
export async function featureKnn(
  refX: Float32Array,
  queryX: Float32Array,
  dim: number,
  k: number,
  batch = 256,
  scoresOut?: Float32Array[],
): Promise<Int32Array[]> {
  const refs = featureReferences(refX, dim);
  try {
    return await cosineRank(refs, queryX, queryX.length / dim, k, batch, scoresOut);
  } finally {
    refs.dispose();
  }
}

/** The k the epochs are compared at: the retrieval k, but at most a quarter of the trained references (with k near
 *  R every ranking retrieves nearly the same set, the score cannot tell epochs apart, and the first one wins). */
export const selectionK = (k: number, references: number) => Math.max(1, Math.min(k, Math.floor(references / 4)));

export interface TrainHooks {
  random: Random;
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Polled between batches; true stops training (the best weights so far are kept). */
  shouldStop?: () => boolean;
  /** Wraps every read back from the backend: the worker's GPU watch turns a lost device into an error here. */
  guard?: <T>(read: Promise<T>) => Promise<T>;
}

export interface TrainOutcome {
  retriever: Retriever;
  history: EpochReport[];
  best: EpochReport | null;
  stoppedEarly: boolean;
  cancelled: boolean;
}

/** Folds a standardisation of the input into the net's first dense layer: W' = diag(scale) W and
 *  b' = b - (mean * scale) W, so the net takes raw features and answers exactly as it did on standardised ones
 *  (dropout is the identity outside training). */
export function foldStandardiser(model: tf.LayersModel, s: Standardiser): void {
  const dense = model.layers.find((l) => l.getClassName() === 'Dense')!;
  const [kernel, bias] = dense.getWeights();
  const dim = s.mean.length;
  const folded = tf.tidy(() => {
    const scale = tf.tensor2d(s.scale, [dim, 1]);
    const shift = tf.tensor2d(
      Float32Array.from(s.mean, (m, d) => m * s.scale[d]),
      [1, dim],
    );
    return [kernel.mul(scale), bias.sub(tf.matMul(shift, kernel).reshape([-1]))];
  });
  dense.setWeights(folded);
  folded.forEach((t) => t.dispose());
}

const NO_SELECTION = { score: 0, precisionAtK: 0, map: 0 };

/** Trains a head on `data`, keeping the weights of the best validation epoch (with no validation queries, the last). */
export async function trainHead(data: TrainData, settings: TrainSettings, hooks: TrainHooks): Promise<TrainOutcome> {
  const r = data.trainX.length / data.dim;
  const outputs = settings.head === 'sets' ? r : data.targetDim;
  const model = buildModel(settings, data.dim, outputs);
  const refs = settings.head === 'embedding' ? referenceTensor(data.targets, data.targetDim) : null;
  const retriever: Retriever = { head: settings.head, target: settings.target, model, refs };
  const optimizer = tf.train.adam(
    settings.learningRate !== 'auto' ? settings.learningRate : settings.head === 'sets' ? SETS_LEARNING_RATE : 1e-3,
  );
  const history: EpochReport[] = [];
  let best: EpochReport | null = null;
  let bestWeights: tf.Tensor[] | null = null;
  let sinceBest = 0;
  let cancelled = false;
  const order = Int32Array.from({ length: r }, (_, i) => i);
  const bs = settings.head === 'sets' ? 128 : settings.batchSize;
  const nVal = data.task.queryRows.length;
  const kSel = selectionK(settings.k, r);
  // Standardised inputs: each batch is standardised as it is copied, the selection queries once (a few thousand
  // rows); the references' block is never copied.
  const standardiser = settings.standardise ? fitStandardiser(data.trainX, data.dim) : null;
  const valX = standardiser ? standardiseRows(Float32Array.from(data.valX), standardiser) : data.valX;
  const guard = hooks.guard ?? (<T>(read: Promise<T>) => read);
  try {
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const t0 = performance.now();
      for (let i = r - 1; i > 0; i--) {
        const j = Math.floor(hooks.random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < r; start += bs) {
        if (hooks.shouldStop?.()) {
          cancelled = true;
          break;
        }
        const m = Math.min(bs, r - start);
        const xb = new Float32Array(m * data.dim);
        const yb = new Float32Array(m * outputs);
        for (let b = 0; b < m; b++) {
          const i = order[start + b];
          xb.set(data.trainX.subarray(i * data.dim, (i + 1) * data.dim), b * data.dim);
          if (settings.head === 'sets') {
            for (let t = 0; t < data.setK; t++) {
              const ref = data.sets[i * data.setK + t];
              if (ref >= 0) yb[b * outputs + ref] = 1; // -1: a similar image without features
            }
          } else yb.set(data.targets.subarray(i * outputs, (i + 1) * outputs), b * outputs);
        }
        if (standardiser) standardiseRows(xb, standardiser);
        const loss = tf.tidy(() => {
          const xs = tf.tensor2d(xb, [m, data.dim]);
          const ys = tf.tensor2d(yb, [m, outputs]);
          return optimizer.minimize(() => lossOf(settings, model.apply(xs, { training: true }) as tf.Tensor2D, ys), true) as tf.Scalar;
        });
        lossSum += (await guard(loss.data()))[0];
        loss.dispose();
        batches++;
      }
      if (cancelled) break;
      // No selection queries (a cross-fitting fold trains a fixed number of epochs): the last epoch is kept.
      const validation = nVal ? evaluateRankings(data.task, await guard(rank(retriever, valX, nVal, kSel)), kSel) : NO_SELECTION;
      const improved = !nVal || !best || validation.score > best.validation.score;
      const report: EpochReport = { epoch, loss: lossSum / Math.max(batches, 1), validation, best: improved, ms: performance.now() - t0 };
      history.push(report);
      if (improved) {
        best = report;
        bestWeights?.forEach((w) => w.dispose());
        bestWeights = model.getWeights().map((w) => w.clone());
        sinceBest = 0;
      } else sinceBest++;
      await hooks.onEpoch?.(report);
      if (sinceBest >= settings.patience) break;
    }
    if (bestWeights) model.setWeights(bestWeights);
    if (standardiser) foldStandardiser(model, standardiser);
    const last = history.at(-1);
    return { retriever, history, best, stoppedEarly: !cancelled && !!last && last.epoch < settings.epochs, cancelled };
  } catch (err) {
    model.dispose();
    refs?.dispose();
    throw err;
  } finally {
    bestWeights?.forEach((w) => w.dispose());
    optimizer.dispose();
  }
}

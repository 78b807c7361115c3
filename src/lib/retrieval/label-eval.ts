// After training: the tagger chosen on the selection queries, then tagging, label queries and the per-label
// quality table measured on the reported queries (which chose nothing). Runs the net through heads.ts (any
// TensorFlow.js backend) and scores with tagging.ts. No DOM.
import type { CsrMatrix } from '../sparse';
import { choosePositions, type AssembledTask } from './data';
import { cosineRank, featureReferences, predictVectors, rank, type Retriever } from './heads';
import { voteWeights } from './label-index';
import type { EvaluationIntervals, LabelQueryEvaluation, QualityRow, TaggingEvaluation } from './protocol';
import {
  VOTE_KS,
  chooseTagger,
  cosineTop,
  evaluateTagger,
  labelQuality,
  meanMetrics,
  meanRow,
  precisionAt,
  projectLabels,
  tagEachQuery,
  unit,
  wordScore,
  DEFAULT_MINUS_STRENGTH,
  MINUS_STRENGTHS,
  composeQuery,
  type LabelSpace,
  type TagInput,
  type TagMetrics,
  type Tagger,
  type WordQuery,
} from './tagging';
import { Bootstrap } from './bootstrap';
import { topK } from './metrics';

/** The rows of a CSR matrix, in the given order, as a new matrix. */
export function subRows(m: CsrMatrix, rows: ArrayLike<number>): CsrMatrix {
  const rowPtr = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) rowPtr[i + 1] = rowPtr[i] + (m.rowPtr[rows[i] + 1] - m.rowPtr[rows[i]]);
  const colIdx = new Int32Array(rowPtr[rows.length]);
  const values = new Float32Array(rowPtr[rows.length]);
  for (let i = 0; i < rows.length; i++) {
    const a = m.rowPtr[rows[i]];
    const b = m.rowPtr[rows[i] + 1];
    colIdx.set(m.colIdx.subarray(a, b), rowPtr[i]);
    values.set(m.values.subarray(a, b), rowPtr[i]);
  }
  return { rows: rows.length, cols: m.cols, rowPtr, colIdx, values };
}

/** The embedding's label space re-ordered to another vocabulary (labels it does not know get zero rows). */
export function remapSpace(vocabulary: string[], from: { vocabulary: string[]; basis: Float32Array; components: number }): LabelSpace {
  const c = from.components;
  const at = new Map(from.vocabulary.map((l, i) => [l, i]));
  const basis = new Float32Array(vocabulary.length * c);
  vocabulary.forEach((l, i) => {
    const j = at.get(l);
    if (j !== undefined) basis.set(from.basis.subarray(j * c, (j + 1) * c), i * c);
  });
  return { vocabulary, basis, components: c };
}

const truthOf = (m: CsrMatrix, row: number) => {
  const cols = new Set<number>();
  for (let p = m.rowPtr[row]; p < m.rowPtr[row + 1]; p++) if (m.values[p] > 0) cols.add(m.colIdx[p]);
  return { cols, count: cols.size };
};

const MAX_K = Math.max(...VOTE_KS);

/** Tag inputs for n queries (features row-major): the net's neighbours among the references, its vectors, and the
 *  nearest references by raw features (`refFeatures`: unit rows). */
export async function tagInputs(
  retriever: Retriever,
  refFeatures: Parameters<typeof cosineRank>[0],
  x: Float32Array,
  n: number,
  selfOf: (q: number) => number,
  withVectors: boolean,
): Promise<TagInput[]> {
  const scores: Float32Array[] = [];
  const lists = await rank(retriever, x, n, MAX_K + 1, 256, scores);
  const featureScores: Float32Array[] = [];
  const featureLists = await cosineRank(refFeatures, x, n, MAX_K + 1, 256, featureScores);
  const vectors = withVectors && retriever.head === 'embedding' ? await predictVectors(retriever, x, n) : null;
  const width = vectors ? vectors.length / Math.max(n, 1) : 0;
  return lists.map((neighbours, q) => ({
    neighbours,
    weights: voteWeights(retriever.head === 'sets' ? 'sets' : retriever.target, scores[q]),
    vector: vectors ? vectors.subarray(q * width, (q + 1) * width) : null,
    self: selfOf(q),
    featureNeighbours: featureLists[q],
    featureWeights: featureScores[q],
  }));
}

export interface LabelEvaluation {
  tagger: Tagger;
  tagging: TaggingEvaluation;
  labelQuery: LabelQueryEvaluation | null;
  quality: QualityRow[];
  /** How strongly a minus word pushes away (chosen on the selection queries). */
  minusStrength: number;
  /** The intervals of the tagging and label-query figures (evaluation.ci.tagging, .label_query). */
  ci: Pick<EvaluationIntervals, 'tagging' | 'label_query'>;
}

/** The rows of a word query's k best among unit rows (wordScore). */
function wordTop(rows: Float32Array, dim: number, q: WordQuery, k: number): Int32Array {
  const n = rows.length / dim;
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) scores[i] = wordScore(q, rows, i, dim);
  return topK(scores, k);
}

function unitRows(x: Float32Array, dim: number): Float32Array {
  const out = Float32Array.from(x);
  for (let i = 0; i < out.length; i += dim) unit(out.subarray(i, i + dim));
  return out;
}

const tagIntervals = (b: Bootstrap, per: TagMetrics[]) => ({
  map: b.interval(per.map((m) => m.map)),
  precision_at_1: b.interval(per.map((m) => m.precision_at_1)),
  precision_at_5: b.interval(per.map((m) => m.precision_at_5)),
});

/** The candidates' MAP on the reported queries is measured on a seeded sample of at most this many. */
export const CANDIDATE_QUERIES = 2000;
/** Up to this many of the most frequent labels are asked as queries (evaluation.label_query). */
export const LABEL_QUERIES = 100;
/** Results per label query. */
export const LABEL_QUERY_K = 10;

export async function evaluateLabels(
  task: AssembledTask,
  retriever: Retriever,
  space: LabelSpace | null,
  perQuery: { trained: ArrayLike<number>; feature_knn: ArrayLike<number> },
  /** The resamples of the reported queries (evaluate.ts), for the tagging intervals. */
  bootstrap: Bootstrap,
  seed = 1,
): Promise<LabelEvaluation> {
  const refLabels = subRows(task.labels, task.refRows);
  const refPos = new Map(task.refIds.map((id, i) => [id, i]));
  const usesSpace = retriever.head === 'embedding' && retriever.target === 'svd' && space !== null;
  const dim = task.data.dim;

  // 1. The tagger, chosen on the selection queries (hold-out images are references of the finished model: each is
  //    left out of its own vote).
  const sel = task.data;
  const selN = sel.task.queryRows.length;
  const ev = task.evaluation;
  const refFeatures = featureReferences(ev.refX, dim);
  try {
    const selInputs = await tagInputs(retriever, refFeatures, sel.valX, selN, (q) => refPos.get(task.selection.ids[q]) ?? -1, usesSpace);
    const selTruths = Array.from(sel.task.queryRows, (row) => truthOf(task.labels, row));
    const { tagger, tried } = chooseTagger(refLabels, usesSpace ? space : null, selInputs, selTruths);
    // The strength of a minus word, chosen on the same queries: "A - B" over them, placed by their predictions.
    const { strength: minusStrength, tried: minusTried } = usesSpace
      ? chooseMinusStrength(space!, selInputs, refLabels, selTruths)
      : { strength: DEFAULT_MINUS_STRENGTH, tried: [] };

    // 2. Tagging on the reported queries, against the raw-feature vote.
    const n = ev.task.queryRows.length;
    const inputs = await tagInputs(retriever, refFeatures, ev.queryX, n, () => -1, usesSpace);
    const truths = Array.from(ev.task.queryRows, (row) => truthOf(task.labels, row));
    const trainedPer = tagEachQuery(refLabels, usesSpace ? space : null, tagger, inputs, truths);
    const trained = meanMetrics(trainedPer);
    // The baseline: the same queries' raw-feature neighbours alone, as a plain vote.
    const baselineInputs: TagInput[] = inputs.map((i) => ({
      neighbours: i.featureNeighbours!,
      weights: i.featureWeights!,
      vector: null,
      self: -1,
    }));
    const baselinePer = tagEachQuery(refLabels, null, { method: 'vote', k: tagger.k }, baselineInputs, truths);
    const baseline = meanMetrics(baselinePer);
    const ci: LabelEvaluation['ci'] = {
      tagging: {
        ...tagIntervals(bootstrap, trainedPer),
        baseline: tagIntervals(bootstrap, baselinePer),
        difference: bootstrap.difference(
          trainedPer.map((m) => m.map),
          baselinePer.map((m) => m.map),
        ),
      },
    };
    // Every candidate on the reported queries too, for the record (the choice above was made on the selection set);
    // on a seeded sample of at most CANDIDATE_QUERIES of them, so a large shard does not pay 16 taggings per query.
    const sample = [...choosePositions(n, Math.min(n, CANDIDATE_QUERIES), 11)].sort((a, b) => a - b);
    const sampleInputs = sample.map((q) => inputs[q]);
    const sampleTruths = sample.map((q) => truths[q]);
    const candidates = tried.map((t) => ({
      method: t.tagger.method,
      k: t.tagger.k,
      ...(t.tagger.alpha === undefined ? {} : { alpha: t.tagger.alpha }),
      selection_map: t.map,
      map: evaluateTagger(refLabels, usesSpace ? space : null, t.tagger, sampleInputs, sampleTruths).map,
    }));
    const tagging: TaggingEvaluation = {
      queries: n,
      ...trained,
      method: tagger.method,
      k: tagger.k,
      ...(tagger.alpha === undefined ? {} : { alpha: tagger.alpha }),
      baseline,
      candidates,
      candidates_queries: sample.length,
    };

    // 3. Label queries over the reported queries, indexed by their predicted vectors only: each frequent label
    //    alone, and with a minus word (the label that most often comes with it: "A - B", relevant = carries A and
    //    not B), against raw-feature cosine to the mean feature of the training images carrying each word.
    let labelQuery: LabelQueryEvaluation | null = null;
    if (usesSpace && n > 0) {
      const vectors = await predictVectors(retriever, ev.queryX, n);
      const c = vectors.length / n;
      const labels = askedLabels(refLabels, truths);
      const k = Math.min(LABEL_QUERY_K, n);
      const trainedP = labels.map(([col]) => {
        const carries = (q: number) => truths[q].cols.has(col);
        return precisionAt(cosineTop(vectors, c, projectLabels(space!, [{ col, weight: 1 }]), k), k, carries);
      });
      const baselineP = labels.map(([col, refs]) => {
        const carries = (q: number) => truths[q].cols.has(col);
        return precisionAt(cosineTop(ev.queryX, dim, meanRow(ev.refX, dim, refs), k), k, carries);
      });
      const {
        pairs: minus,
        trained: minusTrained,
        baseline: minusBaseline,
        subtracted: minusSubtracted,
      } = evaluateMinus(space!, vectors, ev, refLabels, labels, truths, minusStrength, k);
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(a.length, 1);
      labelQuery = { queries: labels.length, k, precision_at_k: mean(trainedP), baseline_precision_at_k: mean(baselineP) };
      const byLabel = new Bootstrap(labels.length, seed + 3);
      ci.label_query = {
        precision_at_k: byLabel.interval(trainedP),
        baseline_precision_at_k: byLabel.interval(baselineP),
        difference: byLabel.difference(trainedP, baselineP),
      };
      if (minus.length) {
        labelQuery.minus = {
          queries: minus.length,
          strength: minusStrength,
          holdout: minusTried,
          precision_at_k: mean(minusTrained),
          baseline_precision_at_k: mean(minusBaseline),
          subtracted_precision_at_k: mean(minusSubtracted),
          examples: minus.slice(0, 5).map(({ a, b }) => [task.vocabulary[a], task.vocabulary[b]]),
        };
        const byPair = new Bootstrap(minus.length, seed + 5);
        ci.label_query.minus = {
          precision_at_k: byPair.interval(minusTrained),
          baseline_precision_at_k: byPair.interval(minusBaseline),
          difference: byPair.difference(minusTrained, minusBaseline),
        };
      }
    }

    // 4. Per-label quality: the reported queries' precision@k grouped by the labels they carry.
    const queryLabels = truths.map((t) => [...t.cols].map((col) => task.vocabulary[col]));
    const quality = labelQuality(queryLabels, perQuery.trained, perQuery.feature_knn).map((row) => ({
      labelName: row.labelName,
      queries: row.queries,
      trained: row.trained,
      feature_knn: row.featureKnn,
      worst: row.worst.map((q) => ({ imageId: task.queryIds[q], precision: perQuery.trained[q] })),
    }));
    return { tagger, tagging, labelQuery, quality, ci, minusStrength };
  } finally {
    refFeatures.dispose();
  }
}

/** Minus-word queries "A - B": for each asked label A, the label B that most of A's references also carry, when
 *  some reported queries carry A without B (what the query should find) and some carry both (what it should drop). */
export function minusQueries(
  labels: [number, number[]][],
  refLabels: CsrMatrix,
  truths: { cols: Set<number> }[],
  n: number,
): { a: number; b: number }[] {
  const out: { a: number; b: number }[] = [];
  for (const [a, refs] of labels) {
    const together = new Map<number, number>();
    for (const r of refs)
      for (let p = refLabels.rowPtr[r]; p < refLabels.rowPtr[r + 1]; p++) {
        const b = refLabels.colIdx[p];
        if (b !== a && refLabels.values[p] > 0) together.set(b, (together.get(b) ?? 0) + 1);
      }
    const order = [...together.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    for (const [b] of order) {
      let without = 0;
      let both = 0;
      for (let q = 0; q < n; q++) {
        if (!truths[q].cols.has(a)) continue;
        if (truths[q].cols.has(b)) both++;
        else without++;
      }
      if (without > 0 && both > 0) {
        out.push({ a, b });
        break;
      }
    }
  }
  return out;
}

/** Precision@k of "A - B" queries over rows placed by prediction (unit vectors, c wide), at a minus strength. */
export function minusPrecisions(
  space: LabelSpace,
  vectors: Float32Array,
  c: number,
  pairs: { a: number; b: number }[],
  truths: { cols: Set<number> }[],
  strength: number,
  k: number,
): number[] {
  return pairs.map(({ a, b }) => {
    const relevant = (q: number) => truths[q].cols.has(a) && !truths[q].cols.has(b);
    return precisionAt(wordTop(vectors, c, composeQuery(space, null, [a], [b], strength), k), k, relevant);
  });
}

/** The minus strength whose "A - B" queries do best on the selection queries (ties: the gentler); the default
 *  when they hold no such pair. */
export function chooseMinusStrength(
  space: LabelSpace,
  inputs: TagInput[],
  refLabels: CsrMatrix,
  truths: { cols: Set<number> }[],
): { strength: number; tried: { strength: number; precision_at_k: number; queries: number }[] } {
  const n = inputs.length;
  const c = space.components;
  if (n === 0 || inputs.some((i) => !i.vector)) return { strength: DEFAULT_MINUS_STRENGTH, tried: [] };
  const vectors = new Float32Array(n * c);
  inputs.forEach((i, q) => vectors.set(i.vector!, q * c));
  const pairs = minusQueries(askedLabels(refLabels, truths), refLabels, truths, n);
  if (pairs.length === 0) return { strength: DEFAULT_MINUS_STRENGTH, tried: [] };
  const k = Math.min(LABEL_QUERY_K, n);
  const tried = MINUS_STRENGTHS.map((strength) => {
    const p = minusPrecisions(space, vectors, c, pairs, truths, strength, k);
    return { strength, precision_at_k: p.reduce((x, y) => x + y, 0) / p.length, queries: p.length };
  });
  const best = tried.reduce((a, b) => (b.precision_at_k > a.precision_at_k + 1e-9 ? b : a));
  return { strength: best.strength, tried };
}

/** The labels asked as queries: the most frequent among the references (at most LABEL_QUERIES) that some query
 *  carries, each with its references. */
export function askedLabels(refLabels: CsrMatrix, truths: { cols: Set<number> }[]): [number, number[]][] {
  const carriers = carriersOf(refLabels);
  const inQueries = new Set(truths.flatMap((t) => [...t.cols]));
  return [...carriers.entries()]
    .filter(([col]) => inQueries.has(col))
    .sort((a, b) => b[1].length - a[1].length || a[0] - b[0])
    .slice(0, LABEL_QUERIES);
}

/** The references carrying each label (a label no reference carries is absent). */
export function carriersOf(refLabels: CsrMatrix): Map<number, number[]> {
  const carriers = new Map<number, number[]>();
  for (let r = 0; r < refLabels.rows; r++)
    for (let p = refLabels.rowPtr[r]; p < refLabels.rowPtr[r + 1]; p++) {
      const list = carriers.get(refLabels.colIdx[p]) ?? [];
      list.push(r);
      carriers.set(refLabels.colIdx[p], list);
    }
  return carriers;
}

/** "A - B" label queries over the reported queries (placed by their predicted vectors, `vectors`): per pair, the
 *  precision@k of the model's minus words at `strength`, of the raw-feature baseline (cosine to A's mean feature
 *  less the positive cosine to B's) and of the old way (B's whole direction subtracted). */
export function evaluateMinus(
  space: LabelSpace,
  vectors: Float32Array,
  ev: { dim: number; refX: Float32Array; queryX: Float32Array },
  refLabels: CsrMatrix,
  asked: [number, number[]][],
  truths: { cols: Set<number> }[],
  strength: number,
  k: number,
): { pairs: { a: number; b: number }[]; trained: number[]; baseline: number[]; subtracted: number[] } {
  const n = truths.length;
  const c = space.components;
  const dim = ev.dim;
  const pairs = minusQueries(asked, refLabels, truths, n);
  // Every label's carriers: a minus word need not be one of the asked labels.
  const carriers = carriersOf(refLabels);
  const unitX = pairs.length ? unitRows(ev.queryX, dim) : ev.queryX;
  const trained = minusPrecisions(space, vectors, c, pairs, truths, strength, k);
  const baseline: number[] = [];
  const subtracted: number[] = [];
  for (const { a, b } of pairs) {
    const relevant = (q: number) => truths[q].cols.has(a) && !truths[q].cols.has(b);
    const dirA = projectLabels(space, [{ col: a, weight: 1 }]);
    const dirB = projectLabels(space, [{ col: b, weight: 1 }]);
    subtracted.push(
      precisionAt(
        cosineTop(
          vectors,
          c,
          Float32Array.from(dirA, (v, d) => v - dirB[d]),
          k,
        ),
        k,
        relevant,
      ),
    );
    const toward = unit(meanRow(ev.refX, dim, carriers.get(a)!));
    const away = unit(meanRow(ev.refX, dim, carriers.get(b)!));
    const scores = new Float32Array(n);
    for (let q = 0; q < n; q++) {
      let s = 0;
      let t = 0;
      for (let d = 0; d < dim; d++) {
        s += unitX[q * dim + d] * toward[d];
        t += unitX[q * dim + d] * away[d];
      }
      scores[q] = s - Math.max(0, t);
    }
    baseline.push(precisionAt(topK(scores, k), k, relevant));
  }
  return { pairs, trained, baseline, subtracted };
}

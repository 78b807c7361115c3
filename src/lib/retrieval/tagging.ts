// Labels both ways: from an image's place in the label space back to labels (tagging), from label words to a place
// in that space (label queries), and the measures of both. Pure; no TensorFlow.js, no DOM.
//   - Vote: the confidence-weighted vote of the image's nearest references in label space (its neighbours' labels,
//     weighted by their similarity to the image). Scores are in [0, 1]: the share of the neighbourhood carrying it.
//   - Decode: the predicted label-space vector mapped back through the SVD's right singular vectors (x ~ y V^T),
//     scaled so its largest label is 1.
//   - Mix: the mean of the two.
//   - Hybrid: the mean of the label-space vote and the vote of the nearest references by raw-feature cosine (what
//     looks alike carries the specific labels that a 50-d label space blurs; the label space carries the rest).
// Which one tags best is measured on the hold-out (never on the reported queries); see chooseTagger.
import { Bootstrap } from './bootstrap';
import type { CsrMatrix } from '../sparse';
import { topK } from './metrics';

export type TagMethod = 'vote' | 'decode' | 'mix' | 'hybrid';
export const TAG_METHODS: readonly TagMethod[] = ['vote', 'decode', 'mix', 'hybrid'];
/** Neighbourhood sizes tried for the vote (the one that tags the hold-out best is kept). */
export const VOTE_KS: readonly number[] = [5, 10, 25];

/** The label space of a trained model: the vocabulary and each label's row of V (vocabulary.length x components). */
export interface LabelSpace {
  vocabulary: string[];
  basis: Float32Array;
  components: number;
}

export interface Tagger {
  method: TagMethod;
  k: number;
  /** 'hybrid': the raw-feature vote's share (the label-space vote has the rest). */
  alpha?: number;
  /** How neighbours' similarities weigh their votes: as they are ('cosine', the baseline's), or exp(s / 0.07)
   *  ('softmax', the weighted kNN classifier of Wu et al. 2018 and DINO), which lets near-duplicates dominate. */
  weighting?: 'cosine' | 'softmax';
}

/** The softmax weighting's temperature (Wu et al. 2018, "Unsupervised feature learning via non-parametric
 *  instance discrimination", kNN evaluation; also DINO's). */
export const SOFTMAX_TEMPERATURE = 0.07;
/** Hybrid shares tried for the raw-feature vote. */
export const HYBRID_ALPHAS: readonly number[] = [0.25, 0.5, 0.75];

/** A scored label (a column of the vocabulary). */
export interface TagScore {
  col: number;
  score: number;
}

/**
 * The vote of a neighbourhood: for each label, sum_j w_j c_j(label) / sum_j w_j over the neighbours j (reference
 * rows of `labels`), weights clipped at 0. Writes into `out` (vocabulary-sized, zeroed by the caller) and returns
 * the columns it touched. `skip` leaves one reference out (an image never votes for itself).
 */
export function voteInto(
  labels: CsrMatrix,
  neighbours: ArrayLike<number>,
  weights: ArrayLike<number>,
  k: number,
  out: Float64Array,
  skip = -1,
  weighting: 'cosine' | 'softmax' = 'cosine',
): number[] {
  const touched: number[] = [];
  let total = 0;
  let used = 0;
  let top = -Infinity;
  for (let i = 0; i < neighbours.length; i++) if (neighbours[i] !== skip) top = Math.max(top, weights[i]);
  for (let i = 0; i < neighbours.length && used < k; i++) {
    const r = neighbours[i];
    if (r === skip) continue;
    used++;
    const w = weighting === 'softmax' ? Math.exp((weights[i] - top) / SOFTMAX_TEMPERATURE) : Math.max(0, weights[i]);
    total += w;
    for (let p = labels.rowPtr[r]; p < labels.rowPtr[r + 1]; p++) {
      const c = labels.colIdx[p];
      if (out[c] === 0) touched.push(c);
      out[c] += w * labels.values[p];
    }
  }
  const inv = total > 0 ? 1 / total : 0;
  for (const c of touched) out[c] *= inv;
  return touched;
}

/** Decoded label scores of a label-space vector: basis . y, scaled so the largest is 1 (negative and negligible ones are 0). */
export function decodeInto(space: LabelSpace, y: ArrayLike<number>, out: Float64Array): void {
  const c = space.components;
  let max = 0;
  for (let l = 0; l < space.vocabulary.length; l++) {
    let s = 0;
    const o = l * c;
    for (let d = 0; d < c; d++) s += space.basis[o + d] * y[d];
    out[l] = s > 0 ? s : 0;
    if (s > max) max = s;
  }
  // Rounding leaves labels outside the row at +-1e-8 or so: below a thousandth of the largest is nothing.
  if (max > 0) for (let l = 0; l < out.length; l++) out[l] = out[l] < 1e-3 * max ? 0 : out[l] / max;
}

/** The label-space direction of a set of weighted labels: sum_l w_l V_l, unit length (zero when none is known). */
export function projectLabels(space: LabelSpace, labels: { col: number; weight: number }[]): Float32Array {
  const c = space.components;
  const y = new Float32Array(c);
  for (const { col, weight } of labels) for (let d = 0; d < c; d++) y[d] += weight * space.basis[col * c + d];
  return unit(y);
}

export function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

/** A query in label space: the direction to go ("like this image, plus these labels") and the directions to keep
 *  away from (minus words), each weighted by `strength`. */
export interface WordQuery {
  toward: Float32Array;
  away: Float32Array[];
  strength: number;
}

/** The strengths of a minus word tried on the hold-out (label-eval.ts); a model keeps the best. */
export const MINUS_STRENGTHS = [0.25, 0.5, 1];
/** A model that does not say (trained before the choice was made) uses this one. */
export const DEFAULT_MINUS_STRENGTH = 0.5;

/**
 * "Like this one, plus these labels, minus those": toward the unit image direction plus the unit direction of each
 * added label, made unit; away from the part of each removed label's direction that the query does not share
 * (B - (B.q) q, made unit). Subtracting the whole direction pushed the query out of its own region (labels that
 * come together share most of their direction, so pizza + fruit - cheese landed among people); the part the query
 * does not share moves it away from the word and nowhere else. How far (`strength`) is chosen on the hold-out.
 */
export function composeQuery(
  space: LabelSpace,
  image: Float32Array | null,
  plus: number[],
  minus: number[],
  strength = DEFAULT_MINUS_STRENGTH,
): WordQuery {
  const c = space.components;
  const y = new Float32Array(c);
  if (image) {
    const u = unit(Float32Array.from(image));
    for (let d = 0; d < c; d++) y[d] += u[d];
  }
  for (const col of plus) {
    const u = projectLabels(space, [{ col, weight: 1 }]);
    for (let d = 0; d < c; d++) y[d] += u[d];
  }
  const toward = unit(y);
  return { toward, away: minus.map((col) => awayFrom(toward, projectLabels(space, [{ col, weight: 1 }]))), strength };
}

/** The part of unit direction b that unit direction q does not share, made unit (b itself when q is zero). */
export function awayFrom(q: Float32Array, b: Float32Array): Float32Array {
  let dot = 0;
  for (let d = 0; d < b.length; d++) dot += q[d] * b[d];
  return unit(Float32Array.from(b, (v, d) => v - dot * q[d]));
}

/** A word query's score of a unit row: its cosine to the query's direction, less `strength` times its cosine to
 *  each minus word's own part. */
export function wordScore(q: WordQuery, rows: Float32Array, row: number, dim: number): number {
  const o = row * dim;
  let s = 0;
  for (let d = 0; d < dim; d++) s += q.toward[d] * rows[o + d];
  for (const a of q.away) {
    let t = 0;
    for (let d = 0; d < dim; d++) t += a[d] * rows[o + d];
    s -= q.strength * t;
  }
  return s;
}

/** Combines vote and decode scores by the tagger's method into `out`. */
export function combine(method: TagMethod, vote: Float64Array, decode: Float64Array | null, out: Float64Array): Float64Array {
  for (let l = 0; l < out.length; l++) {
    const d = decode ? decode[l] : 0;
    out[l] = method === 'vote' || !decode ? vote[l] : method === 'decode' ? d : 0.5 * (vote[l] + d);
  }
  return out;
}

/** The labels with a positive score, best first (ties: lower column first), at most `max`. */
export function rankTags(scores: Float64Array, max = Infinity): TagScore[] {
  const m = Math.min(max, scores.length);
  const top = topK(scores, m);
  const out: TagScore[] = [];
  for (const col of top) {
    if (!(scores[col] > 0)) break;
    out.push({ col, score: scores[col] });
  }
  return out;
}

export interface TagMetrics {
  map: number;
  precision_at_1: number;
  precision_at_5: number;
}

/**
 * Average precision of a ranked label list against a true label set: sum over true labels found at rank i of
 * (true labels in the first i) / i, divided by the number of true labels (a true label never ranked counts as
 * missed, also one outside the vocabulary). Plus precision@1 and @5.
 */
export function tagQueryMetrics(ranked: ArrayLike<number>, truth: Set<number>, truthCount = truth.size): TagMetrics {
  let hits = 0;
  let ap = 0;
  let at1 = 0;
  let at5 = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (!truth.has(ranked[i])) continue;
    hits++;
    ap += hits / (i + 1);
    if (i < 1) at1++;
    if (i < 5) at5++;
  }
  return { map: truthCount ? ap / truthCount : 0, precision_at_1: at1, precision_at_5: at5 / 5 };
}

export function meanMetrics(all: TagMetrics[]): TagMetrics {
  const n = Math.max(all.length, 1);
  const sum = (f: (m: TagMetrics) => number) => all.reduce((s, m) => s + f(m), 0) / n;
  return { map: sum((m) => m.map), precision_at_1: sum((m) => m.precision_at_1), precision_at_5: sum((m) => m.precision_at_5) };
}

/** What tagging one query needs: its neighbours (reference rows, best first) with their weights, and optionally
 *  its predicted label-space vector (for decode). */
export interface TagInput {
  neighbours: ArrayLike<number>;
  weights: ArrayLike<number>;
  vector: Float32Array | null;
  /** A reference that is the query itself (left out of the vote); -1 when none. */
  self: number;
  /** Its nearest references by raw-feature cosine, with the cosines (for 'hybrid'). */
  featureNeighbours?: ArrayLike<number>;
  featureWeights?: ArrayLike<number>;
}

/** Tags one query by a tagger, into dense vocabulary scores (a fresh array). */
export function tagScores(labels: CsrMatrix, space: LabelSpace | null, tagger: Tagger, input: TagInput): Float64Array {
  const vocab = labels.cols;
  const vote = new Float64Array(vocab);
  const weighting = tagger.weighting ?? 'cosine';
  voteInto(labels, input.neighbours, input.weights, tagger.k, vote, input.self, weighting);
  if (tagger.method === 'hybrid') {
    const looks = new Float64Array(vocab);
    if (input.featureNeighbours) voteInto(labels, input.featureNeighbours, input.featureWeights!, tagger.k, looks, input.self, weighting);
    const a = tagger.alpha ?? 0.5;
    for (let l = 0; l < vocab; l++) vote[l] = (1 - a) * vote[l] + a * looks[l];
    return vote;
  }
  let decode: Float64Array | null = null;
  if (tagger.method !== 'vote' && space && input.vector) {
    decode = new Float64Array(vocab);
    decodeInto(space, input.vector, decode);
  }
  return combine(tagger.method, vote, decode, vote);
}

/** Mean tagging metrics of a tagger over queries with known labels (truth as vocabulary columns, and how many
 *  true labels each has, counting those outside the vocabulary). */
export function evaluateTagger(
  labels: CsrMatrix,
  space: LabelSpace | null,
  tagger: Tagger,
  inputs: TagInput[],
  truths: { cols: Set<number>; count: number }[],
): TagMetrics {
  return meanMetrics(tagEachQuery(labels, space, tagger, inputs, truths));
}

/** Each query's tag metrics (evaluateTagger's means are theirs; the bootstrap intervals resample them). */
export function tagEachQuery(
  labels: CsrMatrix,
  space: LabelSpace | null,
  tagger: Tagger,
  inputs: TagInput[],
  truths: { cols: Set<number>; count: number }[],
): TagMetrics[] {
  return inputs.map((input, q) => {
    const ranked = rankTags(tagScores(labels, space, tagger, input)).map((t) => t.col);
    return tagQueryMetrics(ranked, truths[q].cols, truths[q].count);
  });
}

/** The tagger kept unless another tags the hold-out better by more than noise: the vote of the 10 nearest, three
 *  quarters by look when raw features are there, else half decoded when there is a label space. */
export function steadyTagger(space: LabelSpace | null, hasFeatures: boolean): Tagger {
  if (hasFeatures) return { method: 'hybrid', k: 10, weighting: 'softmax', alpha: 0.75 };
  return { method: space ? 'mix' : 'vote', k: 10, weighting: 'softmax' };
}

/** The tagger that tags the given (hold-out) queries best by MAP, among every method (decode only with a label
 *  space) and every vote size; ties keep the simpler one (earlier in the lists). It replaces the steady tagger only
 *  when the paired bootstrap interval of their MAP difference over these queries leaves out 0: on a small hold-out
 *  (25 emoji) the best candidate was often best by chance and tagged the reported queries far worse. */
export function chooseTagger(
  labels: CsrMatrix,
  space: LabelSpace | null,
  inputs: TagInput[],
  truths: { cols: Set<number>; count: number }[],
): { tagger: Tagger; map: number; tried: { tagger: Tagger; map: number }[] } {
  const tried: { tagger: Tagger; map: number; per: number[] }[] = [];
  const hasFeatures = inputs.every((i) => i.featureNeighbours);
  for (const method of TAG_METHODS) {
    if ((method === 'decode' || method === 'mix') && !space) continue;
    if (method === 'hybrid' && !hasFeatures) continue;
    for (const k of method === 'decode' ? [VOTE_KS[0]] : VOTE_KS) {
      for (const alpha of method === 'hybrid' ? HYBRID_ALPHAS : [undefined]) {
        const tagger: Tagger = { method, k, weighting: 'softmax', ...(alpha === undefined ? {} : { alpha }) };
        const per = tagEachQuery(labels, space, tagger, inputs, truths).map((m) => m.map);
        tried.push({ tagger, map: per.reduce((a, b) => a + b, 0) / Math.max(per.length, 1), per });
      }
    }
  }
  const best = tried.reduce((a, b) => (b.map > a.map ? b : a));
  const steady = steadyTagger(space, hasFeatures);
  const kept = tried.find((t) => t.tagger.method === steady.method && t.tagger.k === steady.k && t.tagger.alpha === steady.alpha);
  const chosen = kept && best !== kept && !new Bootstrap(inputs.length, 17).difference(best.per, kept.per).significant ? kept : best;
  return { tagger: chosen.tagger, map: chosen.map, tried: tried.map(({ tagger, map }) => ({ tagger, map })) };
}

/** Precision@k of one ranking against a relevance test. */
export function precisionAt(ranked: ArrayLike<number>, k: number, relevant: (i: number) => boolean): number {
  const m = Math.min(k, ranked.length);
  let hits = 0;
  for (let i = 0; i < m; i++) if (relevant(ranked[i])) hits++;
  return m ? hits / k : 0;
}

/** Cosine ranking of rows (n x dim, any length) against one query vector: the best k row positions. */
export function cosineTop(rows: Float32Array, dim: number, query: ArrayLike<number>, k: number): Int32Array {
  const n = rows.length / dim;
  const scores = new Float32Array(n);
  let qn = 0;
  for (let d = 0; d < dim; d++) qn += query[d] * query[d];
  qn = Math.sqrt(qn) || 1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    let rn = 0;
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      s += rows[o + d] * query[d];
      rn += rows[o + d] * rows[o + d];
    }
    scores[i] = rn > 0 ? s / (Math.sqrt(rn) * qn) : -2;
  }
  return topK(scores, k);
}

/** The mean of the rows of `x` (dim wide) at the given positions. */
export function meanRow(x: Float32Array, dim: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(dim);
  for (let i = 0; i < rows.length; i++) for (let d = 0; d < dim; d++) out[d] += x[rows[i] * dim + d];
  if (rows.length) for (let d = 0; d < dim; d++) out[d] /= rows.length;
  return out;
}

// ---- suspicious labels -----------------------------------------------------------------------------------------

export type SuggestionKind = 'remove' | 'add';

export interface Suggestion {
  imageId: string;
  labelName: string;
  kind: SuggestionKind;
  /** The given confidence (remove) or 0 (add). */
  given: number;
  /** The predicted score of the label for this image. */
  predicted: number;
  /** How strongly the model disagrees: given - predicted (remove) or predicted (add). */
  disagreement: number;
  /** Other training images carrying the label: the evidence the model has about it. */
  support: number;
}

/** A suggestion's key: what it is about, so a decision survives a new review of the same model or a new model. */
export const reviewKey = (x: Pick<Suggestion, 'imageId' | 'labelName' | 'kind'>) => `${x.imageId}\u0000${x.labelName}\u0000${x.kind}`;

export const SUGGEST = {
  /** A given label is suspicious when the prediction is this far below its confidence (for a label given at 1:
   *  fewer than a quarter of the image's neighbourhood carries it). Measured on planted errors (docs/METHODS.md):
   *  0.75 and 0.5 found more of them than 0.9 and 0.7 on every shard and put none lower in the list. */
  removeGap: 0.75,
  /** A missing label is suggested when predicted at least this strongly (half of the neighbourhood carries it). */
  addScore: 0.5,
  /** At most this many suggestions are kept, strongest first. */
  max: 2000,
  /** A label carried by fewer other training images is never suggested: the model cannot know it (a label of one
   *  image is always "predicted near zero"). */
  minSupport: 5,
};

/** Suggestions for one labelled image from its dense predicted scores: given labels predicted near zero, strong
 *  predictions that are missing (a label marked absent, Confidence 0, is never suggested again). */
export function suggestFor(
  imageId: string,
  given: { labelName: string; confidence: number }[],
  negatives: Set<string>,
  vocabulary: string[],
  colOf: Map<string, number>,
  scores: Float64Array,
  /** Training images carrying each label (vocabulary order), and whether this image is one of them. */
  support: ArrayLike<number>,
  isReference: boolean,
  thresholds = SUGGEST,
): Suggestion[] {
  const out: Suggestion[] = [];
  const has = new Set<string>();
  for (const l of given) {
    has.add(l.labelName);
    const col = colOf.get(l.labelName);
    if (col === undefined) continue;
    const others = support[col] - (isReference ? 1 : 0);
    const predicted = scores[col];
    if (others >= thresholds.minSupport && l.confidence - predicted >= thresholds.removeGap)
      out.push({
        imageId,
        labelName: l.labelName,
        kind: 'remove',
        given: l.confidence,
        predicted,
        disagreement: l.confidence - predicted,
        support: others,
      });
  }
  for (let col = 0; col < scores.length; col++) {
    const s = scores[col];
    if (s < thresholds.addScore || support[col] < thresholds.minSupport) continue;
    const name = vocabulary[col];
    if (has.has(name) || negatives.has(name)) continue;
    out.push({ imageId, labelName: name, kind: 'add', given: 0, predicted: s, disagreement: s, support: support[col] });
  }
  return out;
}

/** All suggestions, strongest disagreement first (then the best-supported label, then by ImageID and label), at
 *  most `max`. */
export function sortSuggestions(all: Suggestion[], max = SUGGEST.max): Suggestion[] {
  return all
    .sort(
      (a, b) =>
        b.disagreement - a.disagreement ||
        b.support - a.support ||
        (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0) ||
        (a.labelName < b.labelName ? -1 : a.labelName > b.labelName ? 1 : 0),
    )
    .slice(0, max);
}

// ---- per-label quality -------------------------------------------------------------------------------------------

export interface LabelQuality {
  labelName: string;
  /** Evaluation queries carrying the label. */
  queries: number;
  trained: number;
  featureKnn: number;
  /** Positions (in the evaluation's query order) of its worst queries by the trained ranking, worst first. */
  worst: number[];
}

/** For each label carried by at least `minQueries` evaluation queries (the most frequent `maxLabels`), the mean
 *  precision@k of those queries, trained and raw-feature kNN, with its worst queries. */
export function labelQuality(
  queryLabels: string[][],
  trained: ArrayLike<number>,
  featureKnn: ArrayLike<number>,
  { minQueries = 3, maxLabels = 200, worst = 5 } = {},
): LabelQuality[] {
  const byLabel = new Map<string, number[]>();
  queryLabels.forEach((ls, q) => {
    for (const l of ls) {
      let list = byLabel.get(l);
      if (!list) byLabel.set(l, (list = []));
      list.push(q);
    }
  });
  const rows: LabelQuality[] = [];
  for (const [labelName, qs] of byLabel) {
    if (qs.length < minQueries) continue;
    const mean = (a: ArrayLike<number>) => qs.reduce((s, q) => s + a[q], 0) / qs.length;
    rows.push({
      labelName,
      queries: qs.length,
      trained: mean(trained),
      featureKnn: mean(featureKnn),
      worst: [...qs].sort((a, b) => trained[a] - trained[b] || a - b).slice(0, worst),
    });
  }
  return rows.sort((a, b) => b.queries - a.queries || (a.labelName < b.labelName ? -1 : 1)).slice(0, maxLabels);
}

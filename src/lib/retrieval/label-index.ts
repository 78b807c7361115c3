// The collection in label space, for one trained model: the references indexed by their own labels (their
// label-embedding vectors) and every other image with features indexed by the vector the net predicts for it
// (unlabelled images always; validation and test images when the person asks). It ranks a query vector over both,
// tags images from their neighbours, and finds the labels the model disagrees with. Pure: the training worker
// computes the net's outputs (TensorFlow.js) and hands them here.
import { csrFromRows, type CsrMatrix } from '../sparse';
import { topK } from './metrics';
import {
  DEFAULT_MINUS_STRENGTH,
  rankTags,
  sortSuggestions,
  suggestFor,
  tagScores,
  wordScore,
  type LabelSpace,
  type Suggestion,
  type Tagger,
  type WordQuery,
} from './tagging';
import type { TargetSpace } from './train-settings';
import { mixedPenalty, probesOf, spreadOf, typicalSpread, type Calibration } from './hubness';

export interface IndexImage {
  imageId: string;
  hash: string;
  split: string;
  labels: { labelName: string; confidence: number }[];
  negatives?: string[];
}

export interface Found {
  imageId: string;
  score: number;
  /** 'labels': a reference, placed by its own labels; 'prediction': placed by the net's prediction; 'look': ranked by
   *  raw-feature cosine alone (a collection without usable labels). */
  by: 'labels' | 'prediction' | 'look';
  /** The query is a copy of this image (re-encoded, resized): how many of the 256 perceptual-hash bits differ. */
  copyBits?: number;
  /** Where the ranking score is calibrated (CSLS: less a share of how near the image is to every query): the plain
   *  similarity, the figure a person reads. */
  similarity?: number;
}

export interface PredictedTag {
  labelName: string;
  score: number;
  /** The image carries this label (Confidence > 0). */
  given: boolean;
}

/** Similarity of a query vector to a row: cosine for the 'svd' target (unit rows), minus squared distance else. */
export function similarity(target: TargetSpace, q: ArrayLike<number>, rows: Float32Array, row: number, dim: number): number {
  let s = 0;
  const o = row * dim;
  if (target === 'svd') {
    for (let d = 0; d < dim; d++) s += q[d] * rows[o + d];
    return s;
  }
  for (let d = 0; d < dim; d++) s -= (q[d] - rows[o + d]) ** 2;
  return s;
}

/** Vote weights from ranking scores: the cosine for the 'svd' target, else equal weights. */
export function voteWeights(target: TargetSpace | 'sets', scores: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: scores.length }, (_, i) => (target === 'svd' ? scores[i] : 1));
}

/** An image's neighbourhood: the net's ranking of the references (with its scores), its predicted vector, and the
 *  nearest references by raw features (with cosines). */
export interface Neighbourhood {
  neighbours: ArrayLike<number>;
  scores: ArrayLike<number>;
  vector: Float32Array | null;
  featureNeighbours?: ArrayLike<number>;
  featureScores?: ArrayLike<number>;
}

export class LabelIndex {
  readonly refLabels: CsrMatrix;
  readonly colOf: Map<string, number>;
  readonly refPos: Map<string, number>;
  readonly byId: Map<string, IndexImage>;
  predicted: { ids: string[]; vectors: Float32Array; heldOut: Uint8Array } | null = null;
  /** How strongly a minus word pushes a query away (chosen on the hold-out at training; composeQuery). */
  minusStrength = DEFAULT_MINUS_STRENGTH;
  /** CSLS penalties (hubness.ts) times beta, per reference then per predicted image; null: plain similarity. */
  private penalty: Float32Array | null = null;
  /** With a calibration by spread: the typical query's spread of cosines over the index (0: none). */
  private spread = 0;
  /** References carrying each label (vocabulary order). */
  readonly support: Int32Array;

  /** The review's scorer: the tagger's neighbourhoods, but 25 neighbours weighted by plain similarity, so a score
   *  reads as the share of the neighbourhood carrying the label (the tagger's sharp weighting ranks labels well
   *  but calls every label its nearest neighbour lacks "0.00"). */
  get reviewTagger(): Tagger {
    const t = this.tagger;
    return {
      method: t.method === 'hybrid' ? 'hybrid' : 'vote',
      k: 25,
      weighting: 'cosine',
      ...(t.alpha === undefined ? {} : { alpha: t.alpha }),
    };
  }

  constructor(
    readonly references: string[],
    readonly vocabulary: string[],
    images: IndexImage[],
    readonly target: TargetSpace | 'sets',
    /** The references' vectors as the model ranks them (unit SVD rows, scaled layout); null for 'sets'. */
    readonly refVectors: Float32Array | null,
    readonly dim: number,
    readonly space: LabelSpace | null,
    readonly tagger: Tagger,
    /** How predicted images are calibrated against references (CSLS, chosen on the hold-out); null: not at all. */
    readonly calibration: Calibration | null = null,
  ) {
    this.byId = new Map(images.map((im) => [im.imageId, im]));
    this.colOf = new Map(vocabulary.map((l, i) => [l, i]));
    this.refPos = new Map(references.map((id, i) => [id, i]));
    this.refLabels = csrFromRows(
      references.map((id) =>
        (this.byId.get(id)?.labels ?? []).flatMap((l) => {
          const col = this.colOf.get(l.labelName);
          return col === undefined ? [] : [{ col, value: l.confidence }];
        }),
      ),
      vocabulary.length,
    );
    this.support = new Int32Array(vocabulary.length);
    for (const c of this.refLabels.colIdx) this.support[c]++;
  }

  /** Images that are not references: what the net's predictions index (unlabelled, validation, test). */
  unindexed(): IndexImage[] {
    return [...this.byId.values()].filter((im) => !this.refPos.has(im.imageId));
  }

  /** The other images' predicted vectors; `heldOut` (1 per image) marks those returned only when asked (labelled
   *  validation and test images), found from the images' splits when not given. */
  setPredicted(ids: string[], vectors: Float32Array, heldOut?: Uint8Array) {
    heldOut ??= Uint8Array.from(ids, (id) => {
      const im = this.byId.get(id);
      return im && im.split !== 'train' && im.labels.some((l) => l.confidence > 0) ? 1 : 0;
    });
    this.predicted = { ids, vectors, heldOut };
    this.penalty = null;
    this.spread = 0;
    const c = this.calibration;
    // Predicted vectors regress towards the centre of label space and would top everybody's results (hubs): each
    // image's score is lowered by beta times its mean cosine to its nearest typical queries (a seeded sample of
    // the predicted vectors), references and predicted images alike.
    if (c && c.beta > 0 && this.refVectors && this.target === 'svd' && ids.length > 0) {
      const probes = probesOf(vectors, this.dim);
      const penalty = mixedPenalty(this.refVectors, vectors, probes, this.dim, 'both');
      for (let i = 0; i < penalty.length; i++) penalty[i] *= c.beta;
      this.penalty = penalty;
      // A query whose cosines spread less than the typical one (a prediction near the centre, alike to everything)
      // has its penalties shrunk in proportion, so they cannot outweigh its similarities.
      if (c.spread) this.spread = typicalSpread(this.refVectors, vectors, probes, this.dim);
    }
  }

  /** A query's plain similarities to the references and to the predicted images (every one: the spread counts
   *  them all), and the share of the penalties it gets. */
  private plainOf(
    q: ArrayLike<number> | WordQuery,
    refs: boolean,
  ): { refs: Float32Array | null; pred: Float32Array | null; share: number } {
    const p = this.predicted && this.target !== 'sets' ? this.predicted : null;
    const ofRefs = refs || this.spread > 0;
    const plainRefs =
      ofRefs && this.refVectors ? Float32Array.from(this.references, (_, r) => this.similarity(q, this.refVectors!, r)) : null;
    const plainPred = p ? Float32Array.from(p.ids, (_, i) => this.similarity(q, p.vectors, i)) : null;
    let share = 1;
    if (this.spread > 0 && plainRefs && plainPred) {
      const all = new Float32Array(plainRefs.length + plainPred.length);
      all.set(plainRefs);
      all.set(plainPred, plainRefs.length);
      share = Math.min(1, spreadOf(all) / this.spread);
    }
    return { refs: plainRefs, pred: plainPred, share };
  }

  /** The best k over references (their label vectors) and predicted images, for a query vector in label space or a
   *  query by words (composeQuery: minus words lower the score of what carries them). */
  search(q: ArrayLike<number> | WordQuery, k: number, includeHeldOut: boolean, exclude?: string): Found[] {
    const plain = this.plainOf(q, true);
    return [...this.byLabels(plain.refs, plain.share, k), ...this.byPrediction(plain.pred, plain.share, k, includeHeldOut)]
      .filter((f) => f.imageId !== exclude)
      .sort((a, b) => b.score - a.score || (a.by === b.by ? 0 : a.by === 'labels' ? -1 : 1))
      .slice(0, k);
  }

  /** The k + 1 references nearest to a point of label space, by their own labels. */
  private byLabels(plain: Float32Array | null, share: number, k: number): Found[] {
    if (!plain) return [];
    const n = this.references.length;
    const scores = new Float32Array(n);
    for (let r = 0; r < n; r++) scores[r] = plain[r] - share * (this.penalty?.[r] ?? 0);
    return Array.from(topK(scores, k + 1), (r) => this.found(this.references[r], scores[r], plain[r], 'labels'));
  }

  /** The k + 1 other images (unlabelled; validation and test when asked) nearest by their predicted vectors. */
  private byPrediction(plain: Float32Array | null, share: number, k: number, includeHeldOut: boolean): Found[] {
    const p = this.predicted;
    if (!p || !plain) return [];
    const n = p.ids.length;
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++)
      scores[i] = p.heldOut[i] && !includeHeldOut ? -Infinity : plain[i] - share * (this.penalty?.[this.references.length + i] ?? 0);
    const found: Found[] = [];
    for (const i of topK(scores, k + 1)) if (scores[i] > -Infinity) found.push(this.found(p.ids[i], scores[i], plain[i], 'prediction'));
    return found;
  }

  private found(imageId: string, score: number, plain: number, by: 'labels' | 'prediction'): Found {
    return this.penalty ? { imageId, score, by, similarity: plain } : { imageId, score, by };
  }

  private similarity(q: ArrayLike<number> | WordQuery, rows: Float32Array, row: number): number {
    if ('toward' in q) return wordScore(q, rows, row, this.dim);
    return similarity(this.target as TargetSpace, q, rows, row, this.dim);
  }

  /** Adds predicted images to a ranking of references (the net's own ranking), keeping the best k. */
  withPredicted(
    refs: { imageId: string; score: number }[],
    q: ArrayLike<number> | null,
    k: number,
    includeHeldOut: boolean,
    exclude?: string,
  ): Found[] {
    const fromRefs: Found[] = refs.map((r) => ({ ...r, by: 'labels' }));
    if (!q || !this.predicted || this.target === 'sets') return fromRefs.filter((f) => f.imageId !== exclude).slice(0, k);
    // Only the predicted images are ranked here: the net's own ranking stands for the references.
    const plain = this.plainOf(q, false);
    const fromPred = this.byPrediction(plain.pred, plain.share, k, includeHeldOut).filter((f) => f.imageId !== exclude);
    return [...fromRefs.filter((f) => f.imageId !== exclude), ...fromPred].sort((a, b) => b.score - a.score).slice(0, k);
  }

  /** Predicted labels of an image from its neighbours (reference positions, best first, with ranking scores) and
   *  its predicted vector; `imageId` names it when it is in the shard (its own labels are marked, and a
   *  reference never votes for itself). */
  tags(near: Neighbourhood, imageId: string | null, max = 12): PredictedTag[] {
    const dense = this.denseTags(near, imageId);
    const given = new Set((imageId ? (this.byId.get(imageId)?.labels ?? []) : []).filter((l) => l.confidence > 0).map((l) => l.labelName));
    return rankTags(dense, max).map((t) => ({
      labelName: this.vocabulary[t.col],
      score: t.score,
      given: given.has(this.vocabulary[t.col]),
    }));
  }

  /** Dense tag scores of an image (the vocabulary's order), for the review and the export. */
  denseTags(near: Neighbourhood, imageId: string | null, tagger: Tagger = this.tagger): Float64Array {
    return tagScores(this.refLabels, this.space, tagger, {
      neighbours: near.neighbours,
      weights: voteWeights(this.target, near.scores),
      vector: near.vector,
      self: imageId !== null ? (this.refPos.get(imageId) ?? -1) : -1,
      featureNeighbours: near.featureNeighbours,
      featureWeights: near.featureScores,
    });
  }

  /** The review list: over labelled images (dense scores given per image), strongest disagreement first. */
  suggestions(scored: { imageId: string; scores: Float64Array }[]): Suggestion[] {
    const all: Suggestion[] = [];
    for (const { imageId, scores } of scored) {
      const im = this.byId.get(imageId);
      if (!im) continue;
      const given = im.labels.filter((l) => l.confidence > 0);
      if (given.length === 0) continue;
      all.push(
        ...suggestFor(
          imageId,
          given,
          new Set(im.negatives ?? []),
          this.vocabulary,
          this.colOf,
          scores,
          this.support,
          this.refPos.has(imageId),
        ),
      );
    }
    return sortSuggestions(all);
  }
}

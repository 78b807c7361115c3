// Hubs and how to keep them out. In a high-dimensional space some points sit near many others and show up in
// everybody's results (Radovanovic et al. 2010, "Hubs in space"). The 'embedding' head's predictions regress
// towards the centre of label space, so images placed by prediction become such hubs among the references, which
// are placed by their own (sharp) labels. Measured here as the k-occurrence: the share of queries whose top k holds
// an image, and the share whose top k holds it although it shares no label with the query. Reduced by CSLS (Conneau
// et al. 2018, "Word translation without parallel data"): an item's score to a query is lowered by the mean
// similarity of the item to its K nearest "typical queries", beta * r(x), so an item near everything loses its
// head start. Pure.
import { topK } from './metrics';
import { seededRandom } from '../random';

/** Neighbours K of the CSLS penalty: the mean of an item's K best similarities to the probes. */
export const CSLS_K = 10;

/** r(x) of n unit rows (dim each) against p unit probe rows: the mean of each row's `kNear` largest cosines. */
export function meanNearestSimilarity(rows: Float32Array, probes: Float32Array, dim: number, kNear = CSLS_K): Float32Array {
  const n = rows.length / dim;
  const p = probes.length / dim;
  const k = Math.max(1, Math.min(kNear, p));
  const out = new Float32Array(n);
  const sims = new Float32Array(p);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let j = 0; j < p; j++) {
      let s = 0;
      const q = j * dim;
      for (let d = 0; d < dim; d++) s += rows[o + d] * probes[q + d];
      sims[j] = s;
    }
    let sum = 0;
    for (const j of topK(sims, k)) sum += sims[j];
    out[i] = p ? sum / k : 0;
  }
  return out;
}

export interface HubnessReport {
  /** Queries and the size of the lists counted. */
  queries: number;
  k: number;
  /** The largest share of queries whose top k holds one image. */
  max_share: number;
  /** The same, counting only queries with which that image shares no label (a hub the labels do not explain). */
  max_irrelevant_share: number;
  /** Images in the top k of more than 5% of queries while sharing no label with them. */
  over_five_percent: number;
  /** The images most often in the top k, with their shares. */
  top: { item: number; share: number; irrelevant_share: number }[];
  /** Of all top-k places, the share taken by each kind of item (when kinds are given). */
  places?: Record<string, number>;
}

/**
 * The k-occurrence of n items over query lists (item positions, best first). `relevant(q, item)` says whether an
 * item shares a label with a query; `kindOf(item)` (optional) names its kind ('labels', 'prediction') for `places`.
 */
export function hubness(
  lists: ArrayLike<number>[],
  items: number,
  k: number,
  relevant: (q: number, item: number) => boolean,
  kindOf?: (item: number) => string,
): HubnessReport {
  const all = new Int32Array(items);
  const irrelevant = new Int32Array(items);
  const places: Record<string, number> = {};
  let total = 0;
  lists.forEach((list, q) => {
    for (let i = 0; i < Math.min(k, list.length); i++) {
      const item = list[i];
      all[item]++;
      if (!relevant(q, item)) irrelevant[item]++;
      if (kindOf) places[kindOf(item)] = (places[kindOf(item)] ?? 0) + 1;
      total++;
    }
  });
  const n = Math.max(lists.length, 1);
  const top = [...topK(all, 5)].map((item) => ({ item, share: all[item] / n, irrelevant_share: irrelevant[item] / n }));
  let maxIrrelevant = 0;
  let over = 0;
  for (let i = 0; i < items; i++) {
    maxIrrelevant = Math.max(maxIrrelevant, irrelevant[i]);
    if (irrelevant[i] / n > 0.05) over++;
  }
  const report: HubnessReport = {
    queries: lists.length,
    k,
    max_share: top.length ? top[0].share : 0,
    max_irrelevant_share: maxIrrelevant / n,
    over_five_percent: over,
    top,
  };
  if (kindOf) report.places = Object.fromEntries(Object.entries(places).map(([kind, c]) => [kind, c / Math.max(total, 1)]));
  return report;
}

/** One index of references (placed by their labels) and other images (placed by prediction), as the page ranks
 *  them: items 0..R-1 are the references, R.. the predicted images; each may carry a CSLS penalty. */
export interface MixedIndex {
  dim: number;
  /** R unit rows: the references' label vectors. */
  refs: Float32Array;
  /** P unit rows: the other images' predicted vectors. */
  predicted: Float32Array;
  /** r(x) per item (R + P), or null for plain cosine. */
  penalty: Float32Array | null;
  beta: number;
  /** Per item (R + P), a divisor of its penalised score (z-scored similarities), or absent. */
  scale?: Float32Array | null;
  /** The typical query's spread of cosines over the items: when given, a query whose cosines spread less (a
   *  prediction near the centre of label space, alike to everything) gets its penalties shrunk by its own spread
   *  over this one (never grown), so the penalties cannot outweigh its similarities. */
  spread?: number;
}

/** The standard deviation of a query's cosines. */
export function spreadOf(scores: Float32Array): number {
  let sum = 0;
  let sq = 0;
  for (const s of scores) {
    sum += s;
    sq += s * s;
  }
  const m = sum / Math.max(scores.length, 1);
  return Math.sqrt(Math.max(sq / Math.max(scores.length, 1) - m * m, 0));
}

/** Each query's k best items (positions in the mixed index), the query's own item left out (`selfOf`, -1: none). */
export function mixedLists(index: MixedIndex, queries: Float32Array, selfOf: (q: number) => number, k: number): Int32Array[] {
  const { dim, refs, predicted, penalty, beta, scale, spread } = index;
  const r = refs.length / dim;
  const n = r + predicted.length / dim;
  const plain = new Float32Array(n);
  const scores = new Float32Array(n);
  const lists: Int32Array[] = [];
  for (let q = 0, nq = queries.length / dim; q < nq; q++) {
    const o = q * dim;
    for (let i = 0; i < n; i++) {
      const rows = i < r ? refs : predicted;
      const p = (i < r ? i : i - r) * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += queries[o + d] * rows[p + d];
      plain[i] = s;
    }
    // The query's spread counts every item, its own too (as the page's index does).
    const b = spread ? beta * Math.min(1, spreadOf(plain) / spread) : beta;
    for (let i = 0; i < n; i++) scores[i] = penalty ? (plain[i] - b * penalty[i]) / (scale ? scale[i] : 1) : plain[i];
    const self = selfOf(q);
    if (self >= 0) scores[self] = -Infinity;
    lists.push(topK(scores, k));
  }
  return lists;
}

/** The penalties of a mixed index against the probes (typical queries' predicted vectors). 'both': every item's
 *  r(x) (CSLS as published); 'predicted': only the predicted images', less the references' mean r, so the
 *  references keep the ranking their labels give and a predicted image competes as an average reference would. */
export function mixedPenalty(
  refs: Float32Array,
  predicted: Float32Array,
  probes: Float32Array,
  dim: number,
  mode: 'both' | 'predicted' = 'predicted',
): Float32Array {
  const r = refs.length / dim;
  const out = new Float32Array(r + predicted.length / dim);
  const refR = meanNearestSimilarity(refs, probes, dim);
  const predR = meanNearestSimilarity(predicted, probes, dim);
  if (mode === 'both') {
    out.set(refR);
    out.set(predR, r);
    return out;
  }
  const mean = refR.reduce((a, b) => a + b, 0) / Math.max(r, 1);
  for (let i = 0; i < predR.length; i++) out[r + i] = predR[i] - mean;
  return out;
}

/** Each row's mean and standard deviation of its cosines to every probe (the item's own scale of similarity). */
export function similarityMoments(rows: Float32Array, probes: Float32Array, dim: number): { mean: Float32Array; sd: Float32Array } {
  const n = rows.length / dim;
  const p = probes.length / dim;
  const mean = new Float32Array(n);
  const sd = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let sq = 0;
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += rows[i * dim + d] * probes[j * dim + d];
      sum += s;
      sq += s * s;
    }
    const m = sum / Math.max(p, 1);
    mean[i] = m;
    sd[i] = Math.sqrt(Math.max(sq / Math.max(p, 1) - m * m, 1e-6));
  }
  return { mean, sd };
}

/** Each query's spread (standard deviation) of cosines to every item of a mixed index. */
export function querySpreads(refs: Float32Array, predicted: Float32Array, queries: Float32Array, dim: number): Float32Array {
  const r = refs.length / dim;
  const n = r + predicted.length / dim;
  const p = queries.length / dim;
  const sims = new Float32Array(n);
  const out = new Float32Array(p);
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < n; i++) {
      const rows = i < r ? refs : predicted;
      const o = (i < r ? i : i - r) * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += queries[j * dim + d] * rows[o + d];
      sims[i] = s;
    }
    out[j] = spreadOf(sims);
  }
  return out;
}

/** Items that stand for an index when its typical spread is measured: a seeded sample of at most this many. */
export const SPREAD_ITEMS = 4000;

/** The typical query's spread of cosines over a mixed index: the mean over the probes, each against a seeded
 *  sample of at most SPREAD_ITEMS of the index's items (references and predicted images alike). */
export function typicalSpread(refs: Float32Array, predicted: Float32Array, probes: Float32Array, dim: number, seed = 5): number {
  const r = refs.length / dim;
  const n = r + predicted.length / dim;
  let items = { refs, predicted };
  if (n > SPREAD_ITEMS) {
    const random = seededRandom(seed);
    const picked = Array.from({ length: SPREAD_ITEMS }, () => Math.floor(random() * n));
    const pick = (rows: Float32Array, at: number[]) => {
      const out = new Float32Array(at.length * dim);
      at.forEach((i, j) => out.set(rows.subarray(i * dim, (i + 1) * dim), j * dim));
      return out;
    };
    items = {
      refs: pick(
        refs,
        picked.filter((i) => i < r),
      ),
      predicted: pick(
        predicted,
        picked.filter((i) => i >= r).map((i) => i - r),
      ),
    };
  }
  const spreads = querySpreads(items.refs, items.predicted, probes, dim);
  return spreads.reduce((a, b) => a + b, 0) / Math.max(spreads.length, 1);
}

/** The CSLS strengths tried on the hold-out (0: plain cosine). */
export const CSLS_BETAS = [0, 0.5, 1];
/** At most this many predicted vectors stand for the typical queries (a seeded sample): r(x) costs items x probes. */
export const CSLS_PROBES = 500;

/** How a model's index calibrates images placed by prediction against references (chosen on the hold-out). */
export interface Calibration {
  method: 'csls';
  beta: number;
  k: number;
  /** Each query's penalties times its spread of cosines over the typical query's, at most 1 (absent: false). */
  spread?: boolean;
}

/** A seeded sample of at most CSLS_PROBES rows of `rows` (unit, dim each): the typical queries. */
export function probesOf(rows: Float32Array, dim: number, seed = 1): Float32Array {
  const n = rows.length / dim;
  if (n <= CSLS_PROBES) return rows;
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < CSLS_PROBES; i++) {
    const j = i + Math.floor(random() * (n - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out = new Float32Array(CSLS_PROBES * dim);
  for (let i = 0; i < CSLS_PROBES; i++) out.set(rows.subarray(order[i] * dim, (order[i] + 1) * dim), i * dim);
  return out;
}

/** Measures the page's mixed index on labelled queries placed by prediction: the references by their labels and the
 *  queries themselves by their predicted vectors (each left out of its own list), with CSLS at `beta` (probes: the
 *  queries' own vectors). Precision@k (shares a label), the predicted images' share of the places against their
 *  share of the items, and the lists' hubness. */
export function mixedEvaluation(
  labels: { rowPtr: Int32Array; colIdx: Int32Array; values: Float32Array },
  refVectors: Float32Array,
  refRows: Int32Array,
  predicted: Float32Array,
  predictedRows: Int32Array,
  dim: number,
  beta: number,
  k = 10,
  mode: 'csls' | 'z' | 'spread' | 'ratio' = 'csls',
): MixedEvaluation {
  const r = refRows.length;
  let penalty = beta ? mixedPenalty(refVectors, predicted, probesOf(predicted, dim), dim, 'both') : null;
  const spread = mode === 'spread' && beta ? typicalSpread(refVectors, predicted, probesOf(predicted, dim), dim) : undefined;
  let scale: Float32Array | null = null;
  if (mode === 'ratio' && penalty) {
    // Each item's cosine divided by its r(x) to the power beta: a low cosine stays low whatever the item's r(x).
    scale = penalty.map((x) => Math.max(x, 0.05) ** beta);
    penalty = new Float32Array(penalty.length);
  }
  if (mode === 'z' && beta) {
    const probes = probesOf(predicted, dim);
    const a = similarityMoments(refVectors, probes, dim);
    const b = similarityMoments(predicted, probes, dim);
    penalty = new Float32Array(r + b.mean.length);
    scale = new Float32Array(r + b.mean.length);
    penalty.set(a.mean);
    penalty.set(b.mean, r);
    scale.set(a.sd);
    scale.set(b.sd, r);
  }
  const lists = mixedLists({ dim, refs: refVectors, predicted, penalty, beta, scale, spread }, predicted, (q) => r + q, k);
  const rowOf = (item: number) => (item < r ? refRows[item] : predictedRows[item - r]);
  const cache = new Map<number, Set<number>>();
  const labelsOf = (row: number) => {
    let set = cache.get(row);
    if (!set) {
      set = new Set<number>();
      for (let p = labels.rowPtr[row]; p < labels.rowPtr[row + 1]; p++) if (labels.values[p] > 0) set.add(labels.colIdx[p]);
      cache.set(row, set);
    }
    return set;
  };
  const relevant = (q: number, item: number) => {
    const own = labelsOf(predictedRows[q]);
    for (const c of labelsOf(rowOf(item))) if (own.has(c)) return true;
    return false;
  };
  // The fifth of the queries whose cosines spread least: predictions near the centre of label space, where a
  // penalty can outweigh the similarities (the weakness of CSLS that `spread` answers).
  const spreads = querySpreads(refVectors, predicted, predicted, dim);
  const central = new Set(
    topK(
      spreads.map((x) => -x),
      Math.max(1, Math.floor(spreads.length / 5)),
    ),
  );
  let precision = 0;
  let centralPrecision = 0;
  lists.forEach((list, q) => {
    let hits = 0;
    for (const item of list) if (relevant(q, item)) hits++;
    precision += hits / k;
    if (central.has(q)) centralPrecision += hits / k;
  });
  const hub = hubness(lists, r + predictedRows.length, k, relevant, (item) => (item < r ? 'labels' : 'prediction'));
  return {
    beta,
    ...(spread ? { spread: true } : {}),
    precision_at_k: lists.length ? precision / lists.length : 0,
    central_precision_at_k: central.size ? centralPrecision / central.size : 0,
    predicted_share: hub.places?.prediction ?? 0,
    predicted_items: predictedRows.length / Math.max(r + predictedRows.length, 1),
    max_share: hub.max_share,
    max_irrelevant_share: hub.max_irrelevant_share,
    over_five_percent: hub.over_five_percent,
  };
}

export interface MixedEvaluation {
  beta: number;
  /** The penalties shrunk by each query's spread (Calibration.spread). */
  spread?: boolean;
  precision_at_k: number;
  /** The share of the top-k places taken by images placed by prediction… */
  predicted_share: number;
  /** …and their share of the index's items. */
  predicted_items: number;
  max_share: number;
  max_irrelevant_share: number;
  over_five_percent: number;
  /** Precision@k over the fifth of the queries whose cosines to the items spread least (central predictions). */
  central_precision_at_k: number;
}

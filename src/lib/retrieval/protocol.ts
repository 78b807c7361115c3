// The training worker's methods (workers/train.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { ProgressEvent } from '../progress';
import type { BackendChoice, BackendName } from '../features/backend';
import type { EmbeddingSettings } from '../embedding/run';
import type { EpochReport, FeatureLayer, TrainSettings } from './train-settings';
import type { BackendFallback, WorkerFault } from '../faults';
import type { Suggestion, TagMetrics, Tagger } from './tagging';
import type { Found, PredictedTag } from './label-index';
import type { Difference, Interval } from './bootstrap';
import type { MixedEvaluation } from './hubness';
import type { ReviewEvaluation } from './review-eval';

/** Tagging measured on the reported queries treated as unlabelled (report key evaluation.tagging). */
export interface TaggingEvaluation extends TagMetrics {
  queries: number;
  /** The tagger chosen on the selection queries. */
  method: Tagger['method'];
  k: number;
  alpha?: number;
  /** Confidence-weighted vote of the k nearest training images by raw-feature cosine. */
  baseline: TagMetrics;
  /** Every tagger tried: its MAP on the selection queries (where it was chosen) and on the reported ones. */
  candidates?: { method: Tagger['method']; k: number; alpha?: number; selection_map: number; map: number }[];
  /** How many of the reported queries the candidates' `map` was measured on (a seeded sample of at most 2,000). */
  candidates_queries?: number;
}

/** Frequent labels as queries over the reported queries, indexed by prediction only (evaluation.label_query). */
export interface LabelQueryEvaluation {
  queries: number;
  k: number;
  precision_at_k: number;
  /** Raw-feature cosine to the mean feature of the training images carrying the label. */
  baseline_precision_at_k: number;
  /** "A - B" queries (B: the label that most often comes with A; relevant: carries A, not B). */
  minus?: {
    queries: number;
    /** The minus strength, chosen on the selection queries, and every strength tried there. */
    strength: number;
    holdout: { strength: number; precision_at_k: number; queries: number }[];
    precision_at_k: number;
    baseline_precision_at_k: number;
    /** The same queries answered the old way (B's direction subtracted from A's), for the record. */
    subtracted_precision_at_k: number;
    examples: [string, string][];
  };
}

/** One row of the per-label quality table: queries carrying the label, their mean precision@k. */
export interface QualityRow {
  labelName: string;
  queries: number;
  trained: number;
  feature_knn: number;
  /** Its worst queries by the trained ranking, worst first. */
  worst: { imageId: string; precision: number }[];
}

/** The rankings the evaluation compares: the net, raw-feature cosine kNN, random lists and the oracle. */
export type RankingMethod = 'trained' | 'feature_knn' | 'random' | 'oracle';
export const METHODS: readonly RankingMethod[] = ['trained', 'feature_knn', 'random', 'oracle'];

/** The evaluation table, in the report's shape. */
export interface RetrievalEvaluation {
  k: number;
  queries: number;
  /** Present when `queries` is a seeded sample: how many labelled query images the shard has. */
  queries_total?: number;
  references: number;
  score: Record<RankingMethod, number>;
  precision_at_k: Record<RankingMethod, number>;
  map: Record<RankingMethod, number>;
  tagging?: TaggingEvaluation;
  label_query?: LabelQueryEvaluation | null;
  /** The page's mixed index (references by labels, other images by prediction) on the reported queries placed by
   *  prediction: plain cosine against the calibration chosen on the hold-out (calibration.ts). */
  hubness?: HubnessEvaluation | null;
  /** The label review measured on label errors planted at load time (review-eval.ts; only then). */
  review?: ReviewEvaluation;
  /** 95% bootstrap intervals of every figure above (report key evaluation.ci); absent in models trained before. */
  ci?: EvaluationIntervals;
}

export interface HubnessEvaluation {
  k: number;
  queries: number;
  /** The CSLS strength chosen on the hold-out… */
  beta: number;
  /** …and whether each query's penalties shrink with its spread of cosines (Calibration.spread). */
  spread?: boolean;
  plain: MixedEvaluation;
  calibrated: MixedEvaluation;
  /** Every strength tried on the hold-out. */
  holdout: MixedEvaluation[];
}

/** The evaluation's uncertainty: percentile bootstrap intervals over the reported queries (over the asked labels for
 *  label queries), and paired intervals of the trained net minus its baseline (bootstrap.ts). */
export interface EvaluationIntervals {
  level: number;
  resamples: number;
  score: Record<RankingMethod, Interval>;
  precision_at_k: Record<RankingMethod, Interval>;
  map: Record<RankingMethod, Interval>;
  /** Trained minus raw-feature kNN, paired over the same queries. */
  difference: Record<'score' | 'precision_at_k' | 'map', Difference>;
  tagging?: {
    map: Interval;
    precision_at_1: Interval;
    precision_at_5: Interval;
    baseline: { map: Interval; precision_at_1: Interval; precision_at_5: Interval };
    /** Trained tagger's MAP minus the raw-feature vote's. */
    difference: Difference;
  };
  label_query?: {
    precision_at_k: Interval;
    baseline_precision_at_k: Interval;
    difference: Difference;
    minus?: { precision_at_k: Interval; baseline_precision_at_k: Interval; difference: Difference };
  };
}

export interface TrainRequest {
  shardId: string;
  embedding: EmbeddingSettings;
  train: TrainSettings;
  featureModelId: string;
  backend: BackendChoice;
  threads: number;
  /** Reuse a stored model with the same key (else retrain). */
  reuse: boolean;
  /** Faults to cause on purpose (tests, `npm run pipeline -- --inject`). */
  inject?: WorkerFault[];
}

/** Loads the shard's stored model (after a reload) so queries need no training. */
export interface RestoreRequest {
  shardId: string;
  backend: BackendChoice;
  threads: number;
}

export type QueryInput =
  | { kind: 'image'; imageId: string }
  /** An image from outside (a dropped file): its features, and its perceptual hash when it decoded (copies). */
  | { kind: 'features'; flatten: Float32Array; mixed7: Float32Array; phash?: number[] | null }
  | { kind: 'labels' };

export interface QueryRequest {
  shardId: string;
  query: QueryInput;
  k: number;
  /** Label words added to or taken from the query (LabelName): "like this one, plus snow, minus dog". */
  plus?: string[];
  minus?: string[];
  /** Also rank validation and test images (by their predicted vectors). Unlabelled images always take part. */
  includeHeldOut?: boolean;
}

export interface ImportRequest {
  shardId: string;
  file: Blob;
  featureModelId: string;
  backend: BackendChoice;
  threads: number;
}

export interface EpochEvent {
  type: 'epoch';
  report: EpochReport;
  total: number;
}

/** Training started again on another backend (the previous one was lost); the epoch curve starts over. */
export interface RestartEvent {
  type: 'restart';
  reason: string;
}

export interface ModelSummary {
  /** 'look-alike': no net; a collection without usable labels, ranked by raw-feature cosine (look-alike.ts).
   *  Absent: a trained or imported net. */
  engine?: 'look-alike';
  head: TrainSettings['head'];
  layer: TrainSettings['layer'];
  target: TrainSettings['target'];
  /** The feature model whose features the net reads (a dropped image is computed with it). */
  featureModelId: string;
  /** The features, layers and loss in one line (report key net.design). */
  design?: string;
  references: number;
  k: number;
  backend: BackendName | null;
  imported: boolean;
  history: EpochReport[];
  evaluation: RetrievalEvaluation | null;
  timingsMs: { train: number; evaluate: number };
  /** Trained now (false: a stored model was reused). */
  trained: boolean;
  /** What the epoch was chosen on (null for an imported model that does not say). */
  selection: { kind: 'holdout' | 'validation'; size: number } | null;
  tagger: Tagger;
  /** Queries by label words work (the 'embedding' head on the 'svd' target, with its label space). */
  labelQueries: boolean;
  quality: QualityRow[];
}

export interface TrainResult extends ModelSummary {
  /** Backends given up during this training (device lost, out of memory); empty when none. */
  fallbacks: BackendFallback[];
  /** Injected faults that were actually met. */
  faultsMet: WorkerFault[];
}

export interface QueryResult {
  /** Ranked images, best first, with the head's score (sigmoid output, cosine, or minus squared distance) and how
   *  each was placed: by its own labels (a reference) or by the net's prediction (unlabelled or held out). */
  results: Found[];
  /** The query image's predicted labels (none for a query by label words alone). */
  tags: PredictedTag[];
  ms: number;
}

export interface ReviewResult {
  suggestions: Suggestion[];
  /** Labelled images looked at. */
  images: number;
}

export interface PredictedLabelsResult {
  /** ImageID, LabelName, Confidence: every image's predicted labels (score at least `min`, at most `max` each). */
  rows: [string, string, number][];
  images: number;
}

export interface ExportRequest {
  shardId: string;
  /** Embed the base network's weights, so that the file runs where simage is not installed. */
  withExtractor?: boolean;
}

export interface ExportResult {
  file: Blob;
  name: string;
}

/** Search by look for a collection whose labels cannot define similarity: the features of this model and layer. */
export interface LookAlikeRequest {
  shardId: string;
  featureModelId: string;
  layer: FeatureLayer;
  k: number;
}

/** What the page shows of the look-alike engine: a model summary with no net, no curve and no evaluation. */
export function lookAlikeSummary(req: LookAlikeRequest, images: number, ms: number): ModelSummary {
  return {
    engine: 'look-alike',
    head: 'embedding',
    layer: req.layer,
    target: 'svd',
    featureModelId: req.featureModelId,
    references: images,
    k: req.k,
    backend: null,
    imported: false,
    history: [],
    evaluation: null,
    timingsMs: { train: 0, evaluate: ms },
    trained: false,
    selection: null,
    tagger: { method: 'vote', k: 10 },
    labelQueries: false,
    quality: [],
  };
}

export type TrainMethods = {
  /** Search by look made the shard's engine (no training); its summary. */
  lookAlike: Method<LookAlikeRequest, ProgressEvent, ModelSummary>;
  train: Method<TrainRequest, ProgressEvent | EpochEvent | RestartEvent, TrainResult>;
  /** The shard's stored model made current; null when none is stored. */
  restore: Method<RestoreRequest, never, ModelSummary | null>;
  query: Method<QueryRequest, never, QueryResult>;
  /** The current model's engine built now (the label index, the predicted images, the references' features), right
   *  after training, restoring or importing: the first query then waits for nothing the others do not. */
  prepare: Method<{ shardId: string }, never, { ms: number }>;
  export: Method<ExportRequest, never, ExportResult>;
  import: Method<ImportRequest, never, ModelSummary>;
  /** The labels the model disagrees with, over every labelled image, strongest first. */
  review: Method<{ shardId: string }, ProgressEvent, ReviewResult>;
  /** Every image's predicted labels (for predicted-labels.csv). */
  predictedLabels: Method<{ shardId: string; max?: number; min?: number }, ProgressEvent, PredictedLabelsResult>;
};

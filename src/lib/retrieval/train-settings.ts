// The retrieval net's settings and limits as data, without TensorFlow.js, so the page (settings, the training
// panel) can read them without loading the library; src/lib/retrieval/heads.ts builds and trains the nets.
import type { Metrics } from './metrics';

export type HeadKind = 'sets' | 'embedding';
export type FeatureLayer = 'flatten' | 'mixed7';
export type TargetSpace = 'svd' | 'layout';
export type TrainLoss = 'cosine' | 'listwise';
export const HEADS: readonly HeadKind[] = ['sets', 'embedding'];
export const FEATURE_LAYERS: readonly FeatureLayer[] = ['flatten', 'mixed7'];
export const TARGET_SPACES: readonly TargetSpace[] = ['svd', 'layout'];

export interface TrainSettings {
  head: HeadKind;
  layer: FeatureLayer;
  target: TargetSpace;
  epochs: number;
  patience: number;
  batchSize: number;
  /** Adam's step; 'auto': 1e-4 for 'sets' (the 2017 value), 1e-3 for 'embedding'. */
  learningRate: number | 'auto';
  dropout: number;
  hidden: number;
  /** Hidden layers of the 'embedding' head (absent: 1). */
  depth?: number;
  /** The 'embedding' head's loss on the 'svd' target (absent: 'cosine', regression to the label vector); 'listwise'
   *  adds a softmax cross-entropy that ranks the batch's references as their label vectors do. */
  loss?: TrainLoss;
  /** Standardise each feature dimension (z-scores over the trained images) while training; the finished net has the
   *  standardisation folded into its first layer, so it takes raw features like any other (absent: false). */
  standardise?: boolean;
  /** Retrieved references per query (the k of the score). */
  k: number;
  seed: number;
}

export const DEFAULT_TRAIN: TrainSettings = {
  head: 'embedding',
  layer: 'mixed7',
  target: 'svd',
  epochs: 60,
  patience: 8,
  batchSize: 128,
  learningRate: 'auto',
  dropout: 0.5,
  hidden: 1024,
  standardise: true,
  k: 100,
  seed: 1,
};
/** The 2017 net's own optimizer settings. */
export const SETS_LEARNING_RATE = 1e-4;

/** Bytes per output of the 'sets' head while training: the dense kernel and Adam's two moments, float32. */
export const setsBytesPerReference = (dim: number) => 3 * 4 * (dim + 1);
/** Memory the 'sets' head may take for its weights and Adam's moments (the page, the feature model and the
 *  references need room too; browsers cap a tab at a few GB). */
export const SETS_BUDGET_BYTES = 1.5 * 2 ** 30;
/** The 'sets' head's R at which its weights and optimizer state alone pass this budget. */
export const maxSetsReferences = (dim: number, budgetBytes = SETS_BUDGET_BYTES) => Math.floor(budgetBytes / setsBytesPerReference(dim));

export interface EpochReport {
  epoch: number;
  loss: number;
  validation: Metrics;
  best: boolean;
  ms: number;
}

// The feature model: Inception v3 as written by scripts/prepare-assets.mjs, and how its input is made.
// Invariant: the cache key of a feature is `${modelId}/${PREPROCESS_VERSION}` + content hash; change either the
// weights or the preprocessing and old features are never reused.

/** Bump when preprocessing changes (resize, compositing, scaling): cached features then no longer match. */
export const PREPROCESS_VERSION = 'p1';
export const INPUT_PX = 299;
export const FLATTEN_DIM = 2048;
export const MIXED7_DIM = 768;
export const MODEL_PATH = 'models/inception-v3/model.json';

export function featureModelId(modelJsonId: string): string {
  return `${modelJsonId}/${PREPROCESS_VERSION}`;
}

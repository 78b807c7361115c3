// The feature models, as scripts/prepare-assets.mjs writes them from the nsfwjs package, and how their input is made.
// Each model has two outputs, stored in the feature record's two fields, which are roles rather than names:
//   `flatten`: the model's last pooled layer (Inception v3 flatten_1, 2048-d; MobileNetV2 flatten_1 = GAP(out_relu), 1280-d)
//   `mixed7`:  a middle layer, globally average-pooled (Inception v3 mixed7, 768-d; MobileNetV2 block_13_expand_relu, 576-d)
// Invariant: the cache key of a feature is `${modelId}/${PREPROCESS_VERSION}` + content hash, where modelId names the
// model and the package version its weights came from; change the weights, the cut or the preprocessing and old
// features are never reused. Features of different models never mix: every reader asks for one model id.
import type { FeatureLayer } from '../retrieval/train-settings';

/** Bump when preprocessing changes (resize, compositing, scaling): cached features then no longer match. */
export const PREPROCESS_VERSION = 'p1';

export type FeatureModelName = 'inception-v3' | 'mobilenet-v2';
export const FEATURE_MODELS: readonly FeatureModelName[] = ['inception-v3', 'mobilenet-v2'];
export const DEFAULT_FEATURE_MODEL: FeatureModelName = 'inception-v3';

export interface FeatureModelSpec {
  name: FeatureModelName;
  title: string;
  /** model.json under the app's base. */
  path: string;
  /** Square input side: images are stretched to it. */
  inputPx: number;
  /** Each role's width and the model's own name for the layer behind it. */
  dims: Record<FeatureLayer, number>;
  layerNames: Record<FeatureLayer, string>;
  /** The layer the retrieval net reads unless told otherwise: the one that measured best (docs/METHODS.md). */
  defaultLayer: FeatureLayer;
}

export const MODEL_SPECS: Record<FeatureModelName, FeatureModelSpec> = {
  'inception-v3': {
    name: 'inception-v3',
    title: 'Inception v3',
    path: 'models/inception-v3/model.json',
    inputPx: 299,
    dims: { flatten: 2048, mixed7: 768 },
    layerNames: { flatten: 'flatten_1', mixed7: 'mixed7' },
    defaultLayer: 'mixed7',
  },
  'mobilenet-v2': {
    name: 'mobilenet-v2',
    title: 'MobileNetV2',
    path: 'models/mobilenet-v2/model.json',
    inputPx: 224,
    dims: { flatten: 1280, mixed7: 576 },
    layerNames: { flatten: 'out_relu', mixed7: 'block_13_expand' },
    defaultLayer: 'flatten',
  },
};

export function isFeatureModelName(value: unknown): value is FeatureModelName {
  return (FEATURE_MODELS as readonly unknown[]).includes(value);
}

/** The cache id of a model: the id its model.json declares (name@weights), then the preprocessing version. */
export function featureModelId(modelJsonId: string): string {
  return `${modelJsonId}/${PREPROCESS_VERSION}`;
}

/** The spec behind a cache id such as `mobilenet-v2@nsfwjs-4.2.1/p1` (ids without a known name are Inception v3's,
 *  the only model before there were two). */
export function specOfModelId(modelId: string): FeatureModelSpec {
  const name = modelId.split('@')[0];
  return isFeatureModelName(name) ? MODEL_SPECS[name] : MODEL_SPECS['inception-v3'];
}

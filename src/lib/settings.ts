// Settings are data: one typed object with defaults, limits and validation, read by the UI and (through the
// page's query string) by the CLI. Pure; persistence is the caller's.
import { BACKENDS, type BackendChoice } from './features/backend';
import { DEFAULT_FEATURE_MODEL, FEATURE_MODELS, isFeatureModelName, MODEL_SPECS, type FeatureModelName } from './features/model';
import { DEFAULT_EMBEDDING, LAYOUTS, type LayoutMethod } from './embedding/run';
import {
  DEFAULT_TRAIN,
  FEATURE_LAYERS,
  HEADS,
  TARGET_SPACES,
  type FeatureLayer,
  type HeadKind,
  type TargetSpace,
} from './retrieval/train-settings';

export interface Settings {
  /** The feature model: Inception v3 (the 2017 system's, the default) or MobileNetV2 (several times faster). */
  model: FeatureModelName;
  backend: BackendChoice;
  /** Images per forward pass. */
  batchSize: number;
  /** WASM threads; 0 = all cores. */
  threads: number;
  /** Longest side of a gallery thumbnail. */
  thumbnailPx: number;
  /** Label embedding: the 2-D method, the similar-set size, t-SNE perplexity and iterations. */
  layout: LayoutMethod;
  k: number;
  perplexity: number;
  iterations: number;
  /** Retrieval net: the head, the feature layer it reads, the embedding head's target space, the most epochs. */
  head: HeadKind;
  layer: FeatureLayer;
  target: TargetSpace;
  epochs: number;
}

export const DEFAULT_SETTINGS: Settings = {
  model: DEFAULT_FEATURE_MODEL,
  backend: 'auto',
  batchSize: 8,
  threads: 0,
  thumbnailPx: 96,
  layout: DEFAULT_EMBEDDING.layout,
  k: DEFAULT_EMBEDDING.k,
  perplexity: DEFAULT_EMBEDDING.perplexity,
  iterations: DEFAULT_EMBEDDING.iterations,
  head: DEFAULT_TRAIN.head,
  layer: DEFAULT_TRAIN.layer,
  target: DEFAULT_TRAIN.target,
  epochs: DEFAULT_TRAIN.epochs,
};

/** The settings that are a choice among names, and their names: the one list the settings panel, the page's
 *  address and the CLI (`--model`, `--backend`, ...) all take. */
export const SETTING_CHOICES = {
  model: FEATURE_MODELS,
  backend: ['auto', ...BACKENDS],
  layout: LAYOUTS,
  head: HEADS,
  layer: FEATURE_LAYERS,
  target: TARGET_SPACES,
} as const satisfies Partial<Record<keyof Settings, readonly string[]>>;

/** The settings that are a whole number, and their inclusive range (the panel's, the address's and the CLI's). */
export const SETTING_LIMITS = {
  batchSize: [1, 64],
  threads: [0, 64],
  thumbnailPx: [32, 256],
  k: [1, 1000],
  perplexity: [2, 200],
  iterations: [50, 10000],
  epochs: [1, 1000],
} as const satisfies Partial<Record<keyof Settings, readonly [number, number]>>;

/** A setting's name on the command line and in the page's address, where it differs from its key. */
export const SETTING_FLAGS: Partial<Record<keyof Settings, string>> = { batchSize: 'batch' };

const LIMITS = SETTING_LIMITS;
const oneOf = <K extends keyof typeof SETTING_CHOICES>(key: K, value: unknown): value is (typeof SETTING_CHOICES)[K][number] =>
  (SETTING_CHOICES[key] as readonly unknown[]).includes(value);

function clampInt(value: unknown, [lo, hi]: readonly [number, number], fallback: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
}

/** Anything in, a valid Settings out: unknown keys dropped, bad values replaced by defaults. */
export function validateSettings(raw: Record<string, unknown>, base: Settings = DEFAULT_SETTINGS): Settings {
  const model = isFeatureModelName(raw.model) ? raw.model : base.model;
  return {
    model,
    backend: oneOf('backend', raw.backend) ? (raw.backend as BackendChoice) : base.backend,
    batchSize: clampInt(raw.batchSize ?? raw.batch, LIMITS.batchSize, base.batchSize),
    threads: clampInt(raw.threads, LIMITS.threads, base.threads),
    thumbnailPx: clampInt(raw.thumbnailPx, LIMITS.thumbnailPx, base.thumbnailPx),
    layout: oneOf('layout', raw.layout) ? raw.layout : base.layout,
    k: clampInt(raw.k, LIMITS.k, base.k),
    perplexity: clampInt(raw.perplexity, LIMITS.perplexity, base.perplexity),
    iterations: clampInt(raw.iterations, LIMITS.iterations, base.iterations),
    head: oneOf('head', raw.head) ? raw.head : base.head,
    // A model given without a layer brings its own best layer.
    layer: oneOf('layer', raw.layer) ? raw.layer : model !== base.model ? MODEL_SPECS[model].defaultLayer : base.layer,
    target: oneOf('target', raw.target) ? raw.target : base.target,
    epochs: clampInt(raw.epochs, LIMITS.epochs, base.epochs),
  };
}

/** The embedding part of the settings, as the embedding worker takes it. */
export function embeddingSettingsOf(s: Settings) {
  return { ...DEFAULT_EMBEDDING, layout: s.layout, k: s.k, perplexity: s.perplexity, iterations: s.iterations };
}

/** The retrieval-net part of the settings, as the training worker takes it (k: the number retrieved). */
export function trainSettingsOf(s: Settings) {
  return { ...DEFAULT_TRAIN, head: s.head, layer: s.layer, target: s.target, epochs: s.epochs, k: s.k };
}

/** A choice as a person reads it, in plain words before its code name (the code is what the URL and the CLI take). */
export const CHOICE_WORDS: Partial<Record<keyof Settings, Record<string, string>>> = {
  backend: {
    auto: 'automatic',
    webgpu: 'the GPU (WebGPU)',
    wasm: 'the CPU (WASM)',
    webgl: 'the GPU, older (WebGL)',
    cpu: 'plain JavaScript (cpu)',
  },
  layout: {
    tsne: 't-SNE, as in 2017 (tsne)',
    umap: 'UMAP, faster on large collections (umap)',
    svd: 'no map: cosine in label space (svd)',
  },
  head: { embedding: 'label space, ours (embedding)', sets: 'similar sets, 2017 (sets)' },
  target: { svd: 'the 50-d label space (svd)', layout: 'the 2-D map (layout)' },
};

/** What each setting does, in one line, for the settings panel (its default is DEFAULT_SETTINGS'). */
export const SETTING_INFO: Record<Exclude<keyof Settings, 'threads' | 'thumbnailPx'>, { label: string; help: string }> = {
  model: {
    label: 'Feature model',
    help: 'Which net turns images into features: Inception v3 (as in 2017) or MobileNetV2 (about 5x faster on a CPU, a little less precise).',
  },
  backend: { label: 'Backend', help: 'Where the nets run: auto picks WebGPU on a hardware GPU, else WASM on the CPU.' },
  batchSize: { label: 'Batch', help: 'Images per forward pass when computing features: larger is faster on a GPU, uses more memory.' },
  layout: { label: 'Layout', help: 'How labels become the map and the similar sets: t-SNE (as in 2017), UMAP, or cosine in label space.' },
  perplexity: { label: 'Perplexity', help: 't-SNE only: about how many neighbours each image keeps close on the map.' },
  iterations: { label: 'Iterations', help: 't-SNE only: more iterations settle the map further and take longer.' },
  k: { label: 'k', help: 'How many images a query returns, and the size of each image\u2019s "truly similar" set.' },
  head: { label: 'Head', help: 'embedding (ours) predicts where an image sits in label space; sets is the 2017 net.' },
  layer: {
    label: 'Feature layer',
    help: `Which output of the feature model the net reads: its middle layer (Inception v3 mixed7, ${MODEL_SPECS['inception-v3'].dims.mixed7}; MobileNetV2 block 13, ${MODEL_SPECS['mobilenet-v2'].dims.mixed7}) or its last (flatten_1, ${MODEL_SPECS['inception-v3'].dims.flatten} / ${MODEL_SPECS['mobilenet-v2'].dims.flatten}).`,
  },
  target: { label: 'Target', help: 'embedding head only: the 50-d label space (svd) or the 2-D map (layout).' },
  epochs: { label: 'Epochs', help: 'Most training epochs; training stops earlier once the validation score stops improving.' },
};

export type RecomputeStage = 'features' | 'embedding' | 'train';

/** The stages a change of settings makes stale for a loaded shard: the features (those of the other model are
 *  kept, and reused on the way back) and so the net for the model; the label embedding (and so the net trained
 *  on it) for layout, k, perplexity and iterations; the net alone for head, layer, target and epochs. Backend and
 *  batch change how later work runs, not what is stored. */
export function recomputeFor(before: Settings, after: Settings): RecomputeStage[] {
  const changed = (keys: (keyof Settings)[]) => keys.some((key) => before[key] !== after[key]);
  const embedding = changed(['layout', 'k', 'perplexity', 'iterations']);
  if (changed(['model'])) return embedding ? ['features', 'embedding', 'train'] : ['features', 'train'];
  if (embedding) return ['embedding', 'train'];
  if (changed(['head', 'layer', 'target', 'epochs'])) return ['train'];
  return [];
}

// Settings are data: one typed object with defaults, limits and validation, read by the UI and (through the
// page's query string) by the CLI. Pure; persistence is the caller's.
import { BACKENDS, type BackendChoice } from './features/backend';
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

const LIMITS = {
  batchSize: [1, 64],
  threads: [0, 64],
  thumbnailPx: [32, 256],
  k: [1, 1000],
  perplexity: [2, 200],
  iterations: [50, 10000],
  epochs: [1, 1000],
} as const;

function clampInt(value: unknown, [lo, hi]: readonly [number, number], fallback: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
}

/** Anything in, a valid Settings out: unknown keys dropped, bad values replaced by defaults. */
export function validateSettings(raw: Record<string, unknown>, base: Settings = DEFAULT_SETTINGS): Settings {
  const backend = raw.backend;
  return {
    backend: backend === 'auto' || (BACKENDS as readonly unknown[]).includes(backend) ? (backend as BackendChoice) : base.backend,
    batchSize: clampInt(raw.batchSize ?? raw.batch, LIMITS.batchSize, base.batchSize),
    threads: clampInt(raw.threads, LIMITS.threads, base.threads),
    thumbnailPx: clampInt(raw.thumbnailPx, LIMITS.thumbnailPx, base.thumbnailPx),
    layout: (LAYOUTS as readonly unknown[]).includes(raw.layout) ? (raw.layout as LayoutMethod) : base.layout,
    k: clampInt(raw.k, LIMITS.k, base.k),
    perplexity: clampInt(raw.perplexity, LIMITS.perplexity, base.perplexity),
    iterations: clampInt(raw.iterations, LIMITS.iterations, base.iterations),
    head: (HEADS as readonly unknown[]).includes(raw.head) ? (raw.head as HeadKind) : base.head,
    layer: (FEATURE_LAYERS as readonly unknown[]).includes(raw.layer) ? (raw.layer as FeatureLayer) : base.layer,
    target: (TARGET_SPACES as readonly unknown[]).includes(raw.target) ? (raw.target as TargetSpace) : base.target,
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

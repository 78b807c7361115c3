// The embedding worker's methods (workers/embedding.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { ProgressEvent } from '../progress';
import type { EmbeddingResult, EmbeddingSettings } from './run';
import type { DuplicateReport } from '../duplicates/groups';

export interface EmbedLabelsRequest {
  shardId: string;
  settings: EmbeddingSettings;
}

/** A snapshot of the layout while t-SNE or UMAP runs (transferred, not copied). */
export interface LayoutEvent {
  type: 'layout';
  /** Sent with the first snapshot only. */
  imageIds: string[] | null;
  layout: Float32Array;
  iteration: number;
  total: number;
  kl: number | null;
}

export interface EmbedLabelsResult extends EmbeddingResult {
  /** Found in IndexedDB for these settings and labels: nothing was computed. */
  cached: boolean;
}

/** The map of a collection whose labels cannot define similarity, laid out from its images' features. */
export interface EmbedFeaturesRequest {
  shardId: string;
  settings: EmbeddingSettings;
  featureModelId: string;
  layer: 'flatten' | 'mixed7';
}

/** Exact and near duplicates of a collection (src/lib/duplicates/groups.ts), from its content hashes and features. */
export interface DuplicatesRequest {
  shardId: string;
  featureModelId: string;
  layer: 'flatten' | 'mixed7';
  /** Cosine at or above which two images are near copies (default: the calibrated NEAR_DUPLICATE_COSINE). */
  threshold?: number;
  /** Perceptual-hash bits a near pair may differ in at most (default: the calibrated NEAR_DUPLICATE_HAMMING). */
  maxHamming?: number;
}

export type EmbeddingMethods = {
  duplicates: Method<DuplicatesRequest, ProgressEvent, DuplicateReport>;
  embedLabels: Method<EmbedLabelsRequest, ProgressEvent | LayoutEvent, EmbedLabelsResult>;
  embedFeatures: Method<EmbedFeaturesRequest, ProgressEvent | LayoutEvent, EmbedLabelsResult>;
};

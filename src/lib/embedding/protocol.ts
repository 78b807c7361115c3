// The embedding worker's methods (workers/embedding.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { ProgressEvent } from '../ingest/protocol';
import type { EmbeddingResult, EmbeddingSettings } from './run';

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

export type EmbeddingMethods = {
  embedLabels: Method<EmbedLabelsRequest, ProgressEvent | LayoutEvent, EmbedLabelsResult>;
};

// Messages between the page and workers/embedding.worker.ts.
import type { CancelRequest, ErrorReply, ProgressReply } from '../protocol';
import type { EmbeddingResult, EmbeddingSettings } from './run';

export interface EmbedLabelsRequest {
  type: 'embed-labels';
  jobId: number;
  shardId: string;
  settings: EmbeddingSettings;
}

/** A snapshot of the layout while t-SNE or UMAP runs (transferred, not copied). */
export interface LayoutReply {
  type: 'layout';
  jobId: number;
  imageIds: string[] | null;
  layout: Float32Array;
  iteration: number;
  total: number;
  kl: number | null;
}

export interface EmbedLabelsResult extends EmbeddingResult {
  type: 'result';
  jobId: number;
  /** Found in IndexedDB for these settings and labels: nothing was computed. */
  cached: boolean;
}

export type EmbeddingRequest = EmbedLabelsRequest | CancelRequest;
export type EmbeddingReply = ProgressReply | LayoutReply | EmbedLabelsResult | ErrorReply;

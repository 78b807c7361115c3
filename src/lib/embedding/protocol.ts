// Messages between the page and workers/embedding.worker.ts.
import type { CancelRequest, ErrorReply, ProgressReply } from '../protocol';
import type { EmbeddingSettings } from './run';

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

export interface EmbedLabelsResult {
  type: 'result';
  jobId: number;
  cached: boolean;
  imageIds: string[];
  layout: Float32Array;
  trainIndex: Int32Array;
  similar: Int32Array;
  k: number;
  similarSetScore: number;
  kl: number | null;
  uniqueRows: number;
  timingsMs: { svd: number; layout: number; sets: number };
}

export type EmbeddingRequest = EmbedLabelsRequest | CancelRequest;
export type EmbeddingReply = ProgressReply | LayoutReply | EmbedLabelsResult | ErrorReply;

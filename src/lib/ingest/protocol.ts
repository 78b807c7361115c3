// Messages between the page and workers/ingest.worker.ts.
import type { CancelRequest, ErrorReply, ProgressReply } from '../protocol';
import type { ShardSummary } from './assemble';
import type { ShardSource } from './source';

export interface LoadRequest {
  type: 'load';
  jobId: number;
  source: ShardSource;
  thumbnailPx: number;
}

export interface LoadResult {
  type: 'result';
  jobId: number;
  shardId: string;
  name: string;
  summary: ShardSummary;
  /** Images decoded in this run (new thumbnails); the rest were found in the cache by content hash. */
  decoded: number;
  elapsedMs: number;
}

export type IngestRequest = LoadRequest | CancelRequest;
export type IngestReply = ProgressReply | LoadResult | ErrorReply;

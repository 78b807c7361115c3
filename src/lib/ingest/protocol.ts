// The ingest worker's methods (workers/ingest.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { Progress } from '../progress';
import type { ShardSummary } from './assemble';
import type { ShardSource } from './source';

export interface LoadRequest {
  source: ShardSource;
  thumbnailPx: number;
}

export interface LoadResult {
  shardId: string;
  name: string;
  summary: ShardSummary;
  /** Images decoded in this run (new thumbnails); the rest were found in the cache by content hash. */
  decoded: number;
  elapsedMs: number;
}

export type ProgressEvent = { type: 'progress'; progress: Progress };

export type IngestMethods = {
  load: Method<LoadRequest, ProgressEvent, LoadResult>;
};

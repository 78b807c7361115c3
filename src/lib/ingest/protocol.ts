// The ingest worker's methods (workers/ingest.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { ProgressEvent } from '../progress';
import type { ShardSummary } from './assemble';
import type { ShardSource } from './source';
import type { FormatName } from './formats/types';

export interface LoadRequest {
  source: ShardSource;
  thumbnailPx: number;
  /** Images hashed, decoded and thumbnailed at once (default: two per core); 1 is the one-at-a-time ingest that
   *  `npm run bench -- ingest` compares against (`?inflight=1`). */
  inFlight?: number;
  /** false: decode every image whole for its thumbnail (the ingest before JPEGs were decoded at the thumbnail's size;
   *  `?ingest=one-at-a-time` sets this and inFlight 1, the baseline `npm run bench -- ingest` measures against). */
  scaledDecode?: boolean;
  /** The collection format, chosen by the person (`--format`, the load view); null or absent: detected. */
  format?: FormatName | null;
  /** Plant this share of label errors in the stored copy of the labels (plant.ts; `--plant-errors`, `?plant=`). */
  plantErrors?: number | null;
}

export interface LoadResult {
  shardId: string;
  name: string;
  summary: ShardSummary;
  /** Images decoded in this run (new thumbnails); the rest were found in the cache by content hash. */
  decoded: number;
  elapsedMs: number;
}

export type IngestMethods = {
  load: Method<LoadRequest, ProgressEvent, LoadResult>;
};

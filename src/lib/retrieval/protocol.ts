// The training worker's methods (workers/train.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { ProgressEvent } from '../ingest/protocol';
import type { BackendChoice, BackendName } from '../features/backend';
import type { EmbeddingSettings } from '../embedding/run';
import type { EpochReport, TrainSettings } from './train-settings';
import type { BackendFallback, WorkerFault } from '../faults';

/** The rankings the evaluation compares: the net, raw-feature cosine kNN, random lists and the oracle. */
export type RankingMethod = 'trained' | 'feature_knn' | 'random' | 'oracle';
export const METHODS: readonly RankingMethod[] = ['trained', 'feature_knn', 'random', 'oracle'];

/** The evaluation table, in the report's shape. */
export interface RetrievalEvaluation {
  k: number;
  queries: number;
  references: number;
  score: Record<RankingMethod, number>;
  precision_at_k: Record<RankingMethod, number>;
  map: Record<RankingMethod, number>;
}

export interface TrainRequest {
  shardId: string;
  embedding: EmbeddingSettings;
  train: TrainSettings;
  featureModelId: string;
  backend: BackendChoice;
  threads: number;
  /** Reuse a stored model with the same key (else retrain). */
  reuse: boolean;
  /** Faults to cause on purpose (tests, `npm run pipeline -- --inject`). */
  inject?: WorkerFault[];
}

/** Loads the shard's stored model (after a reload) so queries need no training. */
export interface RestoreRequest {
  shardId: string;
  backend: BackendChoice;
  threads: number;
}

export type QueryInput = { kind: 'image'; imageId: string } | { kind: 'features'; flatten: Float32Array; mixed7: Float32Array };

export interface QueryRequest {
  shardId: string;
  query: QueryInput;
  k: number;
}

export interface ImportRequest {
  shardId: string;
  file: Blob;
  featureModelId: string;
  backend: BackendChoice;
  threads: number;
}

export interface EpochEvent {
  type: 'epoch';
  report: EpochReport;
  total: number;
}

/** Training started again on another backend (the previous one was lost); the epoch curve starts over. */
export interface RestartEvent {
  type: 'restart';
  reason: string;
}

export interface ModelSummary {
  head: TrainSettings['head'];
  layer: TrainSettings['layer'];
  target: TrainSettings['target'];
  references: number;
  k: number;
  backend: BackendName | null;
  imported: boolean;
  history: EpochReport[];
  evaluation: RetrievalEvaluation | null;
  timingsMs: { train: number; evaluate: number };
  /** Trained now (false: a stored model was reused). */
  trained: boolean;
}

export interface TrainResult extends ModelSummary {
  /** Backends given up during this training (device lost, out of memory); empty when none. */
  fallbacks: BackendFallback[];
  /** Injected faults that were actually met. */
  faultsMet: WorkerFault[];
}

export interface QueryResult {
  /** Ranked references, best first, with the head's score (sigmoid output, cosine, or minus squared distance). */
  results: { imageId: string; score: number }[];
  ms: number;
}

export interface ExportResult {
  file: Blob;
  name: string;
}

export type TrainMethods = {
  train: Method<TrainRequest, ProgressEvent | EpochEvent | RestartEvent, TrainResult>;
  /** The shard's stored model made current; null when none is stored. */
  restore: Method<RestoreRequest, never, ModelSummary | null>;
  query: Method<QueryRequest, never, QueryResult>;
  export: Method<{ shardId: string }, never, ExportResult>;
  import: Method<ImportRequest, never, ModelSummary>;
};

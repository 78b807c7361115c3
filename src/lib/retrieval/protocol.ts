// Messages between the page and workers/train.worker.ts, and the model record it keeps in IndexedDB.
import type { CancelRequest, ErrorReply, ProgressReply } from '../protocol';
import type { BackendChoice, BackendName } from '../features/backend';
import type { EmbeddingSettings } from '../embedding/run';
import type { EpochReport, TrainSettings } from './heads';
import type { Metrics } from './metrics';
import type { ModelFileParts, ModelManifest } from './modelfile';
import type { BackendFallback, WorkerFault } from '../faults';

export type Method = 'trained' | 'feature_knn' | 'random' | 'oracle';
export const METHODS: readonly Method[] = ['trained', 'feature_knn', 'random', 'oracle'];

/** The evaluation table, in the report's shape. */
export interface RetrievalEvaluation {
  k: number;
  queries: number;
  references: number;
  score: Record<Method, number>;
  precision_at_k: Record<Method, number>;
  map: Record<Method, number>;
}

/** A trained (or imported) model as stored, one per shard. */
export interface StoredModel {
  shardId: string;
  /** What it was trained from and how: a stored model with the same key is reused instead of retrained. */
  trainKey: string;
  manifest: Omit<ModelManifest, 'files'>;
  modelJson: ModelFileParts['modelJson'];
  weights: ArrayBuffer;
  references: ArrayBuffer | null;
  history: EpochReport[];
  evaluation: RetrievalEvaluation | null;
  timingsMs: { train: number; evaluate: number };
  imported: boolean;
  savedAt: number;
}

export interface TrainRequest {
  type: 'train';
  jobId: number;
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
  type: 'restore';
  jobId: number;
  shardId: string;
  backend: BackendChoice;
  threads: number;
}

export type QueryInput = { kind: 'image'; imageId: string } | { kind: 'features'; flatten: Float32Array; mixed7: Float32Array };

export interface QueryRequest {
  type: 'query';
  jobId: number;
  shardId: string;
  query: QueryInput;
  k: number;
}

export interface ExportRequest {
  type: 'export';
  jobId: number;
  shardId: string;
}

export interface ImportRequest {
  type: 'import';
  jobId: number;
  shardId: string;
  file: Blob;
  featureModelId: string;
  backend: BackendChoice;
  threads: number;
}

export interface EpochReply {
  type: 'epoch';
  jobId: number;
  report: EpochReport;
  total: number;
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
  type: 'trained';
  jobId: number;
  /** Backends given up during this training (device lost, out of memory); empty when none. */
  fallbacks?: BackendFallback[];
  /** Injected faults that were actually met. */
  faultsMet?: string[];
}

export interface QueryResult {
  type: 'results';
  jobId: number;
  /** Ranked references, best first, with the head's score (sigmoid output, cosine, or minus squared distance). */
  results: { imageId: string; score: number }[];
  ms: number;
}

export interface ExportResult {
  type: 'exported';
  jobId: number;
  file: Blob;
  name: string;
}

export type TrainWorkerRequest = TrainRequest | RestoreRequest | QueryRequest | ExportRequest | ImportRequest | CancelRequest;
/** Training started again on another backend (the previous one was lost); the epoch curve starts over. */
export interface RestartReply {
  type: 'restart';
  jobId: number;
  reason: string;
}
export type TrainWorkerReply =
  ProgressReply | EpochReply | RestartReply | TrainResult | QueryResult | ExportResult | ErrorReply | { type: 'none'; jobId: number };

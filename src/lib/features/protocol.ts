// The feature worker's methods (workers/features.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { ProgressEvent } from '../progress';
import type { ShardSource } from '../ingest/source';
import type { BackendChoice, BackendName } from './backend';
import type { FeatureModelName } from './model';
import type { BackendFallback, WorkerFault } from '../faults';

export interface ExtractRequest {
  shardId: string;
  source: ShardSource;
  /** The feature model (default Inception v3); its features are cached under its own id. */
  model?: FeatureModelName;
  backend: BackendChoice;
  batchSize: number;
  /** WASM threads; 0 = as many as the machine has. */
  threads: number;
  /** Faults to cause on purpose (tests, `npm run pipeline -- --inject`). */
  inject?: WorkerFault[];
}

/** Features of loose images (no cache): used for dropped images and the backend correctness check. */
export interface EmbedRequest {
  images: ArrayBuffer[];
  model?: FeatureModelName;
  backend: BackendChoice;
  batchSize: number;
  threads: number;
}

/** The backend that runs the model, once it has started. */
export interface BackendInfo {
  backend: BackendName;
  reason: string;
  /** Backends tried before this one, each with why it was left. */
  fallbacks: { backend: BackendName; reason: string }[];
  threads: number | null;
  modelId: string;
}
export type BackendEvent = { type: 'backend' } & BackendInfo;

/** Sent once an extraction knows its work: how many images are already cached and how many will be computed. */
export interface PlanEvent {
  type: 'plan';
  images: number;
  cached: number;
  toCompute: number;
}

export interface ExtractResult {
  /** Images whose features this run computed (an image with the same bytes as another shares its computation). */
  computed: number;
  /** Forward passes run: distinct contents computed (computed minus those duplicates). */
  forwardPasses: number;
  cached: number;
  /** Images whose bytes no longer matched the hash taken at load time, or that failed to decode now. */
  failed: { id: string; reason: string }[];
  elapsedMs: number;
  computeMs: number;
  backend: BackendName | null;
  /** Why that backend runs the model (the plan's reason), when one has started in this worker. */
  backendReason: string | null;
  modelId: string;
  /** Backends given up in the middle of the run (device lost, out of memory), and where the work went on. */
  fallbacks: BackendFallback[];
  /** Injected faults that were actually met in this run. */
  faultsMet: WorkerFault[];
}

export interface EmbedResult {
  /** n x the model's two widths (Inception v3: 2048 and 768), row-major. */
  flatten: Float32Array;
  mixed7: Float32Array;
  modelId: string;
  backend: BackendName;
  /** Wall time per image: decode, resize, preprocessing and the forward pass. */
  msPerImage: number;
  /** The forward pass alone (model.predict + reading the outputs back). */
  forwardMsPerImage: number;
  /** Each image's perceptual hash (src/lib/duplicates/phash.ts), null where it does not decode: a dropped copy of a
   *  collection image is answered with that image first. */
  phashes: (number[] | null)[];
}

export type FeaturesMethods = {
  extract: Method<ExtractRequest, ProgressEvent | PlanEvent | BackendEvent, ExtractResult>;
  embed: Method<EmbedRequest, ProgressEvent | BackendEvent, EmbedResult>;
};

// The page's six workers, each behind the typed RPC (src/lib/rpc.ts). The only file that makes Worker objects;
// the session takes a `Workers` so Node tests can hand it fakes served over MessageChannels.
import { WorkerClient, type Caller } from '../lib/rpc';
import type { IngestMethods } from '../lib/ingest/protocol';
import type { FeaturesMethods } from '../lib/features/protocol';
import type { EmbeddingMethods } from '../lib/embedding/protocol';
import type { TrainMethods } from '../lib/retrieval/protocol';
import type { ProjectMethods } from '../lib/project/protocol';
import type { QueryMethods } from '../lib/retrieval/query-protocol';

export interface Workers {
  ingest: Caller<IngestMethods>;
  features: Caller<FeaturesMethods>;
  embedding: Caller<EmbeddingMethods>;
  /** Holds the trained net that answers searches. */
  train: Caller<TrainMethods>;
  /** Project files: export and import. */
  project: Caller<ProjectMethods>;
  /** Answers before a net is trained (by look, among the images with features so far). */
  query: Caller<QueryMethods>;
}

export function browserWorkers(): Workers {
  return {
    ingest: new WorkerClient<IngestMethods>(
      () => new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module', name: 'ingest' }),
      60_000,
      'ingest',
    ),
    features: new WorkerClient<FeaturesMethods>(
      () => new Worker(new URL('../../workers/features.worker.ts', import.meta.url), { type: 'module', name: 'features' }),
      60_000,
      'feature',
    ),
    embedding: new WorkerClient<EmbeddingMethods>(
      () => new Worker(new URL('../../workers/embedding.worker.ts', import.meta.url), { type: 'module', name: 'embedding' }),
      60_000,
      'embedding',
    ),
    // The training worker holds the model for searches, so it is never terminated for idleness.
    train: new WorkerClient<TrainMethods>(
      () => new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
      Infinity,
      'training',
    ),
    project: new WorkerClient<ProjectMethods>(
      () => new Worker(new URL('../../workers/project.worker.ts', import.meta.url), { type: 'module', name: 'project' }),
      60_000,
      'project',
    ),
    // Idle once the net answers: its index (n x dim floats) is let go a minute later.
    query: new WorkerClient<QueryMethods>(
      () => new Worker(new URL('../../workers/query.worker.ts', import.meta.url), { type: 'module', name: 'query' }),
      60_000,
      'query',
    ),
  };
}

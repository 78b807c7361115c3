// The pipeline report (what `npm run pipeline` prints and the page's test hook returns), assembled from the
// results of the four stages. Pure. Its keys are a contract: scripts and people read them.
import type { ShardSummary } from '../lib/ingest/assemble';
import type { BackendName } from '../lib/features/backend';
import type { ExtractResult } from '../lib/features/protocol';
import type { EmbedLabelsResult } from '../lib/embedding/protocol';
import type { LoadResult } from '../lib/ingest/protocol';
import type { RetrievalEvaluation, TrainResult } from '../lib/retrieval/protocol';
import type { EpochReport } from '../lib/retrieval/train-settings';
import type { BackendFallback } from '../lib/faults';
import type { Settings } from '../lib/settings';

export interface PipelineReport {
  /** The shard's summary, with the images the feature stage could not read added to `skipped`. */
  shard: ShardSummary;
  backend: BackendName | null;
  backend_reason: string | null;
  model: string;
  timings_s: {
    load: number;
    features: number;
    svd?: number;
    tsne?: number;
    umap?: number;
    sets?: number;
    train?: number;
    evaluate?: number;
  };
  features: { computed: number; cached: number; forward_passes: number; failed: { id: string; reason: string }[]; per_s: number };
  embedding?: { layout: string; k: number; images: number; train: number; unique_label_rows: number; kl: number | null; cached: boolean };
  /** The retrieval net: which head, what it read, how long it trained, whether a stored one was reused. */
  net?: {
    head: string;
    layer: string;
    target: string;
    references: number;
    epochs: number;
    best_epoch: number;
    reused: boolean;
    backend: string | null;
    /** What the epoch and the tagger were chosen on: a seeded hold-out of the training images, or the validation
     *  split (when the shard has a test split, which is then what `evaluation` reports on). */
    selection: 'holdout' | 'validation' | null;
    /** Queries in that selection set. */
    selection_size: number;
  };
  evaluation?: Partial<RetrievalEvaluation> & { similar_set_score: number };
  /** Backends given up in the middle of a stage (WebGPU device lost, out of memory) and where the work went on. */
  backend_fallbacks: BackendFallback[];
  /** Faults injected with `?inject=` that this run met (tests and `npm run pipeline -- --inject`). */
  faults_met: string[];
}

export const bestEpoch = (history: EpochReport[]) =>
  history.reduce((best, e) => (!best || e.validation.score > best.validation.score ? e : best), null as EpochReport | null)?.epoch ?? 0;

export interface StageResults {
  loaded: LoadResult;
  extracted: ExtractResult;
  /** null when the run stopped after the features (`--features-only`). */
  embedded: EmbedLabelsResult | null;
  trained: TrainResult | null;
  /** The backend the page heard of last (a run that computed no feature starts none). */
  backend: { backend: BackendName; reason: string } | null;
  layout: Settings['layout'];
}

export function buildReport({ loaded, extracted, embedded, trained, backend, layout }: StageResults): PipelineReport {
  const summary = loaded.summary;
  const report: PipelineReport = {
    shard: {
      images: summary.images,
      labelled: summary.labelled,
      labels: summary.labels,
      train: summary.train,
      validation: summary.validation,
      test: summary.test,
      skipped: [...summary.skipped, ...extracted.failed],
    },
    backend: extracted.backend ?? backend?.backend ?? null,
    backend_reason: extracted.backendReason ?? backend?.reason ?? null,
    model: extracted.modelId,
    timings_s: {
      load: loaded.elapsedMs / 1000,
      features: extracted.elapsedMs / 1000,
    },
    backend_fallbacks: [...extracted.fallbacks, ...(trained?.fallbacks ?? [])],
    faults_met: [...extracted.faultsMet.map((f) => `${f} (features)`), ...(trained?.faultsMet ?? []).map((f) => `${f} (train)`)],
    features: {
      computed: extracted.computed,
      cached: extracted.cached,
      forward_passes: extracted.forwardPasses,
      failed: extracted.failed,
      per_s: extracted.computeMs > 0 ? extracted.forwardPasses / (extracted.computeMs / 1000) : 0,
    },
  };
  if (!embedded || !trained) return report;
  Object.assign(report.timings_s, {
    svd: embedded.timingsMs.svd / 1000,
    ...(layout === 'svd' ? {} : { [layout]: embedded.timingsMs.layout / 1000 }),
    sets: embedded.timingsMs.sets / 1000,
    train: trained.timingsMs.train / 1000,
    evaluate: trained.timingsMs.evaluate / 1000,
  });
  return {
    ...report,
    embedding: {
      layout,
      k: embedded.k,
      images: embedded.imageIds.length,
      train: embedded.trainIndex.length,
      unique_label_rows: embedded.uniqueRows,
      kl: embedded.kl,
      cached: embedded.cached,
    },
    net: {
      head: trained.head,
      layer: trained.layer,
      target: trained.target,
      references: trained.references,
      epochs: trained.history.length,
      best_epoch: bestEpoch(trained.history),
      reused: !trained.trained,
      backend: trained.backend,
      selection: trained.selection?.kind ?? null,
      selection_size: trained.selection?.size ?? 0,
    },
    evaluation: { ...(trained.evaluation ?? {}), similar_set_score: embedded.similarSetScore },
  };
}

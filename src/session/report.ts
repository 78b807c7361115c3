// The pipeline report (what `npm run pipeline` prints and the page's test hook returns), assembled from the
// results of the four stages. Pure. Its keys are a contract: scripts and people read them.
import type { ShardSummary } from '../lib/ingest/assemble';
import type { FormatName } from '../lib/ingest/formats/types';
import type { DuplicateReport } from '../lib/duplicates/groups';
import type { BackendName } from '../lib/features/backend';
import type { ExtractResult } from '../lib/features/protocol';
import type { EmbedLabelsResult } from '../lib/embedding/protocol';
import type { LoadResult } from '../lib/ingest/protocol';
import type { RetrievalEvaluation, TrainResult } from '../lib/retrieval/protocol';
import type { EpochReport } from '../lib/retrieval/train-settings';
import type { BackendFallback } from '../lib/faults';
import type { Settings } from '../lib/settings';

export interface PipelineReport {
  /** The shard's summary, with the images the feature stage could not read added to `skipped`; `format` is the
   *  collection format read (Open Images for shards stored before formats). */
  shard: ShardSummary & {
    format: FormatName;
    format_evidence: string;
    /** Formats that fit as well as `format` (`--format` chooses). */
    format_alternatives: FormatName[];
    /** What was not used, counted by reason (the list is `skipped`). */
    not_used: { reason: string; count: number }[];
    /** Why the labels cannot define similarity (then there is no training and no review), or null. */
    labels_unusable: string | null;
  };
  backend: BackendName | null;
  backend_reason: string | null;
  model: string;
  timings_s: {
    load: number;
    features: number;
    svd?: number;
    /** The PCA of the features (the map of a collection searched by look). */
    pca?: number;
    tsne?: number;
    umap?: number;
    sets?: number;
    train?: number;
    evaluate?: number;
  };
  features: { computed: number; cached: number; forward_passes: number; failed: { id: string; reason: string }[]; per_s: number };
  embedding?: {
    layout: string;
    k: number;
    images: number;
    train: number;
    unique_label_rows: number;
    kl: number | null;
    cached: boolean;
    /** 'features': the map of a collection searched by look, laid out from its images' features (PCA, then the
     *  layout); absent: from the labels. */
    from?: 'features';
  };
  /** The retrieval net: which head, what it read, how long it trained, whether a stored one was reused. */
  net?: {
    head: string;
    layer: string;
    /** The features, layers and loss of the net in one line (null for a model that does not say). */
    design: string | null;
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
  /** How queries are answered: 'net' (the trained net) or 'look' (raw-feature cosine, for a collection whose labels
   *  cannot define similarity; `reason` says why, and there is no `net`, `evaluation` or review). */
  search?: { by: 'net' | 'look'; images: number; reason: string | null };
  /** Exact copies (content hash) and near copies (feature cosine at least `threshold`) of the collection's images,
   *  biggest group first; `leak`: the group straddles train and validation or test. */
  duplicates?: DuplicateReport;
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
  /** The duplicate groups (null when they could not be found; absent when the run stopped before). */
  duplicates?: DuplicateReport | null;
}

export function buildReport({ loaded, extracted, embedded, trained, backend, layout, duplicates }: StageResults): PipelineReport {
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
      format: summary.format ?? 'open-images',
      format_evidence: summary.formatEvidence ?? '',
      format_alternatives: summary.formatAlternatives ?? [],
      not_used: countByReason([...summary.skipped, ...extracted.failed]),
      labels_unusable: summary.labelsUnusable ?? null,
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
    ...(duplicates ? { duplicates } : {}),
    features: {
      computed: extracted.computed,
      cached: extracted.cached,
      forward_passes: extracted.forwardPasses,
      failed: extracted.failed,
      per_s: extracted.computeMs > 0 ? extracted.forwardPasses / (extracted.computeMs / 1000) : 0,
    },
  };
  if (!embedded || !trained) return report;
  if (trained.engine === 'look-alike') {
    Object.assign(report.timings_s, {
      pca: embedded.timingsMs.svd / 1000,
      ...(layout === 'svd' ? {} : { [layout]: embedded.timingsMs.layout / 1000 }),
    });
    return {
      ...report,
      embedding: {
        layout,
        k: 0,
        images: embedded.imageIds.length,
        train: 0,
        unique_label_rows: 0,
        kl: embedded.kl,
        cached: embedded.cached,
        from: 'features',
      },
      search: { by: 'look', images: trained.references, reason: summary.labelsUnusable ?? null },
    };
  }
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
      design: trained.design ?? null,
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
    search: { by: 'net', images: trained.references, reason: null },
  };
}

/** Skipped items counted by reason, most first (a reason's specifics, like a file name in quotes or a count, are
 *  left out so that like reasons count together). */
export function countByReason(items: readonly { reason: string }[]): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const { reason } of items) {
    const general = reason
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\([^()]*\)/g, '(…)')
      .replace(/\b\d+\b/g, 'N');
    counts.set(general, (counts.get(general) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

// The page's state as Svelte stores, and the one reset that returns every part of a run to its start. Views only
// read these; the session's actions write them. Settings and the storage estimate are not run state: reset keeps them.
import type { DuplicateReport } from '../lib/duplicates/groups';
import { derived, get, writable, type Readable } from 'svelte/store';
import type { Progress } from '../lib/progress';
import type { BackendInfo } from '../lib/features/protocol';
import type { ModelSummary, ReviewResult } from '../lib/retrieval/protocol';
import type { Found, PredictedTag } from '../lib/retrieval/label-index';
import type { EpochReport } from '../lib/retrieval/train-settings';
import type { ImageRecord, ShardRecord } from '../lib/store/db';
import { DEFAULT_SETTINGS, type Settings } from '../lib/settings';
import type { PipelineReport } from './report';
import { WorkspaceState } from './workspace';

export type StageName = 'load' | 'features' | 'embedding' | 'train';
export const STAGES: readonly StageName[] = ['load', 'features', 'embedding', 'train'];

/** `document.documentElement.dataset.stage`: "ready" once a model can answer queries; else the stage that runs,
 *  "error" after a failure, "loaded" for a shard without a model yet, "empty" before any shard. */
export type PageStage = 'empty' | 'loaded' | 'ready' | 'error' | StageName;

export function pageStageOf(
  stages: Record<StageName, StageState>,
  hasShard: boolean,
  model: ModelSummary | null,
  error: string | null,
): PageStage {
  const running = STAGES.find((name) => stages[name].status === 'running');
  if (model && running !== 'train') return 'ready';
  if (running) return running;
  if (error) return 'error';
  return hasShard ? 'loaded' : 'empty';
}

export interface StageState {
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled';
  progress: Progress | null;
  message: string | null;
  elapsedMs: number | null;
}

/** The label embedding as the map and search use it. */
export interface EmbeddingState {
  imageIds: string[];
  layout: Float32Array;
  trainIndex: Int32Array;
  similar: Int32Array;
  k: number;
  similarSetScore: number | null;
  kl: number | null;
  final: boolean;
}

/** The current search: the query (an image of the shard, a dropped file, or label words alone) and its ranked
 *  results, each marked as placed by its own labels or by prediction; the query image's predicted labels. */
/** Which ranking answered a query: by raw-feature cosine (before a net, or for a collection without usable
 *  labels), label words alone in label space, or the trained net. */
export type Ranking = 'look-alike' | 'labels' | 'trained';

export interface SearchState {
  query: { kind: 'image'; imageId: string } | { kind: 'file'; name: string; url: string } | { kind: 'labels' };
  /** The label words it was asked with. */
  words?: { plus: string[]; minus: string[] };
  results: Found[];
  tags?: PredictedTag[];
  ms: number;
  error: string | null;
  busy: boolean;
  ranking?: Ranking;
  /** A look-alike answer before the net: how many images (those with features so far) it ranked among. */
  indexed?: number;
  /** The same query answered by look before and re-answered by the net once it was ready. */
  reanswered?: boolean;
}

/** A label review: the model's disagreements with the given labels, and the person's decisions on them. */
export interface ReviewState {
  status: 'busy' | 'ready' | 'error';
  result: ReviewResult | null;
  /** Suggestion key (reviewKey) -> decision. */
  decisions: Map<string, 'accept' | 'reject'>;
  /** The suggestion in focus. */
  cursor: number;
  progress: Progress | null;
  error: string | null;
}

/** What this page's run found and did so far, stage by stage (for the CLI's fault report and tests). */
export interface RunInfo {
  featurePlan: { images: number; cached: number; toCompute: number } | null;
  embeddingCached: boolean | null;
  netReused: boolean | null;
}

export interface StorageState {
  usage: number;
  quota: number;
  persisted: boolean;
}

const idleStage = (): StageState => ({ status: 'idle', progress: null, message: null, elapsedMs: null });
export const idleStages = (): Record<StageName, StageState> => ({
  load: idleStage(),
  features: idleStage(),
  embedding: idleStage(),
  train: idleStage(),
});
/** The stages of a run starting over what is on show: those done stay done, the rest idle. */
export function keepDone(stages: Record<StageName, StageState>): Record<StageName, StageState> {
  const next = idleStages();
  for (const name of STAGES) if (stages[name].status === 'done') next[name] = { ...next[name], status: 'done' };
  return next;
}
const noRunInfo = (): RunInfo => ({ featurePlan: null, embeddingCached: null, netReused: null });

export interface ProjectState {
  kind: 'export' | 'import';
  running: boolean;
  progress: Progress | null;
  /** What was done, in a sentence (or why it failed, in `error`). */
  message: string | null;
  error: string | null;
}

export class SessionState {
  readonly settings = writable<Settings>(DEFAULT_SETTINGS);
  readonly storage = writable<StorageState | null>(null);

  readonly stages = writable(idleStages());
  readonly shard = writable<ShardRecord | null>(null);
  readonly images = writable<ImageRecord[]>([]);
  readonly featureCount = writable(0);
  readonly backendInfo = writable<BackendInfo | null>(null);
  readonly embedding = writable<EmbeddingState | null>(null);
  /** The retrieval net in use for the shard (trained, reused or imported), and its training curve while it trains. */
  readonly model = writable<ModelSummary | null>(null);
  readonly epochs = writable<EpochReport[]>([]);
  readonly search = writable<SearchState | null>(null);
  readonly review = writable<ReviewState | null>(null);
  /** The image a person selected on the map or in the gallery. */
  readonly selectedImageId = writable<string | null>(null);
  /** A dropped file that was, byte for byte, an image of the collection (that image became the query). */
  readonly droppedAs = writable<{ name: string; imageId: string } | null>(null);
  readonly report = writable<PipelineReport | null>(null);
  readonly errorMessage = writable<string | null>(null);
  /** The last failed job: its sentence, its kind ('worker-died': a worker died twice under it) and its Try again
   *  (run again from what is stored). It belongs to `errorMessage` while that still shows the same sentence. */
  readonly failure = writable<{ message: string; kind: 'worker-died' | null; retry: () => Promise<unknown> } | null>(null);
  /** A local shard whose features were not finished before the page was reloaded: it must be picked again. */
  readonly resumeHint = writable<string | null>(null);
  /** That shard's folder, when the browser kept a handle to it (handles.ts): one button opens it again. */
  readonly reopenable = writable<{ name: string; handle: FileSystemDirectoryHandle } | null>(null);
  /** The last job was cancelled: how to go on with it (Resume). */
  readonly stopped = writable<{ resume: () => Promise<unknown> } | null>(null);
  readonly runInfo = writable<RunInfo>(noRunInfo());
  /** The project file being written or read, or the outcome of the last one (src/session/project.ts). */
  readonly project = writable<ProjectState | null>(null);
  /** Exact and near copies of the shard's images, and the leaks among them (found after the run; null before). */
  readonly duplicates = writable<DuplicateReport | null>(null);
  /** Group index -> the ImageID the person keeps of that group (absent: the group's first). */
  readonly duplicateKeepers = writable<Map<number, string>>(new Map());

  /** ImageID -> position in `images`: one map for every view that looks images up by id (built once per shard;
   *  at 100,000 images each view's own map cost the page about 40 ms). */
  readonly imageIndex: Readable<Map<string, number>> = derived(this.images, (list) => new Map(list.map((im, i) => [im.imageId, i])));
  /** The image record of an ImageID, if the shard has it (through `imageIndex`). */
  readonly imageById: Readable<(id: string) => ImageRecord | undefined> = derived(
    [this.images, this.imageIndex],
    ([list, index]) =>
      (id: string) =>
        list[index.get(id) ?? -1],
  );
  readonly running: Readable<boolean> = derived(this.stages, (s) => STAGES.some((name) => s[name].status === 'running'));
  readonly pageStage: Readable<PageStage> = derived([this.stages, this.shard, this.model, this.errorMessage], ([st, shard, model, error]) =>
    pageStageOf(st, shard !== null, model, error),
  );
  /** The label filter, the map selection and the main view, over the images above. */
  readonly workspace = new WorkspaceState(this.shard, this.images);

  /** Every part of a run back to its start (settings and the storage estimate stay). `keepShown`: the same
   *  collection runs again, so what is on show (images, map, model, query and results) stays until the run replaces
   *  it, and the stages that were done stay done; a cancel then hides nothing. */
  reset(keepShown = false) {
    this.stopped.set(null);
    this.report.set(null);
    this.errorMessage.set(null);
    this.resumeHint.set(null);
    this.reopenable.set(null);
    this.runInfo.set(noRunInfo());
    if (keepShown) {
      this.stages.update(keepDone);
      return;
    }
    const query = get(this.search)?.query;
    if (query?.kind === 'file') URL.revokeObjectURL(query.url);
    this.search.set(null);
    this.review.set(null);
    this.stages.set(idleStages());
    this.shard.set(null);
    this.images.set([]);
    this.featureCount.set(0);
    this.backendInfo.set(null);
    this.embedding.set(null);
    this.model.set(null);
    this.epochs.set([]);
    this.selectedImageId.set(null);
    this.droppedAs.set(null);
    this.duplicates.set(null);
    this.duplicateKeepers.set(new Map());
    this.workspace.clearWorkspace();
  }

  setStage(name: StageName, patch: Partial<StageState>) {
    this.stages.update((s) => ({ ...s, [name]: { ...s[name], ...patch } }));
  }
}

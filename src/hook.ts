// The test hook on `window.__simage`: a small, read-mostly view of the session for the headless CLI
// (scripts/pipeline.ts) and the browser tests. Its shape is a contract; both import this type.
import { get } from 'svelte/store';
import { download } from './views/download';
import type { BackendChoice } from './lib/features/backend';
import type { FeatureModelName } from './lib/features/model';
import type { BackendInfo, EmbedResult } from './lib/features/protocol';
import type { ShardSummary } from './lib/ingest/assemble';
import type { ModelSummary } from './lib/retrieval/protocol';
import type { Suggestion } from './lib/retrieval/tagging';
import type { PipelineReport } from './session/report';
import type { DuplicateReport } from './lib/duplicates/groups';
import { NEAR_DUPLICATE_LAYER } from './lib/duplicates/layer';
import type { Session } from './session/session';
import type { countRecords } from './lib/store/db';
import type { ProjectState, RunInfo, SearchState, StageName, StageState } from './session/state';

export interface Snapshot {
  stages: Record<StageName, StageState>;
  report: PipelineReport | null;
  error: string | null;
  /** What kind of failure `error` is: 'worker-died' when a worker died twice under the job (the CLI exits 3). */
  failure: 'worker-died' | null;
  backend: BackendInfo | null;
  images: number;
  featureCount: number;
  resumeHint: string | null;
  runInfo: RunInfo;
  /** The project file being written or read, or the last one's outcome. */
  project: ProjectState | null;
}

export interface SimageHook {
  snapshot(): Snapshot;
  /** Searches with an image of the loaded shard; resolves with the ranked results. */
  search(imageId: string): Promise<SearchState | null>;
  /** Searches by label words (LabelNames), alone or with an image of the shard ("like it, plus these, minus
   *  those"); results carry `by`: 'labels' or 'prediction'. The words stay in the query until cleared. */
  searchLabels(plus: string[], minus?: string[], imageId?: string | null, includeHeldOut?: boolean): Promise<SearchState | null>;
  model(): ModelSummary | null;
  /** Every image's predicted labels as predicted-labels.csv text (ImageID, Source, LabelName, Confidence). */
  predictedLabelsCsv(): Promise<string>;
  /** The collection's labels after the accepted review decisions, in its own format (or Open Images CSV when that
   *  format holds no image-level labels: `written` says which), each file by its path in the collection. */
  labelsInFormat(): Promise<{ written: string; files: { path: string; text: string }[] }>;
  /** The duplicate groups at another cosine threshold (the calibration bench, bench/duplicates.ts). */
  duplicatesAt(threshold: number, maxHamming?: number): Promise<DuplicateReport | null>;
  /** Searches with an image from outside the page (a dropped file): its bytes as base64; validation and test images
   *  are returned too when `includeHeldOut` (the "validation images" tick). */
  searchFileBytes(name: string, base64: string, includeHeldOut?: boolean): Promise<SearchState | null>;
  /** The label review's suggestions, strongest disagreement first. */
  reviewSuggestions(): Promise<Suggestion[]>;
  imageIds(): string[];
  /** An image's labels: each LabelName and its display name. */
  imageLabels(imageId: string): string[];
  shardSummary(): ShardSummary | null;
  runUrl(url: string): Promise<PipelineReport>;
  /** Opens a folder through its File System Access handle, as the directory picker or a drop does (the handle is
   *  kept: after a reload mid-run, the banner's "Open … again" reads it again). Resolves when the run ends. */
  openFolder(handle: FileSystemDirectoryHandle): Promise<void>;
  cancel(): void;
  /** Writes the project file of the shard on show (every feature model) and downloads it; false when it failed
   *  (the snapshot's `project.error` says why). */
  exportProject(): Promise<boolean>;
  /** Writes the model file (Export model; with the base network's weights when asked) and downloads it; false (and
   *  the snapshot's `error`) when there is none. */
  exportModel(withExtractor?: boolean): Promise<boolean>;
  cacheCounts(): ReturnType<typeof countRecords>;
  verifyCache(): Promise<{ features: number; malformed: number }>;
  /** Features of images fetched from these URLs (arrays, so they cross the DevTools protocol as JSON). */
  embedUrls(
    urls: string[],
    backend: BackendChoice,
    /** The feature model (default: the settings'). */
    model?: FeatureModelName,
  ): Promise<Omit<EmbedResult, 'flatten' | 'mixed7'> & { flatten: number[]; mixed7: number[] }>;
}

/** The map's own hook (MapView): where an image is drawn, in page coordinates. */
export interface MapHook {
  screenOf(imageId: string): { x: number; y: number } | null;
  points(): number;
  imageIdAt(index: number): string | null;
  /** How many thumbnails the last frame drew (0 until zoomed in far enough). */
  thumbnailsDrawn(): number;
  /** Which renderer draws the points: WebGL2 on a GPU, Canvas 2D where WebGL is software. */
  renderer(): 'webgl2' | 'canvas2d' | null;
  /** Draws the points and counts the painted pixels of that frame. */
  paintedPixels(): number;
}

declare global {
  interface Window {
    __simage: SimageHook;
    __simageMap?: MapHook;
  }
}

export function installHook(session: Session) {
  window.__simage = {
    snapshot: () => ({
      stages: get(session.stages),
      report: get(session.report),
      error: get(session.errorMessage),
      failure: get(session.failure)?.message === get(session.errorMessage) ? (get(session.failure)?.kind ?? null) : null,
      backend: get(session.backendInfo),
      images: get(session.images).length,
      featureCount: get(session.featureCount),
      resumeHint: get(session.resumeHint),
      runInfo: get(session.runInfo),
      project: get(session.project),
    }),
    search: async (imageId) => {
      await session.searchImage(imageId);
      return get(session.search);
    },
    searchLabels: async (plus, minus = [], imageId = null, includeHeldOut = false) => {
      session.workspace.queryWords.set({ plus, minus });
      session.workspace.includeHeldOut.set(includeHeldOut);
      if (imageId) await session.searchImage(imageId);
      else {
        session.selectedImageId.set(null);
        await session.searchWords();
      }
      return get(session.search);
    },
    model: () => get(session.model),
    predictedLabelsCsv: async () => await (await session.predictedLabelsCsv()).file.text(),
    labelsInFormat: async () => {
      const out = await session.labelsInFormat();
      return { written: out.written, files: out.files.map(({ path, text }) => ({ path, text })) };
    },
    duplicatesAt: async (threshold, maxHamming) => {
      const shard = get(session.shard);
      if (!shard) return null;
      const { model } = get(session.settings);
      return session.env.workers.embedding.call('duplicates', {
        shardId: shard.shardId,
        featureModelId: await session.env.featureModelId(model),
        layer: NEAR_DUPLICATE_LAYER,
        threshold,
        ...(maxHamming === undefined ? {} : { maxHamming }),
      });
    },
    searchFileBytes: async (name, base64, includeHeldOut) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      if (includeHeldOut !== undefined) session.workspace.includeHeldOut.set(includeHeldOut);
      await session.searchFile(new File([bytes], name));
      return get(session.search);
    },
    reviewSuggestions: async () => {
      await session.openReview();
      const r = get(session.review);
      if (r?.status !== 'ready') throw new Error(r?.error ?? 'The review could not be computed.');
      return r.result!.suggestions;
    },
    imageIds: () => get(session.images).map((im) => im.imageId),
    imageLabels: (imageId) => {
      const classes = new Map(get(session.shard)?.classes ?? []);
      const image = get(session.images).find((im) => im.imageId === imageId);
      return (image?.labels ?? []).flatMap((l) => [l.labelName, classes.get(l.labelName) ?? l.labelName]);
    },
    shardSummary: () => get(session.shard)?.summary ?? null,
    runUrl: (url) => session.runShard({ kind: 'url', url: new URL(url, location.href).href }),
    openFolder: async (handle) => {
      await session.openFolder(handle).catch(() => undefined);
    },
    cancel: session.cancel,
    exportModel: async (withExtractor = false) => {
      const r = await session.exportModel(withExtractor);
      if (r) download(r.file, r.name);
      return !!r;
    },
    exportProject: async () => {
      const r = await session.exportProject('all');
      if (r) download(r.file, r.name);
      return !!r;
    },
    cacheCounts: () => session.store.counts(),
    verifyCache: () => session.store.verify(),
    embedUrls: async (urls, backend, model) => {
      const buffers = await Promise.all(urls.map(async (u) => (await fetch(u)).arrayBuffer()));
      const r = await session.embedImages(buffers, backend, model);
      return { ...r, flatten: Array.from(r.flatten), mixed7: Array.from(r.mixed7) };
    },
  };
}

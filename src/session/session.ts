// The session: the page's state (state.ts) and every action on it, over injected workers and browser facilities,
// so Node tests drive it with fake workers. Nothing happens at construction: `init()` reads the URL and the stored
// settings, `restore()` resumes what a reload interrupted. Each concern is its own module:
//   run.ts      the pipeline run and single stages, cancel, and the report (report.ts)
//   search.ts   queries by image of the shard, by a dropped file or by label words; the query follows the selection
//   review.ts   the label review (accept or reject the model's disagreements); review-exports.ts its files
//   url.ts      the address: shard, query, label filter, view; Back and Forward
//   models.ts   model export, import and restore
//   resume.ts   what survives a reload (localStorage) and resuming
//   storage.ts  the storage estimate, persistence, cache counts and clearing
//   estimate.ts how long features take here with each model (a short probe on the load view)
import { get } from 'svelte/store';
import type { FormatName } from '../lib/ingest/formats/types';
import type { BackendChoice } from '../lib/features/backend';
import type { FeatureModelName } from '../lib/features/model';
import type { ShardSource } from '../lib/ingest/source';
import { sourceKey } from '../lib/ingest/source-key';
import { mayRead, rememberHandle, sourceFromHandle } from '../lib/ingest/handles';
import type { FaultPlan } from '../lib/faults';
import { SessionState } from './state';
import type { Workers } from './workers';
import { applySettings, rerunEmbedding, retrain, runShard } from './run';
import type { Settings } from '../lib/settings';
import { embedImages, followSelection, searchFile, searchImage, searchWords } from './search';
import { UrlSync, type HistoryLike } from './url';
import type { ExportFormat, ExportWhat } from './exports';
import { exportModel, importModel, restoreModel } from './models';
import { cancelProject, exportProject, importProjects } from './project';
import { Resume } from './resume';
import type { Tabs } from './tabs';
import { decide, moveCursor, openReview } from './review';
import { StoreAdmin } from './storage';
import { FeatureSpeed } from './estimate';

export interface SessionEnv {
  workers: Workers;
  /** localStorage (or a Map-backed fake). */
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** The page's address: its query string carries shard, settings and faults. */
  location: { href: string; search: string };
  /** navigator.storage, where the browser has it. */
  storageManager?: Partial<Pick<StorageManager, 'estimate' | 'persisted' | 'persist'>>;
  /** A feature model's cache id (from its model.json), as its features are stored under it. */
  featureModelId(model: FeatureModelName): Promise<string>;
  /** window.history and its popstate event; without them the address is read at start only. */
  history?: HistoryLike;
  onPopState?(listener: () => void): () => void;
  /** Web Locks and a BroadcastChannel, so tabs of the origin share one run of a shard (tabs.ts); none: alone. */
  tabs?: Tabs;
}

export class Session extends SessionState {
  /** Faults to cause on purpose, from `?inject=` (tests, `npm run pipeline -- --inject`). */
  faults: FaultPlan = { worker: [], reloadDuring: [] };
  readonly resume = new Resume(this);
  readonly store = new StoreAdmin(this);
  readonly url = new UrlSync(this);
  /** How long features take here with each model: a short probe on the load view (estimate.ts). */
  readonly featureSpeed = new FeatureSpeed(this);
  private job: AbortController | null = null;
  /** The source of the last run started in this page (a picked folder's files are only here until the next). */
  lastSource: ShardSource | null = null;
  /** The shard that source loaded as. */
  lastSourceShardId: string | null = null;
  /** `?until=features` (the CLI's --features-only): a run stops after the features, and its report has no more;
   *  `?until=load` stops after the load (benchmarks). */
  stopAfter: 'load' | 'features' | null = null;
  /** `?ingest=one-at-a-time`: the ingest as it was before it used both cores (one image at a time, each decoded
   *  whole), the baseline `npm run bench -- ingest` measures against. */
  ingestBaseline = false;
  /** `?plant=RATE`: label errors planted at load time, to measure the review (src/lib/ingest/plant.ts). */
  plantErrors: number | null = null;
  /** The collection format the person chose (`?format=`, the CLI's --format, the load view's choice); null:
   *  detected from the files. */
  format: FormatName | null = null;

  constructor(readonly env: SessionEnv) {
    super();
  }

  /** Reads the URL and the stored settings, then keeps settings stored, the address in step and the query
   *  following the selection; returns the function that stops all three. */
  init() {
    const stops = [this.resume.init(), followSelection(this)];
    if (this.env.history) stops.push(this.url.start(this.env.history));
    if (this.env.onPopState) stops.push(this.env.onPopState(() => this.url.popped()));
    return () => stops.forEach((stop) => stop());
  }

  /** Settles once the page has opened what it opens by itself (a run from the address, the last shard). */
  restored: Promise<void> | null = null;
  restore = () => (this.restored = this.resume.restore());
  /** `resumed`: the page opened on a run of this source that had not finished (the page says so). */
  runShard = (source: ShardSource, resumed = false) => {
    this.lastSource = source;
    // A speed probe in flight stops first: the features worker holds one model at a time.
    const probe = this.featureSpeed.stop();
    return probe ? probe.then(() => runShard(this, source, resumed)) : runShard(this, source, resumed);
  };
  /** Opens a folder through its handle (the directory picker, a drop, or a test's origin-private folder) and keeps
   *  the handle, so that after a reload one button opens it again. */
  openFolder = async (handle: FileSystemDirectoryHandle) => {
    const source = await sourceFromHandle(handle);
    await rememberHandle(sourceKey(source), handle);
    return this.runShard(source);
  };
  /** Opens again the folder of the collection a reload interrupted (`reopenable`), asking the browser to read it
   *  (inside the click); says what to do when it may not. */
  openAgain = async () => {
    const again = get(this.reopenable);
    if (!again) return;
    let source: ShardSource;
    try {
      if (!(await mayRead(again.handle, true))) throw new Error('not allowed');
      source = await sourceFromHandle(again.handle);
    } catch {
      this.errorMessage.set(`The browser did not let this page read "${again.name}" again: pick the folder with Open….`);
      return;
    }
    return this.runShard(source).catch(() => undefined);
  };
  /** Loads the collection on show again, read as `format` (the person's answer when two formats fit, or a
   *  correction); false when its files are not at hand (a local collection after a reload: pick it again). */
  loadAs = (format: FormatName): boolean => {
    const shard = get(this.shard);
    const source: ShardSource | null =
      shard?.source.kind === 'url' ? shard.source : shard && this.lastSourceShardId === shard.shardId ? this.lastSource : null;
    this.format = format;
    if (!source) {
      this.resumeHint.set('Pick the folder or archive again to load it with the format you chose.');
      return false;
    }
    void this.runShard(source).catch(() => undefined);
    return true;
  };
  exportImages = async (what: ExportWhat, format: ExportFormat, signal?: AbortSignal) =>
    (await import('./exports')).exportImages(this, what, format, signal);
  /** Runs the failed job again (the failure's Try again): it goes on from what is stored. */
  tryAgain = () => {
    const failed = get(this.failure);
    if (!failed) return Promise.resolve();
    this.failure.set(null);
    this.errorMessage.set(null);
    return failed.retry().catch(() => undefined);
  };
  rerunEmbedding = () => rerunEmbedding(this);
  retrain = () => retrain(this);
  applySettings = (next: Settings) => applySettings(this, next);
  searchImage = (imageId: string) => searchImage(this, imageId);
  searchFile = (file: File) => searchFile(this, file);
  searchWords = () => searchWords(this);
  // The label review (review.ts) and its exports (review-exports.ts, loaded on first use).
  openReview = () => openReview(this);
  decide = (index: number, decision: 'accept' | 'reject' | null) => decide(this, index, decision);
  moveReviewCursor = (to: number) => moveCursor(this, to);
  correctedLabelFiles = async () => (await import('./review-exports')).correctedLabelFiles(this);
  predictedLabelsCsv = async () => (await import('./review-exports')).predictedLabelsCsv(this);
  labelsInFormat = async () => (await import('./review-exports')).labelsInFormat(this);
  embedImages = (buffers: ArrayBuffer[], backend?: BackendChoice, model?: FeatureModelName) => embedImages(this, buffers, backend, model);
  exportModel = (withExtractor = false) => exportModel(this, withExtractor);
  importModel = (file: Blob) => importModel(this, file);
  restoreModel = (shardId: string) => restoreModel(this, shardId);
  exportProject = (which: 'all' | 'current') => exportProject(this, which);
  importProjects = (files: File[]) => importProjects(this, files);
  cancelProject = () => cancelProject();
  clearCache = () => this.store.clear();

  /** Goes on with the job the person cancelled, from what is stored (nothing computed is computed again). */
  resumeStopped = () => {
    const stopped = get(this.stopped);
    if (!stopped) return Promise.resolve();
    this.stopped.set(null);
    return stopped.resume().catch(() => undefined);
  };

  /** Stops the running job (its stage shows "cancelled"; what it stored is kept). */
  cancel = () => {
    this.job?.abort();
    this.job = null;
  };

  /** Starts a job that cancels the one before it; its signal aborts on cancel. */
  beginJob(): AbortSignal {
    this.cancel();
    this.stopped.set(null);
    this.job = new AbortController();
    return this.job.signal;
  }

  /** Whether a job may still write the page's state: it is the current one, or none has replaced it (a run
   *  superseded by a newer one must not mark the newer one's stages). */
  isCurrent(signal: AbortSignal) {
    return !this.job || this.job.signal === signal;
  }

  endJob(signal: AbortSignal) {
    if (this.job?.signal === signal) this.job = null;
  }

  /** Shows a stored shard: its record, its images and how many have features. */
  async showShard(shardId: string) {
    const shown = await this.store.readShard(shardId);
    if (!shown) return null;
    this.shard.set(shown.record);
    this.images.set(shown.images);
    this.featureCount.set(shown.withFeatures);
    return shown;
  }
}

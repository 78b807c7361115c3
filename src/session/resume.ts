// What survives a reload, in localStorage: the settings, the results' layout, the shard last shown, and the job that
// was running.
// On page open, `restore` resumes an unfinished URL job (or opens ?shard=URL), else shows the last shard from the
// cache with its embedding and stored model, and says what to pick again when a local shard's features were not
// finished.
import { MAX_PLANT_RATE } from '../lib/ingest/plant';
import { FORMATS, type FormatName } from '../lib/ingest/formats/types';
import { get } from 'svelte/store';
import { sourceKey } from '../lib/ingest/source-key';
import { handleFor } from '../lib/ingest/handles';
import type { ShardSource } from '../lib/ingest/source';
import { parseFaults } from '../lib/faults';
import { DEFAULT_SETTINGS, validateSettings } from '../lib/settings';
import type { Session } from './session';
import { findDuplicates } from './run';

const KEYS = {
  settings: 'simage.settings',
  active: 'simage.active',
  lastShard: 'simage.lastShard',
  resultsLayout: 'simage.resultsLayout',
} as const;

function readJson<T>(storage: Session['env']['storage'], key: string, fallback: T): T {
  try {
    return (JSON.parse(storage.getItem(key) ?? 'null') as T) ?? fallback;
  } catch {
    return fallback;
  }
}

export class Resume {
  constructor(private readonly s: Session) {}

  /** Settings from the query string over the stored ones (`?settings=defaults`, which the CLI sends, ignores those);
   *  faults from `?inject=`, never stored. From here on, settings are stored as they change. */
  init() {
    const { storage, location } = this.s.env;
    const query = Object.fromEntries(new URLSearchParams(location.search));
    const base =
      query.settings === 'defaults' ? DEFAULT_SETTINGS : validateSettings(readJson(storage, KEYS.settings, {}), DEFAULT_SETTINGS);
    this.s.stopAfter = query.until === 'features' || query.until === 'load' ? query.until : null;
    this.s.ingestBaseline = query.ingest === 'one-at-a-time';
    const plant = Number(query.plant);
    this.s.plantErrors = plant > 0 && plant <= MAX_PLANT_RATE ? plant : null;
    this.s.format = (FORMATS as readonly string[]).includes(query.format) ? (query.format as FormatName) : null;
    this.s.settings.set(validateSettings(query, base));
    try {
      this.s.faults = parseFaults(query.inject);
    } catch (err) {
      console.error('[simage] ?inject ignored:', (err as Error).message);
    }
    const layout = storage.getItem(KEYS.resultsLayout);
    if (layout === 'grid' || layout === 'list') this.s.workspace.resultsLayout.set(layout);
    const stops = [
      this.s.settings.subscribe((settings) => storage.setItem(KEYS.settings, JSON.stringify(settings))),
      this.s.workspace.resultsLayout.subscribe((l) => storage.setItem(KEYS.resultsLayout, l)),
    ];
    return () => stops.forEach((stop) => stop());
  }

  markActive(source: ShardSource) {
    const active = { shardId: sourceKey(source), url: source.kind === 'url' ? source.url : null };
    this.s.env.storage.setItem(KEYS.active, JSON.stringify(active));
  }

  markLoaded(shardId: string) {
    this.s.env.storage.setItem(KEYS.lastShard, shardId);
  }

  clearActive() {
    this.s.env.storage.removeItem(KEYS.active);
  }

  /** Forgets the shard last shown and the active job (the cache was cleared). */
  forget() {
    this.s.env.storage.removeItem(KEYS.lastShard);
    this.clearActive();
  }

  /** Shows a shard from the cache with its stored embedding and model; null when it is not stored. */
  /** The model restore that openStored started (not awaited there: the page shows the shard at once). */
  restoringModel: Promise<void> = Promise.resolve();

  async openStored(shardId: string) {
    const shown = await this.s.showShard(shardId);
    if (!shown) return null;
    this.s.setStage('load', { status: 'done', message: null });
    if (shown.images.length > 0 && shown.withFeatures === shown.images.length)
      this.s.setStage('features', { status: 'done', message: null });
    void this.s.rerunEmbedding();
    this.restoringModel = this.s.restoreModel(shown.record.shardId);
    // The copies among its images, found again from the stored features (not stored themselves: a second or so).
    if (shown.withFeatures > 0) void this.restoringModel.then(() => findDuplicates(this.s, shown.record.shardId));
    return shown;
  }

  async restore() {
    void this.s.store.refresh();
    const { storage, location } = this.s.env;
    const active = readJson<{ shardId: string; url: string | null } | null>(storage, KEYS.active, null);
    const url = new URLSearchParams(location.search).get('shard') ?? active?.url ?? null;
    if (url) {
      const source = { kind: 'url' as const, url: new URL(url, location.href).href };
      // The run before did not finish (the tab was closed or reloaded, or it crashed): the page says so, unless
      // another tab is running it now (then this one follows that tab).
      const resumed = !!active?.url && new URL(active.url, location.href).href === source.url;
      await this.s.runShard(source, resumed).catch(() => undefined);
      // Unreachable (offline, or the host is down) but stored in this browser: show the stored copy.
      if (get(this.s.stages).load.status === 'error' && (await this.openStored(sourceKey(source)))) {
        this.s.errorMessage.set(null);
        this.s.resumeHint.set(
          `The collection's address could not be reached, so this is the copy stored in this browser. Reload to try the address again.`,
        );
      }
      return;
    }
    const linked = new URLSearchParams(location.search).get('collection');
    const last = linked ?? active?.shardId ?? storage.getItem(KEYS.lastShard);
    if (!last) return;
    const shown = await this.openStored(last);
    if (!shown) {
      if (linked)
        this.s.resumeHint.set(
          'This link shows a collection from a folder or file on the computer it was made on. Pick that folder or file to open it here.',
        );
      return;
    }
    const missing = shown.images.length - shown.withFeatures;
    if (missing > 0 && shown.record.source.kind !== 'url') {
      const what = shown.record.source.kind === 'files' ? 'folder' : 'file';
      // A folder picked or dropped through the File System Access API left its handle: one button opens it again.
      const handle = shown.record.source.kind === 'files' ? await handleFor(last) : null;
      if (handle) this.s.reopenable.set({ name: shown.record.name, handle });
      this.s.resumeHint.set(
        `Features are stored for ${shown.withFeatures} of ${shown.images.length} images of "${shown.record.name}". ${handle ? 'Open it again' : `Pick the same ${what} again`} to compute the other ${missing}; nothing stored is computed again.`,
      );
    }
  }
}

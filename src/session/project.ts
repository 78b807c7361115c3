// Project files from the page: export of the shard on show (every feature model, or the settings' one) and import
// of one file or several, one after another. The work is the project worker's; this keeps its progress and its
// outcome in the `project` store, as a sentence, and after an import shows what came in (the imported shard when
// none is on show; its model when the shard on show gained one).
import { get } from 'svelte/store';
import { JobError } from '../lib/rpc';
import { specOfModelId } from '../lib/features/model';
import type { ImportProjectResult } from '../lib/project/protocol';
import type { Session } from './session';
import { countText } from '../lib/format';

const n = countText;
const mb = (bytes: number) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;

let controller: AbortController | null = null;

/** Stops the project job that runs (an import stops between batches; what it wrote is kept, and is whole). */
export function cancelProject() {
  controller?.abort();
}

function begin(s: Session, kind: 'export' | 'import') {
  controller?.abort();
  controller = new AbortController();
  s.project.set({ kind, running: true, progress: null, message: null, error: null });
  return controller.signal;
}

function fail(s: Session, kind: 'export' | 'import', err: unknown) {
  const e = err as JobError;
  s.project.set({
    kind,
    running: false,
    progress: null,
    message: null,
    error: e?.cancelled
      ? `The ${kind} was cancelled.${kind === 'import' ? ' What it had written is kept.' : ''}`
      : (e?.message ?? String(err)),
  });
}

/** Writes the project file of the shard on show; resolves with the file to download (null when it failed). */
export async function exportProject(s: Session, which: 'all' | 'current'): Promise<{ file: File; name: string } | null> {
  const shard = get(s.shard);
  if (!shard) {
    s.project.set({
      kind: 'export',
      running: false,
      progress: null,
      message: null,
      error: 'Load a collection first: a project file holds what was computed for one.',
    });
    return null;
  }
  const signal = begin(s, 'export');
  try {
    const models = which === 'all' ? 'all' : [await s.env.featureModelId(get(s.settings).model)];
    const r = await s.env.workers.project.call(
      'exportProject',
      { shardId: shard.shardId, models },
      { signal, onEvent: (e) => s.project.update((p) => p && { ...p, progress: e.progress }) },
    );
    const features = r.summary.features.map((f) => `${n(f.count)} images of ${f.modelId.split('@')[0]}`).join(' and ') || 'none';
    s.project.set({
      kind: 'export',
      running: false,
      progress: null,
      error: null,
      message: `Wrote ${r.name} (${mb(r.summary.bytes)}): features of ${features}, ${n(r.summary.thumbs)} thumbnails, and ${r.summary.records.filter((k) => k === 'embedding').length} label embedding(s)${r.summary.records.includes('model') ? ' and the model' : ''}.`,
    });
    return { file: r.file, name: r.name };
  } catch (err) {
    fail(s, 'export', err);
    return null;
  }
}

/** What one import did, in words. */
export function describeImport(name: string, r: ImportProjectResult): string {
  const features = r.features
    .map((f) => `${n(f.added)} ${f.modelId.split('@')[0]} features added (${n(f.kept)} already stored)`)
    .join(', ');
  return `${name}: ${features || 'no features'}; ${n(r.thumbs.added)} thumbnails added; shard "${r.shard.name}" ${r.shard.added ? 'added' : 'already stored'}; ${r.embeddings.added} label embedding(s) added; model ${r.model === 'none' ? 'none' : r.model === 'added' ? 'added' : 'kept (one was stored)'}.`;
}

/** Imports project files one after another; true when all came in. A refused file stops there, with its sentence. */
export async function importProjects(s: Session, files: File[]): Promise<boolean> {
  const signal = begin(s, 'import');
  const done: string[] = [];
  let last: ImportProjectResult | null = null;
  for (const file of files) {
    try {
      last = await s.env.workers.project.call(
        'importProject',
        { file },
        {
          signal,
          onEvent: (e) =>
            s.project.update((p) => p && { ...p, progress: { ...e.progress, detail: `${file.name}: ${e.progress.detail ?? ''}` } }),
        },
      );
      done.push(describeImport(file.name, last));
    } catch (err) {
      fail(s, 'import', err);
      s.project.update((p) => p && { ...p, error: `${file.name}: ${p.error}`, message: done.length ? done.join(' ') : null });
      void s.store.refresh();
      return false;
    }
  }
  s.project.set({ kind: 'import', running: false, progress: null, error: null, message: done.join(' ') });
  void s.store.refresh();
  const shown = get(s.shard);
  if (last && !shown) {
    await s.resume.openStored(last.shard.shardId);
    await s.resume.restoringModel;
    await followModel(s);
  } else if (shown) {
    // The shard on show may have gained features (its count) or a model.
    await s.showShard(shown.shardId);
    if (!get(s.model) && last?.model === 'added' && last.shard.shardId === shown.shardId) {
      await s.restoreModel(shown.shardId);
      await followModel(s);
    }
  }
  return true;
}

/** A model that came in with a project file reads one feature model's features: the settings follow it (and its
 *  layer), so what is computed next (a dropped image, the next run) matches it. */
async function followModel(s: Session) {
  const model = get(s.model);
  if (!model) return;
  const name = specOfModelId(model.featureModelId).name;
  const settings = get(s.settings);
  if (settings.model !== name || settings.layer !== model.layer) s.settings.set({ ...settings, model: name, layer: model.layer });
}

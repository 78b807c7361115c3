// Search with the retrieval net: an image of the shard (the training worker reads its stored features) or an
// image from outside it (the feature worker computes its features first, not cached). A newer query wins.
import { derived, get } from 'svelte/store';
import type { BackendChoice } from '../lib/features/backend';
import type { Session } from './session';

/** Makes the selected image the query whenever there is a model: a click on the map, in the grid or on a result,
 *  Back and Forward, and a link that names a query all select an image; a new model asks again. Clearing the
 *  selection clears an image query. Returns the unsubscriber. */
export function followSelection(s: Session): () => void {
  let asked: { id: string; model: unknown } | null = null;
  return derived([s.selectedImageId, s.model], (pair) => pair).subscribe(([id, model]) => {
    if (!id) {
      asked = null;
      if (get(s.search)?.query.kind === 'image') s.search.set(null);
      return;
    }
    if (!model || (asked?.id === id && asked.model === model)) return;
    asked = { id, model };
    void searchImage(s, id);
  });
}

/** The k most similar references to an image of the shard, by the current model. */
export async function searchImage(s: Session, imageId: string) {
  const shard = get(s.shard);
  s.selectedImageId.set(imageId);
  if (!shard || !get(s.model)) return;
  const query = { kind: 'image' as const, imageId };
  s.search.set({ query, results: get(s.search)?.results ?? [], ms: 0, error: null, busy: true });
  const isCurrent = () => {
    const now = get(s.search)?.query;
    return now?.kind === 'image' && now.imageId === imageId;
  };
  try {
    const r = await s.env.workers.train.call('query', { shardId: shard.shardId, query, k: get(s.settings).k });
    if (isCurrent()) s.search.set({ query, results: r.results, ms: r.ms, error: null, busy: false });
  } catch (err) {
    if (isCurrent()) s.search.set({ query, results: [], ms: 0, error: (err as Error).message, busy: false });
  }
}

/** Searches with an image that is not in the shard: its features are computed first (not cached). */
export async function searchFile(s: Session, file: File) {
  const shard = get(s.shard);
  if (!shard || !get(s.model)) {
    s.errorMessage.set('Load a shard and train (or import) a model before searching with your own image.');
    return;
  }
  const previous = get(s.search);
  if (previous?.query.kind === 'file') URL.revokeObjectURL(previous.query.url);
  const query = { kind: 'file' as const, name: file.name, url: URL.createObjectURL(file) };
  s.selectedImageId.set(null);
  s.search.set({ query, results: [], ms: 0, error: null, busy: true });
  const isCurrent = () => get(s.search)?.query === query;
  try {
    const t0 = performance.now();
    const f = await embedImages(s, [await file.arrayBuffer()]);
    const r = await s.env.workers.train.call('query', {
      shardId: shard.shardId,
      query: { kind: 'features', flatten: f.flatten, mixed7: f.mixed7 },
      k: get(s.settings).k,
    });
    if (isCurrent()) s.search.set({ query, results: r.results, ms: performance.now() - t0, error: null, busy: false });
  } catch (err) {
    if (isCurrent()) s.search.set({ query, results: [], ms: 0, error: (err as Error).message, busy: false });
  }
}

/** Features of loose image bytes, not cached (dropped images, backend checks); the buffers move to the worker. */
export function embedImages(s: Session, buffers: ArrayBuffer[], backend: BackendChoice = get(s.settings).backend) {
  const { batchSize, threads } = get(s.settings);
  return s.env.workers.features.call(
    'embed',
    { images: buffers, backend, batchSize, threads },
    {
      transfer: buffers,
      onEvent: (e) => {
        if (e.type !== 'backend') return;
        const { type: _type, ...info } = e;
        s.backendInfo.set(info);
      },
    },
  );
}

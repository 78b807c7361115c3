// Search with the retrieval net: an image of the shard (the training worker reads its stored features), an image
// from outside it (the feature worker computes its features first, not cached), or label words alone; an image
// query can carry label words too ("like this one, plus snow, minus dog"). Results come from the whole collection:
// labelled training images by their labels, unlabelled images (and validation and test images when asked) by the
// net's prediction. A newer query wins. Before a net is trained, a click on an image with features is answered by
// look, among the images with features so far (the query worker); when the net is ready, the open query is asked
// again by itself and the page says it was re-answered.
import { derived, get } from 'svelte/store';
import { contentHash } from '../lib/hash';
import type { BackendChoice } from '../lib/features/backend';
import { specOfModelId, type FeatureModelName } from '../lib/features/model';
import type { QueryInput } from '../lib/retrieval/protocol';
import type { Session } from './session';
import type { Ranking, SearchState } from './state';

/** Makes the selected image the query whenever there is a model: a click on the map, in the grid or on a result,
 *  Back and Forward, and a link that names a query all select an image; a new model, new label words or the
 *  held-out switch ask again. With no image but label words, the words are the query. Clearing both clears it.
 *  Returns the unsubscriber. */
export function followSelection(s: Session): () => void {
  let asked: unknown[] | null = null;
  const { queryWords, includeHeldOut } = s.workspace;
  return derived([s.selectedImageId, s.model, queryWords, includeHeldOut], (all) => all).subscribe((all) => {
    const [id, model, words] = all;
    const hasWords = words.plus.length + words.minus.length > 0;
    if (!id && !hasWords) {
      asked = null;
      const kind = get(s.search)?.query.kind;
      if (kind === 'image' || kind === 'labels') s.search.set(null);
      return;
    }
    const early = !model && !!id && get(s.featureCount) > 0;
    if ((!model && !early) || (asked && all.every((v, i) => v === asked![i]))) return;
    if (!id && get(s.search)?.query.kind === 'file') return; // words alone do not replace a dropped image's results
    asked = [...all]; // svelte reuses the values array: keep a copy
    void (id ? searchImage(s, id) : searchWords(s));
  });
}

/** The query in flight per session, so the same question asked twice at once (a selection followed, and the
 *  caller that selected) runs once. */
const inFlight = new WeakMap<Session, { key: string; done: Promise<void>; model: unknown; query: SearchState['query'] }>();

/** Runs one query through the training worker into `search`, unless a newer one replaced it meanwhile; the same
 *  query already running is waited for instead of asked again. */
function ask(s: Session, query: SearchState['query'], input: QueryInput | (() => Promise<QueryInput>)): Promise<void> {
  const key = JSON.stringify([
    query.kind === 'image' ? query.imageId : query.kind === 'file' ? query.url : 'labels',
    get(s.workspace.queryWords),
    get(s.workspace.includeHeldOut),
    get(s.settings).k,
  ]);
  const running = inFlight.get(s);
  // Shared only while its answer can still land (nothing cleared or replaced the search since it started).
  if (running?.key === key && get(s.model) === running.model && get(s.search)?.query === running.query) return running.done;
  const done = askOnce(s, query, input).finally(() => {
    if (inFlight.get(s)?.done === done) inFlight.delete(s);
  });
  inFlight.set(s, { key, done, model: get(s.model), query });
  return done;
}

async function askOnce(s: Session, query: SearchState['query'], input: QueryInput | (() => Promise<QueryInput>)) {
  const shard = get(s.shard);
  const model = get(s.model);
  // No net yet: an image of the collection is answered by look among the images with features so far.
  const early = !model && query.kind === 'image' && get(s.featureCount) > 0;
  if (!shard || (!model && !early)) return;
  const words = early ? { plus: [], minus: [] } : get(s.workspace.queryWords);
  const previous = get(s.search);
  // While it is asked, the results on show (and what ranked them) stay.
  const state: SearchState = {
    query,
    words,
    results: previous?.results ?? [],
    tags: previous?.tags,
    ms: 0,
    error: null,
    busy: true,
    ranking: previous?.ranking,
  };
  s.search.set(state);
  const isCurrent = () => get(s.search)?.query === query;
  const ranking: Ranking = early || model?.engine === 'look-alike' ? 'look-alike' : query.kind === 'labels' ? 'labels' : 'trained';
  // The same question answered by look before, now by the net: the page says the answer changed by itself.
  const sameQuestion =
    previous?.ranking === 'look-alike' &&
    ranking !== 'look-alike' &&
    previous.query.kind === 'image' &&
    query.kind === 'image' &&
    previous.query.imageId === query.imageId;
  try {
    const t0 = performance.now();
    // An input at hand is posted in this task, before the page renders the selection (Svelte flushes in a
    // microtask): the worker ranks while the page draws.
    const r: { results: SearchState['results']; tags: SearchState['tags']; ms: number; indexed?: number } =
      early && query.kind === 'image'
        ? await lookAlikeSoFar(s, shard.shardId, query.imageId)
        : await s.env.workers.train.call('query', {
            shardId: shard.shardId,
            query: typeof input === 'function' ? await input() : input,
            k: get(s.settings).k,
            plus: words.plus,
            minus: words.minus,
            includeHeldOut: get(s.workspace.includeHeldOut),
          });
    if (isCurrent())
      s.search.set({
        query,
        words,
        results: r.results,
        tags: r.tags,
        ms: query.kind === 'file' ? performance.now() - t0 : r.ms,
        error: null,
        busy: false,
        ranking,
        indexed: r.indexed,
        reanswered: sameQuestion || undefined,
      });
  } catch (err) {
    if (isCurrent()) s.search.set({ query, words, results: [], tags: [], ms: 0, error: (err as Error).message, busy: false, ranking });
  }
}

/** Answers from the first feature: the image ranked by raw-feature cosine among those with features so far. */
async function lookAlikeSoFar(s: Session, shardId: string, imageId: string) {
  const settings = get(s.settings);
  const r = await s.env.workers.query.call('lookAlike', {
    shardId,
    images: get(s.images).length,
    featureModelId: await s.env.featureModelId(settings.model),
    layer: settings.layer,
    imageId,
    k: settings.k,
    stored: get(s.featureCount),
  });
  return { ...r, tags: [] };
}

/** The k most similar images to an image of the shard, by the current model (with the label words, if any). */
export async function searchImage(s: Session, imageId: string) {
  if (get(s.droppedAs)?.imageId !== imageId) s.droppedAs.set(null);
  s.selectedImageId.set(imageId);
  const query = { kind: 'image' as const, imageId };
  await ask(s, query, query);
}

/** The images that best fit the label words alone (a point in label space). */
export async function searchWords(s: Session) {
  await ask(s, { kind: 'labels' as const }, { kind: 'labels' as const });
}

/** Searches with an image that is not in the shard: its features are computed first (not cached). A file whose
 *  bytes are an image of the collection is that image. */
export async function searchFile(s: Session, file: File) {
  if (!get(s.shard) || !get(s.model)) {
    s.errorMessage.set('Load a collection and train (or import) a model before searching with your own image.');
    return;
  }
  // The very bytes of an image of the collection (its content hash): that image is the query, and the page says so.
  const bytes = new Uint8Array(await file.arrayBuffer());
  const hash = await contentHash(bytes);
  const same = get(s.images).find((im) => im.hash === hash);
  if (same) {
    s.droppedAs.set({ name: file.name, imageId: same.imageId });
    await searchImage(s, same.imageId);
    return;
  }
  s.droppedAs.set(null);
  const previous = get(s.search);
  if (previous?.query.kind === 'file') URL.revokeObjectURL(previous.query.url);
  const query = { kind: 'file' as const, name: file.name, url: URL.createObjectURL(file) };
  s.selectedImageId.set(null);
  await ask(s, query, async () => {
    // The features of the model's own feature model, whatever the settings now say.
    const model = specOfModelId(get(s.model)!.featureModelId).name;
    const f = await embedImages(s, [bytes.buffer], undefined, model);
    return { kind: 'features', flatten: f.flatten, mixed7: f.mixed7, phash: f.phashes?.[0] ?? null };
  });
}

/** Features of loose image bytes, not cached (dropped images, backend checks); the buffers move to the worker. */
export function embedImages(
  s: Session,
  buffers: ArrayBuffer[],
  backend: BackendChoice = get(s.settings).backend,
  model: FeatureModelName = get(s.settings).model,
) {
  const { batchSize, threads } = get(s.settings);
  // Never beside a speed probe: the features worker holds one model and backend at a time.
  return s.featureSpeed.alone(() =>
    s.env.workers.features.call(
      'embed',
      { images: buffers, model, backend, batchSize, threads },
      {
        transfer: buffers,
        onEvent: (e) => {
          if (e.type !== 'backend') return;
          const { type: _type, ...info } = e;
          s.backendInfo.set(info);
        },
      },
    ),
  );
}

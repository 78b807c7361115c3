// The address bar as part of the state: the shard (a URL shard by its URL, a local one by its cache key), the query
// image, the query's label words (`plus`, `minus`), the "validation images" tick (`validation=1`), the label filter
// and the main view. Each new query or filter is a history entry, so Back and Forward step
// through them; a reload, a bookmark or a shared link reopens the same view (a local shard once it is picked again,
// or straight away while it is in this browser's cache). Other parameters (settings, `inject`) are left as they are.
import { get } from 'svelte/store';
import type { Session } from './session';
import type { MainView } from './workspace';

export interface ViewInUrl {
  /** A URL shard's address. */
  shard: string | null;
  /** A local shard's cache key (sourceKey), which only this browser can reopen. */
  collection: string | null;
  query: string | null;
  labels: string[];
  view: MainView;
  /** Label words of the query (LabelNames): more like these, less like those. */
  plus?: string[];
  minus?: string[];
  /** The "validation images" tick: results include labelled validation and test images. */
  heldOut?: boolean;
}

export function readView(search: string): ViewInUrl {
  const p = new URLSearchParams(search);
  return {
    shard: p.get('shard'),
    collection: p.get('collection'),
    query: p.get('q'),
    labels: p.getAll('label'),
    view: p.get('view') === 'grid' ? 'grid' : 'map',
    plus: p.getAll('plus'),
    minus: p.getAll('minus'),
    heldOut: p.get('validation') === '1',
  };
}

/** The address for a view: `href` with the view's parameters replaced and every other parameter kept. */
export function writeView(href: string, v: ViewInUrl): string {
  const url = new URL(href);
  const p = url.searchParams;
  for (const key of ['shard', 'collection', 'q', 'label', 'view', 'plus', 'minus', 'validation']) p.delete(key);
  if (v.shard) p.set('shard', v.shard);
  else if (v.collection) p.set('collection', v.collection);
  if (v.query) p.set('q', v.query);
  for (const l of v.labels) p.append('label', l);
  if (v.view !== 'map') p.set('view', v.view);
  for (const l of v.plus ?? []) p.append('plus', l);
  for (const l of v.minus ?? []) p.append('minus', l);
  if (v.heldOut) p.set('validation', '1');
  url.search = p.toString();
  return url.href;
}

export interface HistoryLike {
  pushState(data: unknown, unused: string, url: string): void;
  replaceState(data: unknown, unused: string, url: string): void;
}

/** Keeps the address and the state in step both ways. */
export class UrlSync {
  /** The view the address asked for, applied once its shard's images are shown. */
  private pending: ViewInUrl | null = null;
  /** A view of a local shard that is not shown: applied when that shard is picked again. */
  private later: ViewInUrl | null = null;
  private applying = false;
  private last: ViewInUrl | null = null;

  constructor(private readonly s: Session) {}

  /** The view the session shows now. */
  current(): ViewInUrl {
    const shard = get(this.s.shard);
    const { filter, mainView, queryWords, includeHeldOut } = this.s.workspace;
    const words = get(queryWords);
    return {
      shard: shard?.source.kind === 'url' ? shard.source.url : null,
      collection: shard && shard.source.kind !== 'url' ? shard.shardId : null,
      query: get(this.s.selectedImageId),
      labels: get(filter),
      view: get(mainView),
      plus: words.plus,
      minus: words.minus,
      heldOut: get(includeHeldOut),
    };
  }

  /** Reads the address the page opened with and follows the state from then on; returns the unsubscriber. */
  start(history: HistoryLike): () => void {
    this.pending = readView(this.s.env.location.search);
    const { filter, mainView, queryWords, includeHeldOut } = this.s.workspace;
    const follow = () => {
      if (this.applying) return;
      this.applyPending();
      const now = this.current();
      if (!get(this.s.shard) || this.pending) return; // nothing shown yet: the address keeps what it asked for
      const href = writeView(this.s.env.location.href, now);
      const last = this.last;
      this.last = now;
      if (href === this.s.env.location.href) return;
      const sameShard = last !== null && last.shard === now.shard && last.collection === now.collection;
      const list = (v: ViewInUrl) =>
        [v.query, ...v.labels, '+', ...(v.plus ?? []), '-', ...(v.minus ?? []), v.heldOut ? 'validation' : ''].join('\n');
      const step = sameShard && list(now) !== list(last);
      if (step) history.pushState(null, '', href);
      else history.replaceState(null, '', href);
    };
    const stops = [this.s.shard, this.s.images, this.s.selectedImageId, filter, mainView, queryWords, includeHeldOut].map((store) =>
      store.subscribe(follow),
    );
    return () => stops.forEach((stop) => stop());
  }

  /** Back or Forward: the address changed under the page; show what it names. */
  popped() {
    this.pending = readView(this.s.env.location.search);
    const shard = get(this.s.shard);
    const wanted = this.pending.shard;
    if (wanted && !(shard?.source.kind === 'url' && shard.source.url === new URL(wanted, this.s.env.location.href).href)) {
      void this.s.runShard({ kind: 'url', url: new URL(wanted, this.s.env.location.href).href }).catch(() => undefined);
      return;
    }
    this.applyPending();
  }

  /** Applies the pending view once the shard it names is shown (its images loaded); labels and a query the shard
   *  does not have are dropped. */
  private applyPending() {
    const shard = get(this.s.shard);
    const images = get(this.s.images);
    if (this.later && shard && this.later.collection === shard.shardId) {
      this.pending = this.later;
      this.later = null;
    }
    const want = this.pending;
    if (!want || !shard || images.length === 0) return;
    const sameShard =
      shard.source.kind === 'url'
        ? !want.shard || new URL(want.shard, this.s.env.location.href).href === shard.source.url
        : !want.collection || want.collection === shard.shardId;
    this.pending = null;
    if (!sameShard) {
      if (want.collection) this.later = want;
      return;
    }
    this.applying = true;
    try {
      const { filter, mainView, labelIndex, queryWords, includeHeldOut } = this.s.workspace;
      const index = get(labelIndex);
      filter.set(want.labels.filter((l) => index.byName.has(l)));
      queryWords.set({
        plus: (want.plus ?? []).filter((l) => index.byName.has(l)),
        minus: (want.minus ?? []).filter((l) => index.byName.has(l)),
      });
      mainView.set(want.view);
      includeHeldOut.set(want.heldOut ?? false);
      const query = want.query && images.some((im) => im.imageId === want.query) ? want.query : null;
      this.s.selectedImageId.set(query);
      if (!query && !get(queryWords).plus.length && !get(queryWords).minus.length) this.s.search.set(null);
    } finally {
      this.applying = false;
    }
    this.last = this.current();
  }
}

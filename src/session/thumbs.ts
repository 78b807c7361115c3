// Thumbnail URLs for the gallery: read from IndexedDB by content hash, turned into object URLs, and revoked when
// they fall out of a bounded LRU, so scrolling through 100,000 images never holds more than `limit` of them.
// Reads are batched: the hashes asked for in one task are read together, `chunk` at a time in one transaction, with
// a yield to the event loop between chunks, and a hash no longer wanted (its cell scrolled away) is not read at all.
// One transaction per thumbnail made a fast scroll through distinct images cost the main thread 100-200 ms tasks.
import { openSimageDb, type Db } from '../lib/store/db';

const limit = 1500;
const chunk = 24;
const urls = new Map<string, string>();
/** Hashes waiting to be read, each with its waiters (a waiter whose signal aborted no longer counts). */
const queue = new Map<string, { resolve: (url: string | null) => void; signal?: AbortSignal }[]>();
let scheduled = false;
let dbPromise: Promise<Db> | null = null;

function remember(hash: string, url: string) {
  urls.set(hash, url);
  while (urls.size > limit) {
    const [oldest, oldUrl] = urls.entries().next().value as [string, string];
    urls.delete(oldest);
    URL.revokeObjectURL(oldUrl);
  }
}

/** The thumbnail's object URL, or null when there is none (or `signal` aborted first). */
export function thumbUrl(hash: string, signal?: AbortSignal): Promise<string | null> {
  const hit = urls.get(hash);
  if (hit) {
    urls.delete(hash);
    urls.set(hash, hit);
    return Promise.resolve(hit);
  }
  return new Promise((resolve) => {
    const waiters = queue.get(hash);
    if (waiters) waiters.push({ resolve, signal });
    else queue.set(hash, [{ resolve, signal }]);
    schedule();
  });
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => void drain(), 0);
}

async function drain() {
  // Take the next hashes still wanted; the others are answered with null and dropped.
  const batch: [string, { resolve: (url: string | null) => void; signal?: AbortSignal }[]][] = [];
  for (const [hash, waiters] of queue) {
    queue.delete(hash);
    const live = waiters.filter((w) => !w.signal?.aborted);
    for (const w of waiters) if (w.signal?.aborted) w.resolve(null);
    if (live.length) batch.push([hash, live]);
    if (batch.length === chunk) break;
  }
  try {
    if (batch.length) {
      dbPromise ??= openSimageDb();
      const db = await dbPromise;
      const tx = db.transaction('thumbs');
      const records = await Promise.all(batch.map(([hash]) => tx.store.get(hash)));
      records.forEach((rec, i) => {
        const [hash, waiters] = batch[i];
        let url: string | null = null;
        if (rec) {
          url = urls.get(hash) ?? URL.createObjectURL(new Blob([rec.bytes], { type: rec.type }));
          remember(hash, url);
        }
        for (const w of waiters) w.resolve(url);
      });
    }
  } catch {
    for (const [, waiters] of batch) for (const w of waiters) w.resolve(null);
  } finally {
    scheduled = false;
    if (queue.size) schedule();
  }
}

export function resetThumbs() {
  for (const url of urls.values()) URL.revokeObjectURL(url);
  urls.clear();
  for (const waiters of queue.values()) for (const w of waiters) w.resolve(null);
  queue.clear();
  dbPromise?.then((db) => db.close());
  dbPromise = null;
}

// Thumbnail URLs for the gallery and the map: read from IndexedDB by content hash, turned into data URLs, and kept in
// a bounded LRU, so scrolling through 100,000 images never holds more than `limit` of them.
// Reads are batched: the hashes asked for in one task are read together, `chunk` at a time in one transaction, with
// a yield to the event loop between chunks, and a hash no longer wanted (its cell scrolled away) is not read at all.
// One transaction per thumbnail made a fast scroll through distinct images cost the main thread 100-200 ms tasks.
// Data URLs, not object URLs: Chromium registers an object URL with its browser process and waits for the answer,
// and while the browser process is busy storing a run's features that wait took 130-210 ms for one chunk (profiled
// at 10,000 images). Encoding a few-kilobyte thumbnail as base64 takes microseconds and waits for nobody.
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
    const [oldest] = urls.entries().next().value as [string, string];
    urls.delete(oldest);
  }
}

/** The thumbnail's data URL, or null when there is none (or `signal` aborted first). */
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

function dataUrl(bytes: ArrayBuffer, type: string): string {
  const b = new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < b.length; i += 0x2000) s += String.fromCharCode(...b.subarray(i, i + 0x2000));
  return `data:${type};base64,${btoa(s)}`;
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
          url = urls.get(hash) ?? dataUrl(rec.bytes, rec.type);
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
  urls.clear();
  for (const waiters of queue.values()) for (const w of waiters) w.resolve(null);
  queue.clear();
  dbPromise?.then((db) => db.close());
  dbPromise = null;
}

// Thumbnail URLs for the gallery: read from IndexedDB by content hash, turned into object URLs, and revoked when
// they fall out of a bounded LRU, so scrolling through 100,000 images never holds more than `limit` of them.
import { getThumb, openSimageDb, type Db } from '../lib/store/db';

const limit = 1500;
const urls = new Map<string, string>();
const pending = new Map<string, Promise<string | null>>();
let dbPromise: Promise<Db> | null = null;

export function thumbUrl(hash: string): Promise<string | null> {
  const hit = urls.get(hash);
  if (hit) {
    urls.delete(hash);
    urls.set(hash, hit);
    return Promise.resolve(hit);
  }
  const inFlight = pending.get(hash);
  if (inFlight) return inFlight;
  dbPromise ??= openSimageDb();
  const p = dbPromise
    .then((db) => getThumb(db, hash))
    .then((rec) => {
      pending.delete(hash);
      if (!rec) return null;
      const url = URL.createObjectURL(new Blob([rec.bytes], { type: rec.type }));
      urls.set(hash, url);
      while (urls.size > limit) {
        const [oldest, oldUrl] = urls.entries().next().value as [string, string];
        urls.delete(oldest);
        URL.revokeObjectURL(oldUrl);
      }
      return url;
    });
  pending.set(hash, p);
  return p;
}

export function resetThumbs() {
  for (const url of urls.values()) URL.revokeObjectURL(url);
  urls.clear();
  dbPromise?.then((db) => db.close());
  dbPromise = null;
}

import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSimageDb, putThumbs } from '../../src/lib/store/db';
import { resetThumbs, thumbUrl } from '../../src/session/thumbs';

const thumb = (hash: string) => ({
  hash,
  bytes: new TextEncoder().encode(hash).buffer,
  type: 'image/webp',
  width: 1,
  height: 1,
  originalWidth: 1,
  originalHeight: 1,
});

describe('gallery thumbnails', () => {
  afterEach(() => {
    resetThumbs();
    vi.restoreAllMocks();
  });

  it('reads the thumbnails asked for together in a few transactions, skips those no longer wanted, and caches the rest', async () => {
    const db = await openSimageDb();
    const hashes = Array.from({ length: 60 }, (_, i) => `h${i}`);
    await putThumbs(db, hashes.map(thumb));
    const transaction = vi.spyOn(Object.getPrototypeOf(db), 'transaction');
    db.close();
    transaction.mockClear();

    const gone = new AbortController();
    const wanted = hashes.slice(0, 50).map((h) => thumbUrl(h));
    const dropped = hashes.slice(50).map((h) => thumbUrl(h, gone.signal));
    const twice = thumbUrl('h0');
    gone.abort(); // those cells scrolled away before their turn
    const urls = await Promise.all(wanted);
    expect(await Promise.all(dropped)).toEqual(Array(10).fill(null));
    expect(await twice).toBe(urls[0]);
    expect(new Set(urls).size).toBe(50);
    for (const u of urls) expect(u).toMatch(/^data:image\/webp;base64,/);
    expect(await (await fetch(urls[7]!)).text()).toBe('h7');
    // 50 thumbnails in chunks of 24: three transactions, not fifty.
    const reads = transaction.mock.calls.filter((c) => c[0] === 'thumbs').length;
    expect(reads).toBe(3);
    // Cached: no further read.
    expect(await thumbUrl('h3')).toBe(urls[3]);
    expect(transaction.mock.calls.filter((c) => c[0] === 'thumbs').length).toBe(3);
    expect(await thumbUrl('missing')).toBeNull();
  });
});

// Answers from the first feature (src/lib/retrieval/first-answers.ts): a click ranked by look among the images with
// features so far, the index growing as the run stores more, never reading what it already holds.
import { describe, expect, it } from 'vitest';
import { FirstAnswers, type FeatureReader } from '../../src/lib/retrieval/first-answers';
import { LookAlikeIndex } from '../../src/lib/retrieval/look-alike';

/** A collection of n images whose features appear as a run would store them; counts every feature read. */
function collection(n: number, dim = 4) {
  const images = Array.from({ length: n }, (_, i) => ({ imageId: `im${i}`, hash: `h${i}` }));
  // Two groups by look: even images point one way, odd ones another, each a little apart.
  const row = (i: number) => Float32Array.from({ length: dim }, (_, d) => (d === i % 2 ? 1 : 0) + 0.01 * ((i * (d + 1)) % 7));
  const stored = new Set<string>();
  let reads = 0;
  const reader: FeatureReader = {
    images: async () => images,
    features: async (_model, hashes) => {
      reads += hashes.length;
      return hashes.map((h) => (stored.has(h) ? row(Number(h.slice(1))) : null));
    },
  };
  return {
    reader,
    store: (from: number, to: number) => images.slice(from, to).forEach((im) => stored.add(im.hash)),
    get reads() {
      return reads;
    },
  };
}

const ask = (imageId: string, stored: number) => ({
  shardId: 's',
  images: 1500,
  featureModelId: 'm',
  layer: 'flatten' as const,
  imageId,
  k: 5,
  stored,
});

describe('answers from the first feature', () => {
  it('ranks among the images with features so far, and grows with the run without reading any twice', async () => {
    const c = collection(1500);
    const answers = new FirstAnswers(c.reader);
    c.store(0, 10);
    const first = await answers.answer(ask('im2', 10));
    expect(first.indexed).toBe(10);
    expect(first.results).toHaveLength(5);
    // Look-alikes of an even image are the 4 other even images; the query itself is left out.
    for (const r of first.results.slice(0, 4)) expect(Number(r.imageId.slice(2)) % 2).toBe(0);
    expect(first.results.map((r) => r.imageId)).not.toContain('im2');
    expect(first.results.every((r) => r.by === 'look')).toBe(true);
    // Its own row, then one batch of 512 that found 9 more (and 503 not yet stored); the next batch is not read.
    expect(c.reads).toBe(1 + 512);

    c.store(10, 700);
    const before = c.reads;
    const second = await answers.answer(ask('im3', 700));
    expect(second.indexed).toBe(700);
    // The images found before are not read again (im3 among them): two batches of those missing, 690 found.
    expect(c.reads - before).toBe(2 * 512);
    for (const r of second.results) expect(Number(r.imageId.slice(2)) % 2).toBe(1);

    // Nothing new stored: answered from the index, reading nothing.
    const again = c.reads;
    await answers.answer(ask('im5', 700));
    expect(c.reads).toBe(again);
  });

  it('answers an image stored out of order, and says what to do for one without features', async () => {
    const c = collection(1500);
    const answers = new FirstAnswers(c.reader);
    c.store(1400, 1401);
    c.store(0, 3);
    const r = await answers.answer(ask('im1400', 4));
    expect(r.indexed).toBe(4);
    await expect(answers.answer(ask('im900', 4))).rejects.toThrow(/no features yet/);
    await expect(answers.answer(ask('nope', 4))).rejects.toThrow(/no image “nope”/);
  });

  it('an index grows by rows added later, each scaled to unit length, and skips rows it holds', () => {
    const index = new LookAlikeIndex(['a'], Float32Array.from([3, 4]), 2);
    index.add(['b', 'a', 'c'], Float32Array.from([0, 2, 9, 9, 1, 0]));
    expect(index.size).toBe(3);
    expect([...index.rowOfImage('b')!]).toEqual([0, 1]);
    expect([...index.rowOfImage('a')!].map((v) => +v.toFixed(3))).toEqual([0.6, 0.8]);
    expect(index.search(Float32Array.from([1, 0]), 3).map((f) => f.imageId)).toEqual(['c', 'a', 'b']);
    expect(() => index.add(['d'], Float32Array.from([1]))).toThrow(/not 1 x 2/);
  });
});

// The perceptual hash: known answers on synthetic images (a copy, a brighter copy, a slightly blurred copy land a
// few bits away; a different picture about half the bits away), and the near-copy check it adds to findDuplicates.
import { describe, expect, it } from 'vitest';
import {
  COLOUR_BYTES,
  colourDistance,
  colourPrint,
  hammingDistance,
  luminance,
  perceptualHash,
  PHASH_SIDE,
} from '../../src/lib/duplicates/phash';
import { findDuplicates } from '../../src/lib/duplicates/groups';
import { seededRandom } from '../../src/lib/random';

const N = PHASH_SIDE * PHASH_SIDE;
/** A PHASH_SIDE-square grey picture from a function of (x, y) in [0, 1). */
const picture = (f: (x: number, y: number) => number) =>
  Float64Array.from({ length: N }, (_, i) => 255 * f((i % PHASH_SIDE) / PHASH_SIDE, Math.floor(i / PHASH_SIDE) / PHASH_SIDE));
const hashes = (...pictures: Float64Array[]) => Uint32Array.from(pictures.flatMap((p) => perceptualHash(p)));

describe('perceptualHash', () => {
  const scene = picture((x, y) => 0.5 + 0.3 * Math.sin(6 * x) * Math.cos(4 * y) + 0.2 * (x > 0.6 && y < 0.4 ? 1 : 0));
  it('gives a copy the same hash and a brighter or slightly blurred copy a close one', () => {
    const brighter = scene.map((v) => Math.min(255, v * 1.1 + 8));
    const blurred = scene.map((v, i) => (i % PHASH_SIDE > 0 ? (v + scene[i - 1]) / 2 : v));
    const h = hashes(scene, Float64Array.from(scene), brighter, blurred);
    expect(hammingDistance(h, 0, 1)).toBe(0);
    expect(hammingDistance(h, 0, 2)).toBeLessThanOrEqual(16);
    expect(hammingDistance(h, 0, 3)).toBeLessThanOrEqual(32);
  });
  it('puts different pictures about half the bits apart', () => {
    const random = seededRandom(4);
    const others = Array.from({ length: 20 }, () => {
      const [a, b, c] = [random() * 10, random() * 10, random()];
      return picture((x, y) => 0.5 + 0.4 * Math.sin(a * x + c) * Math.cos(b * y));
    });
    const h = hashes(scene, ...others);
    const distances = others.map((_, i) => hammingDistance(h, 0, i + 1));
    expect(Math.min(...distances)).toBeGreaterThan(56);
    expect(distances.reduce((s, d) => s + d, 0) / distances.length).toBeGreaterThan(96);
  });
  it('reads RGBA pixels as Rec. 601 luminance, transparent ones over white, and refuses another size', () => {
    const rgba = new Uint8ClampedArray(4 * N).fill(0);
    rgba.set([100, 200, 50, 255], 0);
    rgba.set([100, 200, 50, 51], 4);
    const y = 0.299 * 100 + 0.587 * 200 + 0.114 * 50;
    expect(luminance(rgba)[0]).toBeCloseTo(y);
    expect(luminance(rgba)[1]).toBeCloseTo(0.2 * y + 0.8 * 255);
    expect(luminance(rgba)[2]).toBeCloseTo(255); // fully transparent: white
    expect(() => luminance(new Uint8ClampedArray(16))).toThrow(/64 x 64/);
  });
});

describe('findDuplicates with perceptual hashes', () => {
  it('joins a pair close in features only when their pictures are close too', () => {
    // Three images with (nearly) the same features: 0 and 1 are the same picture, 2 is another picture.
    const features = Float32Array.from([1, 0, 0, 0.999, 0.01, 0, 0.998, 0, 0.02]);
    const pictureA = picture((x, y) => 0.5 + 0.4 * Math.sin(7 * x) * Math.cos(3 * y));
    const pictureB = picture((x, y) => 0.5 + 0.4 * Math.cos(2 * x) * Math.sin(9 * y));
    const phashes = hashes(pictureA, pictureA, pictureB);
    const input = {
      imageIds: ['a', 'b', 'c'],
      hashes: ['h1', 'h2', 'h3'],
      splits: ['train', 'train', 'validation'] as const,
      features,
      dim: 3,
    };
    const run = (extra: object) => {
      const g = findDuplicates({ ...input, splits: [...input.splits], ...extra }, 0.95);
      let step = g.next();
      while (!step.done) step = g.next();
      return step.value;
    };
    expect(run({}).groups).toEqual([{ ids: ['a', 'b', 'c'], kind: 'near', leak: true }]);
    const withPhash = run({ phashes, phashKnown: Uint8Array.from([1, 1, 1]) });
    expect(withPhash.groups).toEqual([{ ids: ['a', 'b'], kind: 'near', leak: false }]);
    expect(withPhash.max_hamming).toBeGreaterThan(0);
    // An image without a pHash joins by its features alone.
    expect(run({ phashes, phashKnown: Uint8Array.from([1, 1, 0]) }).groups[0].ids).toEqual(['a', 'b', 'c']);
  });

  it('does not join one layout in other colours: banded flags hash alike, their colour prints do not', () => {
    // Three horizontal bands with a bright middle, as the emoji demo's flags of Bolivia, Sierra Leone and Yemen.
    const flag = (bands: [number, number, number][]) => {
      const rgba = new Uint8ClampedArray(4 * N);
      for (let i = 0; i < N; i++) rgba.set([...bands[Math.min(2, Math.floor((3 * Math.floor(i / PHASH_SIDE)) / PHASH_SIDE))], 255], 4 * i);
      return rgba;
    };
    // Alike in luminance band by band (the pHash's view), unlike in colour.
    const bolivia = flag([
      [255, 0, 0],
      [255, 255, 0],
      [0, 128, 0],
    ]);
    const sierraLeone = flag([
      [0, 100, 152],
      [120, 255, 255],
      [160, 40, 160],
    ]);
    const copy = bolivia.map((v, i) => (i % 4 === 3 ? v : Math.min(255, v + 1)));
    const pictures = [bolivia, copy, sierraLeone];
    // The pHash of flat bands is decided by rounding (all but one column of its DCT is zero), so the test gives all
    // three the same hash, as the real flags' hashes were close (Bolivia to Sierra Leone 18 bits, Sierra Leone to
    // Yemen 26): the colour prints alone must tell them apart.
    const phashes = Uint32Array.from(pictures.flatMap(() => perceptualHash(luminance(bolivia))));
    const colours = new Uint8Array(pictures.length * COLOUR_BYTES);
    pictures.forEach((p, i) => colours.set(colourPrint(p), i * COLOUR_BYTES));
    expect(colourDistance(colours, 0, 1)).toBeLessThan(2);
    expect(colourDistance(colours, 0, 2)).toBeGreaterThan(40);
    const features = Float32Array.from([1, 0, 0.999, 0.01, 0.998, 0.02]);
    const g = findDuplicates(
      {
        imageIds: ['bo', 'copy', 'sl'],
        hashes: ['1', '2', '3'],
        splits: ['train', 'train', 'train'],
        features,
        dim: 2,
        phashes,
        phashKnown: Uint8Array.from([1, 1, 1]),
        colours,
      },
      0.95,
    );
    let step = g.next();
    while (!step.done) step = g.next();
    expect(step.value.groups).toEqual([{ ids: ['bo', 'copy'], kind: 'near', leak: false }]);
    expect(step.value.max_colour_rms).toBe(12);
  });

  it('prints the mean colour of each cell, transparent pixels over white, and refuses another size', () => {
    const rgba = new Uint8ClampedArray(4 * N);
    for (let i = 0; i < N; i++) rgba.set([200, 100, 0, i % PHASH_SIDE < PHASH_SIDE / 2 ? 255 : 0], 4 * i);
    const print = colourPrint(rgba);
    expect(print).toHaveLength(COLOUR_BYTES);
    expect([...print.subarray(0, 3)]).toEqual([200, 100, 0]); // top-left cell: opaque orange
    expect([...print.subarray(9, 12)]).toEqual([255, 255, 255]); // top-right cell: transparent, so white
    expect(() => colourPrint(new Uint8ClampedArray(16))).toThrow(/64 x 64/);
  });
});

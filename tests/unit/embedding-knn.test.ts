import { describe, expect, it } from 'vitest';
import { knn2d, knnCosineExact } from '../../src/lib/embedding/knn';
import { seededRandom } from '../../src/lib/random';

function bruteForce2d(xy: Float32Array, cand: Int32Array, k: number) {
  return Array.from(cand, (i) =>
    Array.from(cand)
      .filter((j) => j !== i)
      .map((j) => [(xy[2 * i] - xy[2 * j]) ** 2 + (xy[2 * i + 1] - xy[2 * j + 1]) ** 2, j])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, k)
      .map((p) => p[1]),
  );
}

describe('knn2d', () => {
  it('is exact against brute force, for clustered and uniform points and a subset of candidates', () => {
    const random = seededRandom(5);
    const n = 700;
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const cluster = i % 3;
      xy[2 * i] = i < 350 ? random() * 100 : cluster * 40 + random() * 3;
      xy[2 * i + 1] = i < 350 ? random() * 100 : random() * 3;
    }
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const subset = all.filter((i) => i % 4 !== 1);
    for (const cand of [all, subset]) {
      const k = 15;
      const got = knn2d(xy, cand, k);
      const want = bruteForce2d(xy, cand, k);
      cand.forEach((_, j) => expect(Array.from(got.subarray(j * k, (j + 1) * k))).toEqual(want[j]));
    }
  });
  it('handles tiny and degenerate inputs', () => {
    expect(Array.from(knn2d(new Float32Array([0, 0, 1, 1]), Int32Array.from([0, 1]), 5))).toEqual([1, 0]);
    const same = knn2d(new Float32Array(10).fill(3), Int32Array.from([0, 1, 2, 3, 4]), 2);
    expect(same.length).toBe(10);
    expect(Array.from(same.subarray(0, 2))).toEqual([1, 2]);
  });
});

describe('knnCosineExact', () => {
  it('ranks by cosine similarity and ignores vector length', () => {
    const data = new Float32Array([1, 0, 10, 0.1, 0, 1, 0.7, 0.7]);
    const got = knnCosineExact(data, 2, Int32Array.from([0, 1, 2, 3]), 2);
    expect(Array.from(got.subarray(0, 2))).toEqual([1, 3]);
    expect(Array.from(got.subarray(4, 6))).toEqual([3, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { csrFromRows, csrTimesDense, csrTransposeTimesDense, dedupeRows } from '../../src/lib/sparse';
import { randomizedSvd, symmetricEigen } from '../../src/lib/embedding/svd';
import { meanRetrievalScore, retrievalScore } from '../../src/lib/embedding/score';
import { seededRandom } from '../../src/lib/random';

const row = (...pairs: [number, number][]) => pairs.map(([col, value]) => ({ col, value }));

describe('CSR label matrix', () => {
  it('drops zeros, keeps the largest duplicate, sorts columns', () => {
    const m = csrFromRows([row([2, 0.5], [0, 1], [2, 0.9], [1, 0])], 3);
    expect(Array.from(m.rowPtr)).toEqual([0, 2]);
    expect(Array.from(m.colIdx)).toEqual([0, 2]);
    expect(Array.from(m.values)).toEqual([1, Math.fround(0.9)]);
    expect(() => csrFromRows([row([5, 1])], 3)).toThrow();
  });
  it('multiplies by dense blocks both ways', () => {
    const a = csrFromRows([row([0, 1], [2, 2]), row([1, 3])], 3);
    const x = Float64Array.from([1, 2, 3, 4, 5, 6]); // 3 x 2
    expect(Array.from(csrTimesDense(a, x, 2))).toEqual([1 + 10, 2 + 12, 9, 12]);
    const y = Float64Array.from([1, 0, 0, 1]); // 2 x 2
    expect(Array.from(csrTransposeTimesDense(a, y, 2))).toEqual([1, 0, 0, 3, 2, 0]);
  });
  it('dedupes identical label rows and maps them back', () => {
    const a = csrFromRows([row([0, 1]), row([1, 0.5]), row([0, 1]), row(), row()], 2);
    const { unique, groupOf, counts } = dedupeRows(a);
    expect(unique.rows).toBe(3);
    expect(Array.from(groupOf)).toEqual([0, 1, 0, 2, 2]);
    expect(Array.from(counts)).toEqual([2, 1, 2]);
  });
});

/** Exact singular values of a small dense matrix: square roots of the eigenvalues of A^T A (Jacobi). */
function exactSingularValues(dense: number[][], cols: number): number[] {
  const ata = new Float64Array(cols * cols);
  for (const r of dense) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) ata[i * cols + j] += r[i] * r[j];
  return Array.from(symmetricEigen(ata, cols).values, (v) => Math.sqrt(Math.max(v, 0)));
}

function randomSparse(rows: number, cols: number, perRow: number, seed: number) {
  const random = seededRandom(seed);
  const lists = Array.from({ length: rows }, () =>
    Array.from({ length: perRow }, () => ({ col: Math.floor(random() * cols), value: 0.2 + 0.8 * random() })),
  );
  const a = csrFromRows(lists, cols);
  const dense = Array.from({ length: rows }, (_, i) => {
    const r = new Array(cols).fill(0);
    for (let p = a.rowPtr[i]; p < a.rowPtr[i + 1]; p++) r[a.colIdx[p]] = a.values[p];
    return r;
  });
  return { a, dense };
}

describe('randomized SVD (Halko et al. 2011)', () => {
  it('matches the exact singular values within 1e-3 relative', () => {
    const { a, dense } = randomSparse(300, 40, 5, 7);
    const exact = exactSingularValues(dense, 40);
    const svd = randomizedSvd(a, { components: 10, seed: 3 });
    for (let j = 0; j < 10; j++) expect(Math.abs(svd.singularValues[j] - exact[j]) / exact[j]).toBeLessThan(1e-3);
  });
  it('gives U*Sigma whose Gram matrix is diag(sigma^2), and is deterministic for a seed', () => {
    const { a } = randomSparse(200, 30, 4, 11);
    const svd = randomizedSvd(a, { components: 5, seed: 1 });
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        let dot = 0;
        for (let r = 0; r < 200; r++) dot += svd.embedding[r * 5 + i] * svd.embedding[r * 5 + j];
        const want = i === j ? svd.singularValues[i] ** 2 : 0;
        expect(Math.abs(dot - want)).toBeLessThan(1e-3 * svd.singularValues[0] ** 2);
      }
    }
    expect(Array.from(randomizedSvd(a, { components: 5, seed: 1 }).embedding)).toEqual(Array.from(svd.embedding));
  });
  it('recovers an exactly low-rank matrix', () => {
    const rows = Array.from({ length: 50 }, (_, i) => (i % 2 ? row([0, 1], [1, 1]) : row([2, 0.5])));
    const svd = randomizedSvd(csrFromRows(rows, 3), { components: 3, seed: 9 });
    expect(svd.singularValues[0]).toBeCloseTo(Math.sqrt(50), 5); // 25 rows of [1,1,0]: sigma = sqrt(25 * 2)
    expect(svd.singularValues[1]).toBeCloseTo(Math.sqrt(25 * 0.25), 5);
    expect(svd.singularValues[2]).toBeCloseTo(0, 5);
  });
});

describe('the 2017 retrieval score', () => {
  // Labels: 0 dog, 1 cat, 2 grass. Query 0 = {dog 1, grass 0.5}, B = 1.5.
  const labels = csrFromRows([row([0, 1], [2, 0.5]), row([0, 0.8]), row([1, 1]), row([0, 1], [2, 1]), row()], 3);

  it('matches a hand computation', () => {
    // S = [1, 2, 3]: shared sums 0.8*1, 0, 1*1 + 1*0.5 = 2.3; k = 3, n = 50: 2/53 * 2.3 / 1.5
    expect(retrievalScore(labels, 0, [1, 2, 3])).toBeCloseTo((2 / 53) * (2.3 / 1.5), 7);
  });
  it('removes the query itself from the list before counting k', () => {
    expect(retrievalScore(labels, 0, [0, 1, 2, 3])).toBeCloseTo((2 / 53) * (2.3 / 1.5), 7);
  });
  it('uses B = 1 for a query without labels, and scores 0 when nothing is shared', () => {
    expect(retrievalScore(labels, 4, [0, 1])).toBe(0);
    expect(retrievalScore(labels, 2, [0, 1, 3])).toBe(0);
    expect(retrievalScore(labels, 1, [0], 0)).toBeCloseTo(((2 / 1) * (0.8 * 1)) / 0.8, 6);
  });
  it('averages over queries', () => {
    const a = retrievalScore(labels, 0, [3]);
    const b = retrievalScore(labels, 3, [0]);
    expect(meanRetrievalScore(labels, [0, 3], [[3], [0]])).toBeCloseTo((a + b) / 2, 12);
    expect(meanRetrievalScore(labels, [], [])).toBe(0);
  });
});

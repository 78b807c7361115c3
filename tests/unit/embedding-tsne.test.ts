// t-SNE kernels: NN-descent recall, perplexity calibration, and layouts that keep clusters and neighbours,
// compared with druid.js's exact t-SNE (the quality reference).
import { describe, expect, it } from 'vitest';
import { exactKnn, neighbourRecall, nnDescent, type KnnGraph } from '../../src/lib/embedding/nndescent';
import { perplexityAffinities } from '../../src/lib/embedding/affinities';
import { BarnesHutTsne, pcaInit } from '../../src/lib/embedding/tsne';
import { gaussian, seededRandom } from '../../src/lib/random';
import { TSNE } from '@saehrimnir/druidjs';

function clusters(nPerCluster: number, clustersCount: number, dim: number, spread: number, seed: number) {
  const normal = gaussian(seededRandom(seed));
  const centres = Array.from({ length: clustersCount }, () => Array.from({ length: dim }, () => normal() * 10));
  const n = nPerCluster * clustersCount;
  const data = new Float32Array(n * dim);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    label[i] = i % clustersCount;
    for (let d = 0; d < dim; d++) data[i * dim + d] = centres[label[i]][d] + normal() * spread;
  }
  return { data, label, n };
}

function layoutGraph(y: Float32Array | number[][], n: number, k: number): KnnGraph {
  const flat = y instanceof Float32Array ? y : Float32Array.from((y as number[][]).flat());
  return exactKnn(flat, n, 2, k);
}

describe('NN-descent', () => {
  it('finds at least 90% of the true 15 nearest neighbours', () => {
    const { data, n } = clusters(150, 8, 20, 3, 1);
    const approx = nnDescent(data, n, 20, 15, { random: seededRandom(2) });
    const exact = exactKnn(data, n, 20, 15);
    expect(neighbourRecall(exact, approx, 15)).toBeGreaterThan(0.9);
    for (let i = 0; i < n; i++)
      for (let t = 1; t < 15; t++) expect(approx.distances[i * 15 + t]).toBeGreaterThanOrEqual(approx.distances[i * 15 + t - 1]);
  });
});

describe('perplexity calibration', () => {
  it('gives each conditional row the requested perplexity and P sums to 1 symmetrically', () => {
    const { data, n } = clusters(60, 3, 5, 1, 3);
    const g = exactKnn(data, n, 5, 45);
    const p = perplexityAffinities(g.indices, g.distances, n, 45, 15);
    let total = 0;
    for (let q = 0; q < p.values.length; q++) total += p.values[q];
    expect(total).toBeCloseTo(1, 5);
    // Symmetry: p_ij = p_ji.
    const get = (i: number, j: number) => {
      for (let q = p.rowPtr[i]; q < p.rowPtr[i + 1]; q++) if (p.colIdx[q] === j) return p.values[q];
      return 0;
    };
    for (let i = 0; i < 20; i++)
      for (let q = p.rowPtr[i]; q < p.rowPtr[i + 1]; q++) expect(get(p.colIdx[q], i)).toBeCloseTo(p.values[q], 9);
  });
});

describe('Barnes-Hut t-SNE', () => {
  it.each([{ repulsion: 'bh' as const }, { repulsion: 'fft' as const }])(
    "keeps at least 95% of each point's 10 nearest neighbours inside its own well-separated cluster ($repulsion repulsion)",
    ({ repulsion }) => {
      const { data, label, n } = clusters(100, 6, 10, 1, 4);
      const g = exactKnn(data, n, 10, 90);
      const p = perplexityAffinities(g.indices, g.distances, n, 90, 30);
      const tsne = new BarnesHutTsne(p, pcaInit(data, n, 10), { iterations: 500, repulsion });
      while (!tsne.done) tsne.step();
      const out = layoutGraph(tsne.y, n, 10);
      let inside = 0;
      for (let i = 0; i < n; i++) for (let t = 0; t < 10; t++) if (label[out.indices[i * 10 + t]] === label[i]) inside++;
      expect(inside / (n * 10)).toBeGreaterThanOrEqual(0.95);
      expect(tsne.klDivergence()).toBeGreaterThan(0);
    },
    180_000,
  );

  it('preserves 10-NN on 1,000 points within 10% of druid.js exact t-SNE, deterministically', { timeout: 600_000 }, () => {
    const { data, n } = clusters(100, 10, 50, 4, 5);
    const input = exactKnn(data, n, 50, 90);
    const p = perplexityAffinities(input.indices, input.distances, n, 90, 30);
    const run = () => {
      const t = new BarnesHutTsne(p, pcaInit(data, n, 50), { iterations: 1000 });
      while (!t.done) t.step();
      return t;
    };
    const ours = run();
    expect(Array.from(run().y.subarray(0, 20))).toEqual(Array.from(ours.y.subarray(0, 20)));
    const rows = Array.from({ length: n }, (_, i) => i);
    const oursPreservation = neighbourRecall(input, layoutGraph(ours.y, n, 10), 10, rows);
    const rowsArr = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * 50, (i + 1) * 50)));
    const druid = new TSNE(rowsArr, { perplexity: 30, epsilon: 10, d: 2, seed: 7 }).transform(1000) as number[][];
    const druidPreservation = neighbourRecall(input, layoutGraph(druid, n, 10), 10, rows);
    console.info(
      `[t-SNE 1,000 points] 10-NN preservation: ours ${oursPreservation.toFixed(3)}, druid.js exact ${druidPreservation.toFixed(3)}, KL ours ${ours.klDivergence().toFixed(3)}`,
    );
    expect(oursPreservation).toBeGreaterThanOrEqual(druidPreservation * 0.9);
  });
});

// Label-embedding benchmark (run by bench/bench.mjs after bundling): randomized SVD of a 100,000 x 20,000 sparse
// label matrix (~8 labels per row), then t-SNE and UMAP of its 50-d rows at 10,000 and 100,000 points: wall time,
// final KL divergence (t-SNE), and 10-NN preservation against the 50-d input on a 2,000-point sample.
import { UMAP } from 'umap-js';
import { randomizedSvd } from '../src/lib/embedding/svd';
import { nnDescent } from '../src/lib/embedding/nndescent';
import { perplexityAffinities } from '../src/lib/embedding/affinities';
import { BarnesHutTsne, pcaInit } from '../src/lib/embedding/tsne';
import { knn2d } from '../src/lib/embedding/knn';
import { DEFAULT_REPULSION } from '../src/lib/embedding/interpolation';
import { TSNE_KNN_ROUNDS } from '../src/lib/embedding/run';
import { seededRandom } from '../src/lib/random';
import { syntheticLabels } from './synthetic';

const sizes = (process.env.BENCH_EMBED_SIZES ?? '10000,100000').split(',').map(Number);
const withUmap = process.env.BENCH_UMAP !== '0';
const iterations = Number(process.env.BENCH_TSNE_ITERATIONS ?? 1000);
const repulsion = (process.env.BENCH_TSNE_REPULSION ?? 'auto') as 'auto' | 'bh' | 'fft';
const fftGrid = { ...DEFAULT_REPULSION, ...(process.env.BENCH_FFT_MAX_GRID ? { maxGrid: Number(process.env.BENCH_FFT_MAX_GRID) } : {}) };
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** 10-NN preservation: share of each sampled point's 10 nearest in 50-d found among its 10 nearest in 2-D. */
function preservation(input: Float32Array, dim: number, layout: Float32Array, n: number, sampleSize = 2000): number {
  const random = seededRandom(99);
  const sample = Array.from({ length: Math.min(sampleSize, n) }, () => Math.floor(random() * n));
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const out = knn2d(layout, all, 10);
  let hits = 0;
  for (const i of sample) {
    // The 10 nearest in the input by a running top-10 (a full sort of n distances per sample would dominate).
    const best = new Float64Array(10).fill(Infinity);
    const bestIdx = new Int32Array(10).fill(-1);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < dim; c++) s += (input[i * dim + c] - input[j * dim + c]) ** 2;
      if (s >= best[9]) continue;
      let t = 9;
      while (t > 0 && best[t - 1] > s) {
        best[t] = best[t - 1];
        bestIdx[t] = bestIdx[t - 1];
        t--;
      }
      best[t] = s;
      bestIdx[t] = j;
    }
    const truth = new Set(bestIdx);
    for (let t = 0; t < 10; t++) if (truth.has(out[i * 10 + t])) hits++;
  }
  return hits / (sample.length * 10);
}

const rows: Record<string, unknown>[] = [];
const maxN = Math.max(...sizes);
log(`synthetic label matrix ${maxN} x 20000…`);
const { matrix } = syntheticLabels(maxN, 20000, 8, 500, 1);
let t0 = performance.now();
const svd = randomizedSvd(matrix, { components: 50, seed: 1 });
const svdS = seconds(t0);
rows.push({ step: 'svd', n: maxN, cols: 20000, nnz: matrix.values.length, components: 50, seconds: +svdS.toFixed(2) });
log(`svd ${svdS.toFixed(2)} s`);

for (const n of sizes) {
  const input = svd.embedding.subarray(0, n * 50);
  log(`t-SNE n=${n}: kNN…`);
  t0 = performance.now();
  const graph = nnDescent(input, n, 50, 90, { random: seededRandom(2), iterations: TSNE_KNN_ROUNDS });
  const knnS = seconds(t0);
  log(`t-SNE n=${n}: kNN ${knnS.toFixed(1)} s`);
  const p = perplexityAffinities(graph.indices, graph.distances, n, graph.k, 30);
  const tsne = new BarnesHutTsne(p, pcaInit(input, n, 50), { iterations, repulsion, fftGrid });
  const t1 = performance.now();
  while (!tsne.done) {
    tsne.step();
    if (tsne.iteration % 100 === 0) log(`t-SNE n=${n}: iteration ${tsne.iteration} (${seconds(t1).toFixed(1)} s)`);
  }
  const total = seconds(t0);
  const kl = tsne.klDivergence();
  const pres = preservation(input, 50, tsne.y, n);
  rows.push({
    step: 'tsne',
    n,
    iterations,
    repulsion,
    seconds: +total.toFixed(1),
    knn_seconds: +knnS.toFixed(1),
    kl: +kl.toFixed(3),
    preservation_10nn: +pres.toFixed(3),
  });
  log(`t-SNE n=${n}: ${total.toFixed(1)} s, KL ${kl.toFixed(3)}, 10-NN preservation ${pres.toFixed(3)}`);
  if (withUmap) {
    t0 = performance.now();
    const data = Array.from({ length: n }, (_, i) => Array.from(input.subarray(i * 50, (i + 1) * 50)));
    const umap = new UMAP({ nComponents: 2, nNeighbors: 15, random: seededRandom(3) });
    const epochs = umap.initializeFit(data);
    for (let e = 0; e < epochs; e++) umap.step();
    const y = Float32Array.from(umap.getEmbedding().flat());
    const umapS = seconds(t0);
    const upres = preservation(input, 50, y, n);
    rows.push({ step: 'umap', n, epochs, seconds: +umapS.toFixed(1), preservation_10nn: +upres.toFixed(3) });
    log(`UMAP n=${n}: ${umapS.toFixed(1)} s, 10-NN preservation ${upres.toFixed(3)}`);
  }
}
console.log(JSON.stringify({ bench: 'embedding', rows }));

// Search by look and the map from features, for a collection whose labels cannot define similarity: the dense PCA
// against an exact eigen-decomposition, the feature map's shape, and the look-alike ranking.
import { describe, expect, it } from 'vitest';
import { densePca } from '../../src/lib/embedding/pca';
import { runEmbedding, runFeatureEmbedding, DEFAULT_EMBEDDING, featureEmbeddingKey, embeddingKey } from '../../src/lib/embedding/run';
import { spreadIdentical } from '../../src/lib/embedding/spread';
import { LookAlikeIndex } from '../../src/lib/retrieval/look-alike';
import { seededRandom, gaussian } from '../../src/lib/random';

function randomRows(n: number, d: number, seed = 1) {
  const normal = gaussian(seededRandom(seed));
  return Float32Array.from({ length: n * d }, () => normal());
}

describe('densePca', () => {
  it('finds the variances of data with a known spread along known axes', () => {
    // 400 points: variance 25 along axis 0, 4 along axis 1, 0.01 elsewhere (d = 6), shifted by a mean.
    const n = 400;
    const d = 6;
    const normal = gaussian(seededRandom(3));
    const x = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      x[r * d] = 5 * normal() + 10;
      x[r * d + 1] = 2 * normal() - 3;
      for (let c = 2; c < d; c++) x[r * d + c] = 0.1 * normal() + 1;
    }
    const pca = densePca(x, n, d, { components: 2, seed: 1 });
    expect(pca.components).toBe(2);
    expect(pca.variances[0]).toBeGreaterThan(20);
    expect(pca.variances[0]).toBeLessThan(30);
    expect(pca.variances[1]).toBeGreaterThan(3);
    expect(pca.variances[1]).toBeLessThan(5);
    // Centred: each component's scores have mean 0.
    for (let j = 0; j < 2; j++) {
      let mean = 0;
      for (let r = 0; r < n; r++) mean += pca.embedding[r * 2 + j];
      expect(Math.abs(mean / n)).toBeLessThan(1e-3);
    }
    // The first component follows axis 0: its scores correlate with x[:,0] almost perfectly.
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let r = 0; r < n; r++) {
      const a = x[r * d] - 10;
      const b = pca.embedding[r * 2];
      sxy += a * b;
      sxx += a * a;
      syy += b * b;
    }
    expect(Math.abs(sxy / Math.sqrt(sxx * syy))).toBeGreaterThan(0.99);
  });
});

describe('runFeatureEmbedding', () => {
  it('lays out every image from its features, with no similar sets, and two clusters stay apart', () => {
    const n = 60;
    const d = 32;
    const x = randomRows(n, d, 5);
    // Two clusters: the first half shares a strong direction, the second half another.
    for (let r = 0; r < n; r++) x[r * d + (r < n / 2 ? 0 : 1)] += 12;
    const ids = Array.from({ length: n }, (_, i) => `im${i}`);
    const run = runFeatureEmbedding({ imageIds: ids, features: x, dim: d }, { ...DEFAULT_EMBEDDING, perplexity: 10 });
    let step = run.next();
    const stages = new Set<string>();
    while (!step.done) {
      stages.add(step.value.stage);
      step = run.next();
    }
    const r = step.value;
    expect([...stages]).toEqual(expect.arrayContaining(['pca', 'tsne']));
    expect(r.imageIds).toEqual(ids);
    expect(r.layout.length).toBe(2 * n);
    expect(r.k).toBe(0);
    expect(r.trainIndex.length).toBe(0);
    // Each point's 5 nearest points on the map are of its own cluster.
    let same = 0;
    for (let i = 0; i < n; i++) {
      const near = Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i)
        .sort(
          (p, q) =>
            Math.hypot(r.layout[2 * p] - r.layout[2 * i], r.layout[2 * p + 1] - r.layout[2 * i + 1]) -
            Math.hypot(r.layout[2 * q] - r.layout[2 * i], r.layout[2 * q + 1] - r.layout[2 * i + 1]),
        )
        .slice(0, 5);
      same += near.filter((j) => j < n / 2 === i < n / 2).length;
    }
    expect(same / (5 * n)).toBeGreaterThan(0.95);
  });

  it('keys the map by feature model and layer, apart from the label embedding', () => {
    const k1 = featureEmbeddingKey(DEFAULT_EMBEDDING, 'inception-v3@abc', 'flatten');
    expect(k1).not.toBe(featureEmbeddingKey(DEFAULT_EMBEDDING, 'inception-v3@abc', 'mixed7'));
    expect(k1).not.toBe(featureEmbeddingKey(DEFAULT_EMBEDDING, 'mobilenet-v2@def', 'flatten'));
    expect(k1).not.toBe(embeddingKey(DEFAULT_EMBEDDING));
  });
});

describe('LookAlikeIndex', () => {
  it('ranks by cosine, leaves the query image out, and finds a scaled copy first', () => {
    const d = 16;
    const x = randomRows(50, d, 9);
    const ids = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const index = new LookAlikeIndex(ids, x, d);
    // A copy of image 7 at another scale (a re-encode changes features a little; scale must not matter).
    const copy = Float32Array.from(x.subarray(7 * d, 8 * d), (v, i) => 3 * v + (i === 0 ? 0.01 : 0));
    const found = index.search(copy, 5);
    expect(found[0].imageId).toBe('p7');
    expect(found[0].score).toBeGreaterThan(0.999);
    expect(found.every((f) => f.by === 'look')).toBe(true);
    for (let i = 1; i < found.length; i++) expect(found[i].score).toBeLessThanOrEqual(found[i - 1].score);
    const own = index.search(index.rowOfImage('p7')!, 5, 'p7');
    expect(own.map((f) => f.imageId)).not.toContain('p7');
    expect(own).toHaveLength(5);
  });

  it('refuses features of the wrong size', () => {
    expect(() => new LookAlikeIndex(['a', 'b'], new Float32Array(5), 3)).toThrow(/not 2 x 3/);
  });
});

describe('spreadIdentical (the label map of identical label rows)', () => {
  it('spreads each group around its own point, keeps single images where they are, and never stacks two images', () => {
    const unique = Float32Array.from([0, 0, 10, 0, 0, 10]);
    // 14 images of row 0, 5 of row 1, 1 of row 2.
    const groupOf = Int32Array.from([...Array(14).fill(0), ...Array(5).fill(1), 2]);
    const out = spreadIdentical(unique, groupOf);
    expect([out[2 * 19], out[2 * 19 + 1]]).toEqual([0, 10]);
    const seen = new Set<string>();
    for (let i = 0; i < groupOf.length; i++) {
      const g = groupOf[i];
      const r = Math.hypot(out[2 * i] - unique[2 * g], out[2 * i + 1] - unique[2 * g + 1]);
      expect(r).toBeLessThanOrEqual(5 + 1e-6); // half the gap to the nearest other point
      seen.add(`${out[2 * i].toFixed(4)},${out[2 * i + 1].toFixed(4)}`);
    }
    expect(seen.size).toBe(groupOf.length);
  });

  it('gives a class-folder label map one point per image', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `im${i}`);
    const labels = ids.map((_, i) => [{ labelName: ['cat', 'dog', 'bird'][i % 3], confidence: 1 }]);
    const run = runEmbedding({ imageIds: ids, labels, train: ids.map(() => true) }, DEFAULT_EMBEDDING);
    let step = run.next();
    while (!step.done) step = run.next();
    const points = new Set(Array.from({ length: 12 }, (_, i) => `${step.value.layout[2 * i]},${step.value.layout[2 * i + 1]}`));
    expect(points.size).toBe(12);
    expect(step.value.uniqueRows).toBe(3);
  });
});

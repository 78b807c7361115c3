import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { csrFromRows } from '../../src/lib/sparse';
import { evaluateRankings, oracleRankings, randomRankings, topK, type RetrievalTask } from '../../src/lib/retrieval/metrics';
import { DEFAULT_TRAIN, embeddingTargets, featureKnn, trainHead, type TrainData } from '../../src/lib/retrieval/heads';
import { gaussian, seededRandom } from '../../src/lib/random';

describe('ranking and metrics', () => {
  it('topK returns the k largest, best first, ties to the lower position', () => {
    expect(Array.from(topK([0.1, 0.9, 0.5, 0.9, -1, 0.7], 3))).toEqual([1, 3, 5]);
    expect(Array.from(topK([3, 1, 2], 10))).toEqual([0, 2, 1]);
    expect(Array.from(topK([], 2))).toEqual([]);
    const random = seededRandom(3);
    const big = Float64Array.from({ length: 5000 }, () => random());
    const want = Array.from(big.keys())
      .sort((a, b) => big[b] - big[a])
      .slice(0, 50);
    expect(Array.from(topK(big, 50))).toEqual(want);
  });

  // Columns: a = 0, b = 1, c = 2. References r0 {a: 1}, r1 {b: 1}, r2 {a: 0.5, b: 1}; query {a: 1, c: 1} (row 3).
  const task: RetrievalTask = {
    labels: csrFromRows(
      [
        [{ col: 0, value: 1 }],
        [{ col: 1, value: 1 }],
        [
          { col: 0, value: 0.5 },
          { col: 1, value: 1 },
        ],
        [
          { col: 0, value: 1 },
          { col: 2, value: 1 },
        ],
      ],
      3,
    ),
    refRows: Int32Array.from([0, 1, 2]),
    queryRows: Int32Array.from([3]),
  };

  it('scores hand-made lists: 2017 score, precision at k, average precision', () => {
    // [r0, r2]: shares 1 * 1 + 0.5 * 1 = 1.5, B = 2, score = 2 / (2 + 50) * 1.5 / 2; both relevant; AP = (1/1 + 2/2) / 2.
    const good = evaluateRankings(task, [[0, 2]], 2);
    expect(good.score).toBeCloseTo((2 / 52) * 0.75, 12);
    expect(good.precisionAtK).toBe(1);
    expect(good.map).toBe(1);
    // [r1, r2]: only r2 shares a label (rank 2): precision 1/2, AP = (1/2) / min(2, 2 relevant) = 0.25.
    const worse = evaluateRankings(task, [[1, 2]], 2);
    expect(worse.score).toBeCloseTo((2 / 52) * 0.25, 12);
    expect(worse.precisionAtK).toBe(0.5);
    expect(worse.map).toBe(0.25);
    // Only the first k of a longer list count.
    expect(evaluateRankings(task, [[0, 2, 1]], 2)).toEqual(good);
  });

  it('the oracle ranks by share of the score and beats every other list; random lists are distinct and seeded', () => {
    expect(Array.from(oracleRankings(task, 2)[0])).toEqual([0, 2]);
    const a = randomRankings(task, 2, seededRandom(7));
    const b = randomRankings(task, 2, seededRandom(7));
    expect(a).toEqual(b);
    expect(new Set(a[0]).size).toBe(2);
    for (const list of [
      [0, 1],
      [1, 2],
      [2, 0],
      [1, 0],
    ])
      expect(evaluateRankings(task, [list], 2).score).toBeLessThanOrEqual(evaluateRankings(task, oracleRankings(task, 2), 2).score + 1e-15);
  });
});

/**
 * A synthetic task where the truth is a known function of the features: each image has one of T topics (its
 * label); its feature is a weak topic signal in 8 of 64 dimensions plus strong nuisance noise in the others, so
 * raw-feature cosine neighbours are poor, while a net can learn to read the signal. Similar sets: training images
 * of the same topic.
 */
function syntheticTask(seed: number) {
  const T = 6,
    perTopic = 40,
    dim = 64,
    k = 10;
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const centres = Array.from({ length: T }, () => Float32Array.from({ length: 8 }, () => normal()));
  const make = (n: number) => {
    const topic = Int32Array.from({ length: n }, (_, i) => i % T);
    const x = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < 8; d++) x[i * dim + d] = centres[topic[i]][d] + 0.3 * normal();
      for (let d = 8; d < dim; d++) x[i * dim + d] = 2.5 * normal();
    }
    return { topic, x };
  };
  const train = make(T * perTopic);
  const val = make(T * 10);
  const r = train.topic.length;
  const labels = csrFromRows(
    [...train.topic, ...val.topic].map((t) => [{ col: t, value: 1 }]),
    T,
  );
  const task: RetrievalTask = {
    labels,
    refRows: Int32Array.from({ length: r }, (_, i) => i),
    queryRows: Int32Array.from({ length: val.topic.length }, (_, i) => r + i),
  };
  const sets = new Int32Array(r * k);
  for (let i = 0; i < r; i++) {
    const same = Array.from({ length: r }, (_, j) => j).filter((j) => j !== i && train.topic[j] === train.topic[i]);
    for (let t = 0; t < k; t++) sets[i * k + t] = same[t];
  }
  const vectors = new Float32Array(r * T);
  for (let i = 0; i < r; i++) vectors[i * T + train.topic[i]] = 1;
  const data: TrainData = {
    dim,
    trainX: train.x,
    sets,
    setK: k,
    targets: embeddingTargets(vectors, T, 'svd'),
    targetDim: T,
    valX: val.x,
    task,
  };
  return { data, k };
}

describe('retrieval heads learn a synthetic task', () => {
  it.each(['sets', 'embedding'] as const)(
    '%s head: validation score well above feature_knn, best weights kept',
    async (head) => {
      await tf.setBackend('cpu');
      const { data, k } = syntheticTask(11);
      const settings = { ...DEFAULT_TRAIN, head, k, epochs: 80, patience: 80, hidden: 64, dropout: 0.1, learningRate: 3e-3 };
      const epochs: number[] = [];
      const outcome = await trainHead(data, settings, { random: seededRandom(5), onEpoch: (e) => void epochs.push(e.validation.score) });
      const baseline = evaluateRankings(data.task, await featureKnn(data.trainX, data.valX, data.dim, k), k);
      const oracle = evaluateRankings(data.task, oracleRankings(data.task, k), k);
      const best = outcome.best!;
      console.info(
        `[${head} head] validation score ${best.validation.score.toFixed(4)} (epoch ${best.epoch}), feature_knn ${baseline.score.toFixed(4)}, oracle ${oracle.score.toFixed(4)}`,
      );
      expect(best.validation.score).toBeGreaterThan(1.5 * baseline.score);
      expect(best.validation.score).toBeGreaterThan(0.6 * oracle.score);
      expect(best.validation.score).toBe(Math.max(...epochs));
      // The retriever holds the best epoch's weights: ranking again reproduces the best score.
      const { rank } = await import('../../src/lib/retrieval/heads');
      const again = evaluateRankings(data.task, await rank(outcome.retriever, data.valX, data.task.queryRows.length, k), k);
      expect(again.score).toBeCloseTo(best.validation.score, 10);
      outcome.retriever.model.dispose();
      outcome.retriever.refs?.dispose();
    },
    120_000,
  );
});

describe('cross-fitting (the review measured with nets that never saw an image)', () => {
  it('folds are seeded and balanced; an out-of-fold net trains the epochs asked, ranks every reference, and places its fold by topic', async () => {
    const { foldsOf, trainOutOfFold, reviewMethod, CROSSFIT_MAX_REFERENCES } = await import('../../src/lib/retrieval/crossfit');
    const folds = foldsOf(103, 4, 7);
    const sizes = [0, 1, 2, 3].map((f) => folds.filter((g) => g === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(foldsOf(103, 4, 7)).toEqual(folds);
    expect(foldsOf(103, 4, 8)).not.toEqual(folds);
    expect(reviewMethod('embedding', 500)).toBe('cross-fitted');
    expect(reviewMethod('embedding', CROSSFIT_MAX_REFERENCES + 1)).toBe('in-sample');
    expect(reviewMethod('sets', 500)).toBe('in-sample');

    await tf.setBackend('cpu');
    const { data } = syntheticTask(12);
    const r = data.trainX.length / data.dim;
    const of = foldsOf(r, 4, 3);
    const epochs: number[] = [];
    const settings = { ...DEFAULT_TRAIN, k: 10, hidden: 64, dropout: 0.1, learningRate: 3e-3, standardise: true };
    const retriever = (await trainOutOfFold(
      { dim: data.dim, x: data.trainX, targets: data.targets, targetDim: data.targetDim },
      of,
      0,
      settings,
      30,
      {
        onEpoch: (e) => void epochs.push(e),
      },
    ))!;
    expect(epochs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(retriever.refs!.shape).toEqual([data.targetDim, r]);
    // The fold's images (never trained on) are ranked among all references: their nearest other reference shares
    // their topic far more often than chance (1 in 6).
    const { rank } = await import('../../src/lib/retrieval/heads');
    const fold = Array.from({ length: r }, (_, i) => i).filter((i) => of[i] === 0);
    const x = new Float32Array(fold.length * data.dim);
    fold.forEach((i, j) => x.set(data.trainX.subarray(i * data.dim, (i + 1) * data.dim), j * data.dim));
    const lists = await rank(retriever, x, fold.length, 2);
    const topicOf = (i: number) => data.task.labels.colIdx[data.task.labels.rowPtr[i]];
    const same = fold.filter((i, j) => topicOf([...lists[j]].find((p) => p !== i)!) === topicOf(i)).length;
    expect(same / fold.length).toBeGreaterThan(0.6);
    retriever.model.dispose();
    retriever.refs?.dispose();
    // Cancelled: nothing is returned.
    expect(
      await trainOutOfFold({ dim: data.dim, x: data.trainX, targets: data.targets, targetDim: data.targetDim }, of, 1, settings, 5, {
        shouldStop: () => true,
      }),
    ).toBeNull();
  }, 120_000);
});

describe('task assembly from cached records', () => {
  it('references are training images with features, similar sets map to reference positions, queries are labelled validation images', async () => {
    const { assembleTask } = await import('../../src/lib/retrieval/data');
    const l = (name: string, confidence = 1) => ({ labelName: name, confidence });
    const images = [
      { imageId: 't0', hash: 'h0', split: 'train', labels: [l('a')] },
      { imageId: 't1', hash: 'h1', split: 'train', labels: [l('a'), l('b', 0.5)] },
      { imageId: 't2', hash: 'hx', split: 'train', labels: [l('b')] }, // no features
      { imageId: 't3', hash: 'h3', split: 'train', labels: [l('c')] },
      { imageId: 'v0', hash: 'h4', split: 'validation', labels: [l('a')] },
      { imageId: 'v1', hash: 'h5', split: 'validation', labels: [l('a', 0)] }, // only a negative label: not a query
    ];
    // Embedding rows follow `images`' order; v1 is not in it (no positive label).
    const emb = {
      imageIds: ['t0', 't1', 't2', 't3', 'v0'],
      trainIndex: Int32Array.from([0, 1, 2, 3]),
      similar: Int32Array.from([1, 2, 0, 2, 3, 0, 2, 1]), // k = 2 per training image
      k: 2,
      svd: Float32Array.from([3, 4, 1, 0, 0, 1, 0, 2, 9, 9]),
      components: 2,
      layout: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
    };
    const f = (v: number) => Float32Array.from([v, v + 1, v + 2]);
    const features = new Map([
      ['h0', f(0)],
      ['h1', f(10)],
      ['h3', f(30)],
      ['h4', f(40)],
      ['h5', f(50)],
    ]);
    const t = assembleTask(images, emb, features, 3, 'svd');
    expect(t.refIds).toEqual(['t0', 't1', 't3']);
    expect(t.queryIds).toEqual(['v0']);
    expect(Array.from(t.data.trainX)).toEqual([0, 1, 2, 10, 11, 12, 30, 31, 32]);
    expect(Array.from(t.data.valX)).toEqual([40, 41, 42]);
    // t0 -> [t1, t2] = [1, -1]; t1 -> [t0, t2] = [0, -1]; t3 -> [t2, t1] = [-1, 1].
    expect(Array.from(t.data.sets)).toEqual([1, -1, 0, -1, -1, 1]);
    // svd targets: unit rows of (3,4), (1,0), (0,2).
    expect(Array.from(t.data.targets)).toEqual([0.6, 0.8, 1, 0, 0, 1].map((v) => Math.fround(v)));
    expect(Array.from(t.refVectors)).toEqual([3, 4, 1, 0, 0, 2]);
    // Labels: references then queries, one vocabulary.
    expect(t.vocabulary).toEqual(['a', 'b', 'c']);
    expect(Array.from(t.data.task.refRows)).toEqual([0, 1, 2]);
    expect(Array.from(t.data.task.queryRows)).toEqual([3]);
    expect(t.data.task.labels.rows).toBe(4);
    const layout = assembleTask(images, emb, features, 3, 'layout');
    expect(layout.data.targetDim).toBe(2);
    expect(Array.from(layout.refVectors)).toEqual([0, 0, 1, 1, 3, 3]);
  });
});

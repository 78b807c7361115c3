// Results you can trust: bootstrap intervals, hubness and its CSLS calibration, minus words that stay in the
// query's region, minus-word queries for the evaluation, and the feature transforms.
import { describe, expect, it } from 'vitest';
import { Bootstrap } from '../../src/lib/retrieval/bootstrap';
import {
  hubness,
  meanNearestSimilarity,
  mixedEvaluation,
  mixedLists,
  mixedPenalty,
  querySpreads,
  typicalSpread,
  probesOf,
  similarityMoments,
  CSLS_PROBES,
} from '../../src/lib/retrieval/hubness';
import { LabelIndex } from '../../src/lib/retrieval/label-index';
import { composeQuery, unit, type LabelSpace } from '../../src/lib/retrieval/tagging';
import { minusQueries } from '../../src/lib/retrieval/label-eval';
import { csrFromRows } from '../../src/lib/sparse';
import { fitTransform } from '../../src/lib/retrieval/transform';
import { seededRandom } from '../../src/lib/random';

const unitRows = (rows: number[][]) => Float32Array.from(rows.flatMap((r) => Array.from(unit(Float32Array.from(r)))));

describe('bootstrap intervals', () => {
  it('cover the mean, narrow with more queries, and are the same for the same seed', () => {
    const random = seededRandom(3);
    const values = (n: number) => Float64Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    const small = values(50);
    const large = values(2000);
    const [lo, hi] = new Bootstrap(50, 1).interval(small);
    const mean = small.reduce((a, b) => a + b) / 50;
    expect(lo).toBeLessThanOrEqual(mean);
    expect(hi).toBeGreaterThanOrEqual(mean);
    const [lo2, hi2] = new Bootstrap(2000, 1).interval(large);
    expect(hi2 - lo2).toBeLessThan((hi - lo) / 3);
    // About the normal approximation's width, 2 * 1.96 * sqrt(p (1 - p) / n).
    expect(hi2 - lo2).toBeCloseTo(2 * 1.96 * Math.sqrt(0.21 / 2000), 2);
    expect(new Bootstrap(50, 1).interval(small)).toEqual([lo, hi]);
  });

  it('a paired difference: a constant gain is significant, a coin flip is not', () => {
    const random = seededRandom(9);
    const a = Float64Array.from({ length: 188 }, () => random());
    const better = a.map((v) => v + 0.05);
    const b = new Bootstrap(188, 2);
    const d = b.difference(better, a);
    expect(d.mean).toBeCloseTo(0.05, 10);
    expect(d.ci[0]).toBeCloseTo(0.05, 10);
    expect(d.significant).toBe(true);
    // Two methods that differ by noise of mean 0.005: the interval holds 0.
    const noisy = a.map((v) => v + 0.005 + (random() - 0.5) * 0.4);
    const n = b.difference(noisy, a);
    expect(n.ci[0]).toBeLessThan(0);
    expect(n.ci[1]).toBeGreaterThan(0);
    expect(n.significant).toBe(false);
  });
});

describe('hubness', () => {
  it('counts how often an item is in the top k, and how often without sharing a label', () => {
    const lists = [
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 2],
    ];
    const h = hubness(
      lists,
      4,
      2,
      (q, item) => item !== 0 || q === 0,
      (item) => (item === 0 ? 'prediction' : 'labels'),
    );
    expect(h.max_share).toBe(0.75);
    expect(h.max_irrelevant_share).toBe(0.5);
    expect(h.over_five_percent).toBe(1);
    expect(h.places).toEqual({ prediction: 3 / 8, labels: 5 / 8 });
  });

  it('CSLS keeps a central predicted point from topping every query, and lifts precision', () => {
    // Three label directions; references sit on them; one predicted point sits in the middle of all three (a hub),
    // the others are near their own label's references.
    const refs = unitRows([
      [1, 0, 0],
      [1, 0.05, 0],
      [0, 1, 0],
      [0, 1, 0.05],
      [0, 0, 1],
      [0.05, 0, 1],
    ]);
    const refRows = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const predicted = unitRows([
      [0.9, 0.4, 0.4],
      [0.4, 0.9, 0.4],
      [0.4, 0.4, 0.9],
      [1, 1, 1],
    ]);
    const predictedRows = Int32Array.from([6, 7, 8, 9]);
    // Labels: rows 0-1 and predicted 0 carry label 0, and so on; the hub (row 9) carries a label of its own.
    const labels = csrFromRows(
      [[0], [0], [1], [1], [2], [2], [0], [1], [2], [3]].map((ls) => ls.map((col) => ({ col, value: 1 }))),
      4,
    );
    const plain = mixedEvaluation(labels, refs, refRows, predicted, predictedRows, 3, 0, 2);
    const calibrated = mixedEvaluation(labels, refs, refRows, predicted, predictedRows, 3, 1, 2);
    expect(plain.max_irrelevant_share).toBeGreaterThanOrEqual(0.75);
    expect(calibrated.max_irrelevant_share).toBeLessThan(plain.max_irrelevant_share);
    expect(calibrated.precision_at_k).toBeGreaterThan(plain.precision_at_k);
    // The mixed lists leave the query's own item out.
    const lists = mixedLists({ dim: 3, refs, predicted, penalty: null, beta: 0 }, predicted, (q) => 6 + q, 3);
    lists.forEach((l, q) => expect(Array.from(l)).not.toContain(6 + q));
  });

  it('r(x) is the mean of the k best cosines to the probes; probes are a seeded sample', () => {
    const rows = unitRows([[1, 0]]);
    const probes = unitRows([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(meanNearestSimilarity(rows, probes, 2, 2)[0]).toBeCloseTo((1 + Math.SQRT1_2) / 2, 6);
    const many = new Float32Array((CSLS_PROBES + 10) * 2).fill(1);
    expect(probesOf(many, 2).length).toBe(CSLS_PROBES * 2);
    expect(probesOf(rows, 2)).toBe(rows);
  });

  it("the index calibrates predicted images with the model's strength, and not at all without one", () => {
    const images = ['r0', 'r1', 'u0', 'u1'].map((imageId, i) => ({
      imageId,
      hash: `h${i}`,
      split: 'train',
      labels: i < 2 ? [{ labelName: i === 0 ? 'a' : 'b', confidence: 1 }] : [],
    }));
    const space: LabelSpace = { vocabulary: ['a', 'b'], basis: Float32Array.from([1, 0, 0, 1]), components: 2 };
    const make = (beta: number | null) => {
      const index = new LabelIndex(
        ['r0', 'r1'],
        ['a', 'b'],
        images,
        'svd',
        unitRows([
          [1, 0],
          [0, 1],
        ]),
        2,
        space,
        { method: 'vote', k: 1 },
        beta === null ? null : { method: 'csls', beta, k: 10 },
      );
      // u1 sits between both labels (near every query): a hub.
      index.setPredicted(
        ['u0', 'u1'],
        unitRows([
          [0.9, 0.1],
          [1, 1],
        ]),
      );
      return index;
    };
    const q = unit(Float32Array.from([0.6, 0.8]));
    const plain = make(null).search(q, 4, false);
    expect(plain[0].imageId).toBe('u1');
    const calibrated = make(1).search(q, 4, false);
    expect(calibrated[0].imageId).toBe('r1');
    expect(make(0).search(q, 4, false)).toEqual(plain);
    // A calibrated result carries the plain similarity a person reads beside the score it was ranked by.
    for (const f of calibrated) {
      const p = plain.find((x) => x.imageId === f.imageId)!;
      expect(f.similarity).toBeCloseTo(p.score, 6);
      expect(f.score).toBeLessThan(f.similarity!);
    }
    expect(plain.every((f) => f.similarity === undefined)).toBe(true);
  });
});

describe('calibration shrunk by the query spread', () => {
  it("the page's index ranks as the evaluation's lists do, and a query alike to everything keeps more of its plain order", () => {
    const random = seededRandom(4);
    // Items in four clusters (one per axis), so a query can be sharp (one cluster) or central (all of them).
    const rows = (n: number) =>
      unitRows(Array.from({ length: n }, (_, i) => Array.from({ length: 4 }, (_, d) => (d === i % 4 ? 1 : 0) + 0.3 * random())));
    const refs = rows(30);
    const predicted = rows(20);
    const ids = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    const images = [...ids('r', 30), ...ids('u', 20)].map((imageId, i) => ({
      imageId,
      hash: `h${i}`,
      split: 'train',
      labels: i < 30 ? [{ labelName: 'a', confidence: 1 }] : [],
    }));
    const space: LabelSpace = { vocabulary: ['a'], basis: Float32Array.from([1, 0, 0, 0]), components: 4 };
    const index = (spread: boolean) => {
      const x = new LabelIndex(
        ids('r', 30),
        ['a'],
        images,
        'svd',
        refs,
        4,
        space,
        { method: 'vote', k: 1 },
        { method: 'csls', beta: 1, k: 10, spread },
      );
      x.setPredicted(ids('u', 20), predicted);
      return x;
    };
    const probes = probesOf(predicted, 4);
    const penalty = mixedPenalty(refs, predicted, probes, 4, 'both');
    const typical = typicalSpread(refs, predicted, probes, 4);
    const name = (i: number) => (i < 30 ? `r${i}` : `u${i - 30}`);
    const queries = rows(6);
    // The centre of every item: alike to everything, its cosines spread little.
    const centre = new Float32Array(4);
    for (const v of [refs, predicted]) for (let i = 0; i < v.length; i++) centre[i % 4] += v[i];
    const central = unitRows([Array.from(centre)]);
    const all = new Float32Array(refs.length + predicted.length);
    all.set(refs);
    all.set(predicted, refs.length);
    expect(querySpreads(all, new Float32Array(0), central, 4)[0]).toBeLessThan(typical / 2);
    for (const q of [...Array.from({ length: 6 }, (_, i) => queries.subarray(i * 4, i * 4 + 4)), central]) {
      const lists = (spread: number | undefined, beta: number) =>
        [...mixedLists({ dim: 4, refs, predicted, penalty, beta, spread }, q, () => -1, 8)[0]].map(name);
      expect(
        index(true)
          .search(q, 8, true)
          .map((f) => f.imageId),
      ).toEqual(lists(typical, 1));
      expect(
        index(false)
          .search(q, 8, true)
          .map((f) => f.imageId),
      ).toEqual(lists(undefined, 1));
    }
    // The central query: its spread-shrunk list keeps more of the plain list than full CSLS does.
    const plain = [...mixedLists({ dim: 4, refs, predicted, penalty: null, beta: 0 }, central, () => -1, 8)[0]];
    const kept = (spread: number | undefined) =>
      [...mixedLists({ dim: 4, refs, predicted, penalty, beta: 1, spread }, central, () => -1, 8)[0]].filter((i) => plain.includes(i))
        .length;
    expect(kept(typical)).toBeGreaterThan(kept(undefined));
  });
});

describe('minus words', () => {
  // Label space: food labels (pizza, cheese, fruit) share a direction; people is far from them.
  const vocabulary = ['pizza', 'cheese', 'fruit', 'people'];
  const basis = Float32Array.from([0.8, 0.6, 0, 0.8, 0.4, 0.2, 0.8, 0, 0.6, -0.6, 0.1, 0.1].map((v) => v));
  const space: LabelSpace = { vocabulary, basis, components: 3 };
  const row = (cols: number[]) => {
    const v = new Float32Array(3);
    for (const c of cols) for (let d = 0; d < 3; d++) v[d] += basis[c * 3 + d];
    return Array.from(unit(v));
  };
  const imgs = [
    { id: 'pizza+cheese', labels: [0, 1] },
    { id: 'pizza+fruit', labels: [0, 2] },
    { id: 'fruit', labels: [2] },
    { id: 'people', labels: [3] },
    { id: 'people+cheese', labels: [3, 1] },
  ];
  const images = imgs.map((im, i) => ({
    imageId: im.id,
    hash: `h${i}`,
    split: 'train',
    labels: im.labels.map((c) => ({ labelName: vocabulary[c], confidence: 1 })),
  }));
  const index = new LabelIndex(
    imgs.map((im) => im.id),
    vocabulary,
    images,
    'svd',
    Float32Array.from(imgs.flatMap((im) => row(im.labels))),
    3,
    space,
    { method: 'vote', k: 1 },
  );

  it('pizza + fruit - cheese stays among food and drops what carries cheese', () => {
    const found = index.search(composeQuery(space, null, [0, 2], [1]), 3, false).map((f) => f.imageId);
    expect(found.slice(0, 2).sort()).toEqual(['fruit', 'pizza+fruit']);
  });

  it('the evaluation asks "A - B" with the label most often with A, when some queries carry A alone', () => {
    const refLabels = csrFromRows(
      imgs.map((im) => im.labels.map((col) => ({ col, value: 1 }))),
      4,
    );
    const truths = [{ cols: new Set([0, 1]) }, { cols: new Set([0]) }, { cols: new Set([3]) }];
    const labels: [number, number[]][] = [
      [0, [0, 1]],
      [3, [3, 4]],
    ];
    // pizza: cheese and fruit come with it once each; cheese (lower column) first; queries carry pizza with and
    // without cheese. people: cheese comes with it, but no query carries people and cheese: no pair.
    expect(minusQueries(labels, refLabels, truths, 3)).toEqual([{ a: 0, b: 1 }]);
  });
});

describe('feature transforms, fitted on the training rows', () => {
  const random = seededRandom(5);
  const n = 200;
  const dim = 6;
  const x = Float32Array.from({ length: n * dim }, (_, i) => (i % dim === 0 ? 100 + random() * 10 : random() * (i % dim)));

  it('standardise: zero mean and unit variance per dimension on the fitted rows (less the floor)', () => {
    const t = fitTransform('standardise', x, dim);
    const rows = Array.from({ length: n }, (_, r) => t.apply(x.subarray(r * dim, (r + 1) * dim)));
    const moments = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / n;
      return { mean, variance: values.reduce((a, b) => a + (b - mean) ** 2, 0) / n };
    };
    const raw = Array.from({ length: dim }, (_, d) => moments(rows.map((_, r) => x[r * dim + d])).variance);
    const floor = (0.01 * raw.reduce((a, b) => a + b, 0)) / dim;
    for (let d = 0; d < dim; d++) {
      const { mean, variance } = moments(rows.map((v) => v[d]));
      expect(mean).toBeCloseTo(0, 4);
      // v / (v + the floor): about 1 for a dimension of typical spread, less for a quiet one.
      expect(variance).toBeCloseTo(raw[d] / (raw[d] + floor), 3);
    }
  });

  it('whiten: decorrelated axes of nearly equal variance', () => {
    const t = fitTransform('whiten', x, dim);
    expect(t.outputDim).toBeLessThanOrEqual(dim);
    const rows = Array.from({ length: n }, (_, r) => t.apply(x.subarray(r * dim, (r + 1) * dim)));
    const cov = (a: number, b: number) => rows.reduce((s, v) => s + v[a] * v[b], 0) / n;
    expect(Math.abs(cov(0, 1))).toBeLessThan(0.05);
    expect(cov(0, 0)).toBeGreaterThan(0.9);
    expect(cov(0, 0)).toBeLessThan(1.01);
  });
});

describe('the sentences on differences', () => {
  it('say the gain, its interval, and whether it is noise', async () => {
    const { differenceSentence, intervalText } = await import('../../src/lib/retrieval/bootstrap');
    expect(differenceSentence('Trained minus kNN, MAP', { mean: 0.078, ci: [0.062, 0.094], significant: true }, 188)).toBe(
      'Trained minus kNN, MAP: +0.078 (95% interval +0.062 to +0.094); more than noise at 188 queries.',
    );
    expect(differenceSentence('x', { mean: 0.005, ci: [-0.004, 0.014], significant: false }, 188)).toContain('this difference is noise');
    expect(intervalText([0.18112, 0.2124])).toBe('0.181–0.212');
  });
});

describe('standardisation, floored', () => {
  it('a dimension that never varies maps to 0; one that barely varies is not blown up', async () => {
    const { fitStandardiser, STANDARDISE_FLOOR } = await import('../../src/lib/retrieval/transform');
    const random = seededRandom(8);
    const n = 200;
    // d0: spread 1; d1: constant; d2: on, faintly, in one image only.
    const x = new Float32Array(n * 3);
    for (let r = 0; r < n; r++) {
      x[r * 3] = random() * Math.sqrt(12);
      x[r * 3 + 1] = 5;
      x[r * 3 + 2] = r === 7 ? 1e-4 : 0;
    }
    const s = fitStandardiser(x, 3);
    expect(s.scale[1]).toBe(0);
    const m0 = x.filter((_, i) => i % 3 === 0).reduce((a, b) => a + b, 0) / n;
    const v0 = x.filter((_, i) => i % 3 === 0).reduce((a, b) => a + (b - m0) ** 2, 0) / n;
    const meanVariance = (v0 + 0 + (1e-8 * (n - 1)) / n ** 2) / 3;
    expect(s.scale[0]).toBeCloseTo(1 / Math.sqrt(v0 + STANDARDISE_FLOOR * meanVariance), 4);
    // Without the floor d2 would be scaled by about 1.4e5; with it, by at most 1 / sqrt(floor).
    expect(s.scale[2]).toBeLessThanOrEqual(1 / Math.sqrt(STANDARDISE_FLOOR * meanVariance) + 1e-3);
    expect(s.scale[2]).toBeGreaterThan(10);
  });
});

describe('a standardised net, folded', () => {
  it('answers raw features exactly as it answered standardised ones', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { buildModel, DEFAULT_TRAIN, foldStandardiser } = await import('../../src/lib/retrieval/heads');
    const { fitStandardiser, standardiseRows } = await import('../../src/lib/retrieval/transform');
    await tf.setBackend('cpu');
    const random = seededRandom(4);
    const dim = 8;
    const x = Float32Array.from({ length: 40 * dim }, (_, i) => random() * (1 + (i % dim)) + (i % 3));
    const model = buildModel({ ...DEFAULT_TRAIN, hidden: 16 }, dim, 5);
    const s = fitStandardiser(x, dim);
    const before = (
      model.predict(tf.tensor2d(standardiseRows(Float32Array.from(x), s), [40, dim])) as import('@tensorflow/tfjs').Tensor
    ).dataSync();
    foldStandardiser(model, s);
    const after = (model.predict(tf.tensor2d(x, [40, dim])) as import('@tensorflow/tfjs').Tensor).dataSync();
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i], 4);
  });
});

describe('planted label errors and the review measured on them', () => {
  const images = () =>
    Array.from({ length: 40 }, (_, i) => ({
      imageId: `im${i}`,
      path: `im${i}.jpg`,
      hash: `h${i}`,
      width: 1,
      height: 1,
      split: 'train' as const,
      labels: [{ labelName: `a${i % 4}`, confidence: 1 }, ...(i % 2 ? [{ labelName: `b${i % 3}`, confidence: 1 }] : [])],
      negatives: i === 1 ? ['a3'] : [],
    }));

  it("removes and adds the same seeded share, never an image's last label, never a marked-absent one", async () => {
    const { plantLabelErrors } = await import('../../src/lib/ingest/plant');
    const ims = images();
    const given = ims.reduce((s, im) => s + im.labels.length, 0);
    const planted = plantLabelErrors(ims, 0.1);
    const removed = planted.errors.filter((e) => e.kind === 'removed');
    const added = planted.errors.filter((e) => e.kind === 'added');
    expect(removed.length).toBe(Math.round(0.1 * given));
    expect(added.length).toBe(removed.length);
    for (const im of ims) expect(im.labels.length).toBeGreaterThan(0);
    for (const e of removed) expect(ims.find((im) => im.imageId === e.imageId)!.labels.map((l) => l.labelName)).not.toContain(e.labelName);
    for (const e of added) {
      const im = ims.find((x) => x.imageId === e.imageId)!;
      expect(im.labels.map((l) => l.labelName)).toContain(e.labelName);
      expect(im.negatives).not.toContain(e.labelName);
    }
    const again = images();
    expect(plantLabelErrors(again, 0.1)).toEqual(planted);
    expect(() => plantLabelErrors(images(), 0.9)).toThrow();
  });

  it('scores suggestions: precision of the first 50 and 200, recall of the planted errors', async () => {
    const { scoreSuggestions } = await import('../../src/lib/retrieval/review-eval');
    const s = (imageId: string, labelName: string, kind: 'remove' | 'add') => ({
      imageId,
      labelName,
      kind,
      given: 1,
      predicted: 0,
      disagreement: 1,
      support: 9,
    });
    const planted = [
      { imageId: 'x', labelName: 'cat', kind: 'added' as const },
      { imageId: 'y', labelName: 'dog', kind: 'removed' as const },
      { imageId: 'z', labelName: 'car', kind: 'added' as const },
    ];
    // Right: remove the planted cat, add back the dog. Wrong kind: add the planted car. Wrong image.
    const scores = scoreSuggestions(
      [s('x', 'cat', 'remove'), s('z', 'car', 'add'), s('y', 'dog', 'add'), s('w', 'cat', 'remove')],
      planted,
    );
    expect(scores).toEqual({ precision_at_50: 2 / 50, precision_at_200: 2 / 200, recall: 2 / 3, suggestions: 4 });
  });
});

describe('minus-word evaluation', () => {
  it('asks "A - B" where B is not among the asked labels, and scores the model, the baseline and the old way', async () => {
    const { evaluateMinus, askedLabels, LABEL_QUERIES } = await import('../../src/lib/retrieval/label-eval');
    // 100 frequent labels A (0..99) fill the asked set; each has a rarer partner B = 100 + A % 50 on a third of its
    // images. Label space: one axis per label (identity basis), so vectors can be built by hand.
    const L = 150;
    const labelsOf = (i: number) => [i % 100, ...(i % 3 === 0 ? [100 + ((i % 100) % 50)] : [])];
    const refRows = Array.from({ length: 600 }, (_, i) => labelsOf(i));
    const refLabels = csrFromRows(
      refRows.map((ls) => ls.map((col) => ({ col, value: 1 }))),
      L,
    );
    const space: LabelSpace = { vocabulary: Array.from({ length: L }, (_, i) => `l${i}`), basis: new Float32Array(L * L), components: L };
    for (let i = 0; i < L; i++) space.basis[i * L + i] = 1;
    const queries = Array.from({ length: 300 }, (_, i) => labelsOf(i + 1));
    const truths = queries.map((ls) => ({ cols: new Set(ls) }));
    const vectors = Float32Array.from(
      queries.flatMap((ls) => Array.from(unit(Float32Array.from({ length: L }, (_, d) => (ls.includes(d) ? 1 : 0))))),
    );
    const dim = 4;
    const feature = (ls: number[]) => [ls[0] % 7, ls.length, 1, ls[0] % 5];
    const ev = {
      dim,
      refX: Float32Array.from(refRows.flatMap(feature)),
      queryX: Float32Array.from(queries.flatMap(feature)),
    };
    const asked = askedLabels(refLabels, truths);
    expect(asked.length).toBe(LABEL_QUERIES);
    expect(asked.every(([col]) => col < 100)).toBe(true);
    const r = evaluateMinus(space, vectors, ev, refLabels, asked, truths, 0.5, 10);
    expect(r.pairs.length).toBeGreaterThan(0);
    expect(r.pairs.every(({ a, b }) => a < 100 && b >= 100)).toBe(true);
    expect(r.trained.length).toBe(r.pairs.length);
    // With exact label vectors, "A - B" finds A's images without B first.
    expect(r.trained.every((p, i) => p >= r.subtracted[i])).toBe(true);
    expect(r.baseline.every((p) => p >= 0 && p <= 1)).toBe(true);
  });
});

describe('z-scored similarities (measured in bench/levers.ts)', () => {
  it("an item's moments over the probes, and a z-scored index ranks by how unusual a similarity is for the item", () => {
    const probes = unitRows([
      [1, 0],
      [0, 1],
    ]);
    const { mean, sd } = similarityMoments(
      unitRows([
        [1, 1],
        [1, 0],
      ]),
      probes,
      2,
    );
    expect(mean[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(sd[0]).toBeCloseTo(0.001, 6); // the same cosine to both probes: the floor of the spread
    expect(mean[1]).toBeCloseTo(0.5, 6);
    expect(sd[1]).toBeCloseTo(0.5, 6);
    // A z-scored index divides each item's penalised cosine by its spread: an item whose similarities rarely reach
    // this one's ranks above a nearer item for which it is ordinary.
    const refs = unitRows([
      [1, 0],
      [0.8, 0.6],
    ]);
    const query = unitRows([[1, 0]]);
    const lists = (scale: Float32Array | null, beta: number) => [
      ...mixedLists(
        { dim: 2, refs, predicted: new Float32Array(0), penalty: Float32Array.from([0.5, 0.5]), beta, scale },
        query,
        () => -1,
        2,
      )[0],
    ];
    expect(lists(null, 0)).toEqual([0, 1]);
    expect(lists(Float32Array.from([1, 1]), 1)).toEqual([0, 1]);
    expect(lists(Float32Array.from([1, 0.1]), 1)).toEqual([1, 0]);
  });
});

// Labels both ways: tagging by vote and decode, label queries, suspicious labels, honest selection, the
// collection index, and the corrected label files. Pure kernels, no TensorFlow.js.
import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { csrFromRows } from '../../src/lib/sparse';
import { randomizedSvd } from '../../src/lib/embedding/svd';
import {
  chooseTagger,
  composeQuery,
  unit,
  wordScore,
  cosineTop,
  decodeInto,
  labelQuality,
  precisionAt,
  projectLabels,
  rankTags,
  suggestFor,
  tagQueryMetrics,
  tagScores,
  voteInto,
  type LabelSpace,
  type TagInput,
} from '../../src/lib/retrieval/tagging';
import { LabelIndex } from '../../src/lib/retrieval/label-index';
import { assembleTask, holdoutSize, MAX_EVAL_QUERIES } from '../../src/lib/retrieval/data';
import { remapSpace, subRows } from '../../src/lib/retrieval/label-eval';
import { applyLabelChanges, REVIEW_SOURCE } from '../../src/lib/ingest/review';
import { parseLabelsCsv, parseLabelsTxt } from '../../src/lib/ingest/labels';

// Four references over labels a = 0, b = 1, c = 2: r0 {a}, r1 {a, b: 0.5}, r2 {c}, r3 {b, c}.
const refLabels = csrFromRows(
  [
    [{ col: 0, value: 1 }],
    [
      { col: 0, value: 1 },
      { col: 1, value: 0.5 },
    ],
    [{ col: 2, value: 1 }],
    [
      { col: 1, value: 1 },
      { col: 2, value: 1 },
    ],
  ],
  3,
);

describe('tagging', () => {
  it('a vote is the confidence-weighted share of the neighbourhood carrying each label, and leaves the image itself out', () => {
    const out = new Float64Array(3);
    voteInto(refLabels, [0, 1, 2], [1, 1, 0.5], 3, out);
    expect(Array.from(out)).toEqual([2 / 2.5, 0.5 / 2.5, 0.5 / 2.5]);
    const skip = new Float64Array(3);
    voteInto(refLabels, [0, 1, 2], [1, 1, 1], 2, skip, 0); // r0 is the query itself: r1 and r2 vote
    expect(Array.from(skip)).toEqual([0.5, 0.25, 0.5]);
    // Softmax weighting lets the nearest dominate.
    const sharp = new Float64Array(3);
    voteInto(refLabels, [2, 0], [0.9, 0.5], 2, sharp, -1, 'softmax');
    expect(sharp[2]).toBeGreaterThan(0.99);
  });

  it('decoding a label-space row through V gives back the labels it was made from', () => {
    // A label matrix with clear structure: 3 label groups over 6 labels.
    const rows = Array.from({ length: 30 }, (_, i) => {
      const g = i % 3;
      return [
        { col: 2 * g, value: 1 },
        { col: 2 * g + 1, value: 0.8 },
      ];
    });
    const m = csrFromRows(rows, 6);
    const svd = randomizedSvd(m, { components: 3, seed: 1 });
    const space: LabelSpace = { vocabulary: ['a', 'b', 'c', 'd', 'e', 'f'], basis: Float32Array.from(svd.v), components: svd.components };
    const y = svd.embedding.subarray(1 * 3, 2 * 3); // row 1: group 1 (labels c, d)
    const out = new Float64Array(6);
    decodeInto(space, y, out);
    expect(rankTags(out).map((t) => space.vocabulary[t.col])).toEqual(['c', 'd']);
    expect(out[2]).toBeCloseTo(1, 5);
    // Projecting label c lands on group 1's direction: its nearest rows are group 1's.
    const q = projectLabels(space, [{ col: 2, weight: 1 }]);
    const top = cosineTop(svd.embedding, 3, q, 10);
    expect(Array.from(top).every((r) => r % 3 === 1)).toBe(true);
    // "Like group 0's row, plus c, minus a" moves toward group 1.
    const composed = composeQuery(space, svd.embedding.subarray(0, 3), [2], [0]);
    const unitRows = Float32Array.from(svd.embedding);
    for (let i = 0; i < unitRows.length; i += 3) unit(unitRows.subarray(i, i + 3));
    const scores = Array.from({ length: unitRows.length / 3 }, (_, r) => wordScore(composed, unitRows, r, 3));
    expect(scores.indexOf(Math.max(...scores)) % 3).toBe(1);
  });

  it('tag metrics: average precision over the true labels, a label never ranked counts as missed', () => {
    expect(tagQueryMetrics([3, 1, 2], new Set([3, 2]))).toEqual({ map: (1 + 2 / 3) / 2, precision_at_1: 1, precision_at_5: 2 / 5 });
    // Three true labels, one outside the vocabulary: never found.
    expect(tagQueryMetrics([0], new Set([0, 1]), 3).map).toBeCloseTo(1 / 3);
  });

  it('the tagger is chosen on the given queries by MAP, and hybrid mixes in the raw-feature neighbours', () => {
    // Query truth {c}: label-space neighbours point at r0/r1 (wrong), raw-feature neighbours at r2 (right).
    const input: TagInput = {
      neighbours: [0, 1],
      weights: [0.9, 0.8],
      vector: null,
      self: -1,
      featureNeighbours: [2, 3],
      featureWeights: [0.9, 0.5],
    };
    const truths = [{ cols: new Set([2]), count: 1 }];
    const { tagger, tried } = chooseTagger(refLabels, null, [input], truths);
    expect(tried.some((t) => t.tagger.method === 'decode')).toBe(false); // no label space: no decode
    expect(tagger.method).toBe('hybrid');
    const scores = tagScores(refLabels, null, tagger, input);
    expect(rankTags(scores)[0].col).toBe(2);
  });

  it('suggestions: a given label predicted near zero, a strong missing prediction; a label marked absent is not suggested', () => {
    const colOf = new Map([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    const scores = Float64Array.from([0.05, 0.9, 0.95]);
    const support = [9, 9, 9];
    const s = suggestFor('img', [{ labelName: 'a', confidence: 1 }], new Set(['c']), ['a', 'b', 'c'], colOf, scores, support, true);
    expect(s).toEqual([
      { imageId: 'img', labelName: 'a', kind: 'remove', given: 1, predicted: 0.05, disagreement: 0.95, support: 8 },
      { imageId: 'img', labelName: 'b', kind: 'add', given: 0, predicted: 0.9, disagreement: 0.9, support: 9 },
    ]);
    // The gates: a given label is suspicious below a quarter, a missing one from a half (measured on planted errors).
    const suggestA = (predicted: number[]) =>
      suggestFor(
        'img',
        [{ labelName: 'a', confidence: 1 }],
        new Set(),
        ['a', 'b', 'c'],
        colOf,
        Float64Array.from(predicted),
        support,
        true,
      );
    expect(suggestA([0.3, 0.5, 0.45]).map((x) => [x.labelName, x.kind])).toEqual([['b', 'add']]);
    expect(suggestA([0.25, 0, 0]).map((x) => [x.labelName, x.kind])).toEqual([['a', 'remove']]);
    // A label too few other training images carry is never suggested: the model cannot know it.
    expect(suggestFor('img', [{ labelName: 'a', confidence: 1 }], new Set(), ['a', 'b', 'c'], colOf, scores, [5, 4, 0], true)).toEqual([]);
  });

  it('per-label quality groups queries by their labels, with the worst first', () => {
    const rows = labelQuality([['a'], ['a', 'b'], ['a'], ['b']], [0.5, 0.1, 0.9, 0.3], [0.2, 0.2, 0.2, 0.2], { minQueries: 2 });
    expect(rows.map((r) => [r.labelName, r.queries, r.worst])).toEqual([
      ['a', 3, [1, 0, 2]],
      ['b', 2, [1, 3]],
    ]);
    expect(rows[0].trained).toBeCloseTo(0.5);
    expect(precisionAt([1, 2, 3], 2, (i) => i === 2)).toBe(0.5);
  });
});

describe('honest model selection', () => {
  const l = (name: string) => [{ labelName: name, confidence: 1 }];
  const train = Array.from({ length: 40 }, (_, i) => ({ imageId: `t${i}`, hash: `h${i}`, split: 'train', labels: l(i % 2 ? 'a' : 'b') }));
  const val = Array.from({ length: 6 }, (_, i) => ({ imageId: `v${i}`, hash: `hv${i}`, split: 'validation', labels: l('a') }));
  const emb = {
    imageIds: [...train, ...val].map((im) => im.imageId),
    trainIndex: Int32Array.from({ length: 40 }, (_, i) => i),
    similar: new Int32Array(40 * 2).map((_, j) => (Math.floor(j / 2) + 1 + (j % 2)) % 40),
    k: 2,
    svd: Float32Array.from({ length: 46 * 2 }, (_, i) => (i % 2 ? 1 : (i % 7) / 7)),
    components: 2,
    layout: new Float32Array(46 * 2),
  };
  const features = new Map([...train, ...val].map((im, i) => [im.hash, Float32Array.from([i, 1, 2])]));

  it('evaluates at most MAX_EVAL_QUERIES reported queries: a seeded sample of them when there are more, and says how many there were', () => {
    const many = Array.from({ length: MAX_EVAL_QUERIES + 500 }, (_, i) => ({
      imageId: `w${i}`,
      hash: `hw${i}`,
      split: 'validation',
      labels: l('a'),
    }));
    const all = [...train, ...many];
    const bigEmb = {
      ...emb,
      imageIds: all.map((im) => im.imageId),
      svd: new Float32Array(all.length * 2).fill(0.5),
      layout: new Float32Array(all.length * 2),
    };
    const feats = new Map(all.map((im, i) => [im.hash, Float32Array.from([i, 1, 2])]));
    const t = assembleTask(all, bigEmb, feats, 3, 'svd', { seed: 4 });
    expect(t.queryIds).toHaveLength(MAX_EVAL_QUERIES);
    expect(t.queriesTotal).toBe(MAX_EVAL_QUERIES + 500);
    expect(new Set(t.queryIds).size).toBe(MAX_EVAL_QUERIES);
    expect(t.evaluation.task.queryRows).toHaveLength(MAX_EVAL_QUERIES);
    expect(assembleTask(all, bigEmb, feats, 3, 'svd', { seed: 4 }).queryIds).toEqual(t.queryIds);
    // Up to the limit every query is kept, in order.
    expect(assembleTask([...train, ...val], emb, features, 3, 'svd', { seed: 4 })).toMatchObject({
      queriesTotal: 6,
      queryIds: val.map((v) => v.imageId),
    });
  });

  it('the hold-out is seeded, kept out of training, disjoint from the reported queries, and back among the references', () => {
    const t = assembleTask([...train, ...val], emb, features, 3, 'svd', { seed: 4 });
    expect(t.selection.kind).toBe('holdout');
    expect(t.selection.size).toBe(holdoutSize(40));
    const held = new Set(t.selection.ids);
    expect(held.size).toBe(8);
    for (const q of t.queryIds) expect(held.has(q)).toBe(false);
    expect(t.queryIds).toEqual(val.map((v) => v.imageId));
    // Trained on the rest only; the finished references are all 40 (trained first, then the hold-out).
    expect(t.data.trainX.length / 3).toBe(40 - 8);
    expect(t.refIds.slice(32).every((id) => held.has(id))).toBe(true);
    expect(t.refIds.length).toBe(40);
    expect(t.data.valX.length / 3).toBe(8);
    // The selection task ranks trained references only; the reported task ranks all.
    expect(t.data.task.refRows.length).toBe(32);
    expect(t.evaluation.task.refRows.length).toBe(40);
    // Seeded: the same seed, the same hold-out; another seed, another.
    expect(assembleTask([...train, ...val], emb, features, 3, 'svd', { seed: 4 }).selection.ids).toEqual(t.selection.ids);
    expect(assembleTask([...train, ...val], emb, features, 3, 'svd', { seed: 5 }).selection.ids).not.toEqual(t.selection.ids);
    // The 'sets' head has one output per trained image: its references are those alone.
    expect(assembleTask([...train, ...val], emb, features, 3, 'svd', { seed: 4, head: 'sets' }).refIds.length).toBe(32);
  });

  it('with a test split, selection uses validation and the report uses test', () => {
    const tests = val.slice(0, 3).map((im) => ({ ...im, imageId: `x${im.imageId}`, hash: `x${im.hash}`, split: 'test' }));
    const feats = new Map([...features, ...tests.map((im) => [im.hash, Float32Array.from([9, 9, 9])] as const)]);
    const t = assembleTask([...train, ...val, ...tests], emb, feats, 3, 'svd');
    expect(t.selection.kind).toBe('validation');
    expect(t.selection.ids).toEqual(val.map((v) => v.imageId));
    expect(t.querySplit).toBe('test');
    expect(t.queryIds).toEqual(tests.map((v) => v.imageId));
    expect(t.refIds.length).toBe(40);
  });

  it('remapSpace and subRows keep rows in the asked order', () => {
    const s = remapSpace(['b', 'z', 'a'], { vocabulary: ['a', 'b'], basis: Float32Array.from([1, 2, 3, 4]), components: 2 });
    expect(Array.from(s.basis)).toEqual([3, 4, 0, 0, 1, 2]);
    const sub = subRows(refLabels, [3, 0]);
    expect(Array.from(sub.colIdx)).toEqual([1, 2, 0]);
  });
});

describe('the whole collection in label space', () => {
  const images = [
    { imageId: 'r0', hash: 'h0', split: 'train', labels: [{ labelName: 'a', confidence: 1 }] },
    { imageId: 'r1', hash: 'h1', split: 'train', labels: [{ labelName: 'b', confidence: 1 }] },
    { imageId: 'u0', hash: 'h2', split: 'train', labels: [] },
    { imageId: 'v0', hash: 'h3', split: 'validation', labels: [{ labelName: 'a', confidence: 1 }] },
  ];
  const space: LabelSpace = { vocabulary: ['a', 'b'], basis: Float32Array.from([1, 0, 0, 1]), components: 2 };
  const index = new LabelIndex(['r0', 'r1'], ['a', 'b'], images, 'svd', Float32Array.from([1, 0, 0, 1]), 2, space, {
    method: 'vote',
    k: 1,
  });

  it('an unlabelled image is found by a label query, marked as found by prediction; validation images only when asked', () => {
    expect(index.unindexed().map((im) => im.imageId)).toEqual(['u0', 'v0']);
    index.setPredicted(['u0', 'v0'], Float32Array.from([0.96, 0.28, 0.8, 0.6]));
    const q = composeQuery(space, null, [0], []);
    expect(index.search(q, 3, false)).toEqual([
      { imageId: 'r0', score: 1, by: 'labels' },
      { imageId: 'u0', score: expect.closeTo(0.96, 5), by: 'prediction' },
      { imageId: 'r1', score: 0, by: 'labels' },
    ]);
    expect(index.search(q, 3, true).map((f) => f.imageId)).toEqual(['r0', 'u0', 'v0']);
  });

  it('tags come from the neighbours and mark the labels the image carries', () => {
    const tags = index.tags({ neighbours: [0, 1], scores: [0.9, 0.1], vector: null }, 'v0');
    expect(tags[0]).toEqual({ labelName: 'a', score: 1, given: true });
    // A reference never votes for itself: r0's own label comes only from its neighbours.
    expect(index.tags({ neighbours: [0, 1], scores: [0.9, 0.1], vector: null }, 'r0')[0].labelName).toBe('b');
  });
});

describe('the corrected label file', () => {
  const csv = [
    'ImageID,Source,LabelName,Confidence,Extra',
    'img1,human,/m/dog,1,x',
    '"img,2",machine,/m/cat,0.8,"quoted, field"',
    'img3,human,/m/snow,1,',
    '',
  ].join('\r\n');

  it('differs from the original by exactly the accepted changes: a rejected label becomes Confidence 0, an accepted one a new row', () => {
    const [out] = applyLabelChanges(
      [{ path: 'labels.csv', kind: 'labels-csv', text: csv }],
      [
        { imageId: 'img,2', labelName: '/m/cat', kind: 'remove' },
        { imageId: 'img3', labelName: '/m/dog', kind: 'add' },
      ],
    );
    const before = Papa.parse<string[]>(csv, { skipEmptyLines: true }).data;
    const after = Papa.parse<string[]>(out.text, { skipEmptyLines: true }).data;
    expect(after.length).toBe(before.length + 1);
    // Untouched rows are the same bytes.
    expect(out.text.startsWith('ImageID,Source,LabelName,Confidence,Extra\r\nimg1,human,/m/dog,1,x\r\n')).toBe(true);
    expect(out.text).toContain('img3,human,/m/snow,1,\r\n');
    expect(after[2]).toEqual(['img,2', 'machine', '/m/cat', '0', 'quoted, field']);
    expect(after.at(-1)).toEqual(['img3', REVIEW_SOURCE, '/m/dog', '1', '']);
    // Read back as the app reads it: the cat is now a negative, the dog a label.
    const rows = parseLabelsCsv(out.text, 'labels.csv').rows;
    expect(rows.find((r) => r.imageId === 'img,2')!.confidence).toBe(0);
    expect(rows.find((r) => r.imageId === 'img3' && r.labelName === '/m/dog')!.confidence).toBe(1);
  });

  it('nothing accepted: nothing changes; the 2017 text form gets label(0) and ;label(1)', () => {
    expect(applyLabelChanges([{ path: 'labels.csv', kind: 'labels-csv', text: csv }], [])).toEqual([]);
    const txt = 'a1;dog(0.9);snow\na2;cat\n';
    const [out] = applyLabelChanges(
      [{ path: 'labels.txt', kind: 'labels-txt', text: txt }],
      [
        { imageId: 'a1', labelName: 'snow', kind: 'remove' },
        { imageId: 'a2', labelName: 'dog', kind: 'add' },
        { imageId: 'a3', labelName: 'cat', kind: 'add' },
      ],
    );
    expect(out.text).toBe('a1;dog(0.9);snow(0)\na2;cat;dog(1)\na3;cat(1)\n');
    expect(parseLabelsTxt(out.text, 'labels.txt').rows.find((r) => r.labelName === 'snow')!.confidence).toBe(0);
  });
});

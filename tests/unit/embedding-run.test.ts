import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { UMAP } from 'umap-js';
import {
  DEFAULT_EMBEDDING,
  embeddingKey,
  runEmbedding,
  type EmbeddingInput,
  type EmbeddingResult,
  type EmbeddingSettings,
} from '../../src/lib/embedding/run';
import { getEmbedding, openSimageDb, putEmbedding } from '../../src/lib/store/db';
import { seededRandom } from '../../src/lib/random';

/** 4 topics x 45 images; each image draws 4 labels (with repeats) from its topic's 5; every 9th image repeats the row of the image 4 before it (same topic). */
function topicShard(): EmbeddingInput & { topic: number[] } {
  const random = seededRandom(8);
  const imageIds: string[] = [];
  const labels: EmbeddingInput['labels'] = [];
  const train: boolean[] = [];
  const topic: number[] = [];
  for (let i = 0; i < 180; i++) {
    const t = i % 4;
    imageIds.push(`img${i}`);
    topic.push(t);
    train.push(i % 10 !== 0);
    if (i % 9 === 8) labels.push(labels[i - 4].map((l) => ({ ...l })));
    else labels.push([0, 1, 2, 3].map(() => ({ labelName: `t${t}_l${Math.floor(random() * 5)}`, confidence: 0.5 + 0.5 * random() })));
  }
  return { imageIds, labels, train, topic };
}

function run(input: EmbeddingInput, settings: Partial<EmbeddingSettings>): { result: EmbeddingResult; events: string[] } {
  const gen = runEmbedding(
    input,
    { ...DEFAULT_EMBEDDING, k: 20, iterations: 1000, ...settings },
    (random) => new UMAP({ nComponents: 2, nNeighbors: 15, random }),
  );
  const events: string[] = [];
  for (;;) {
    const r = gen.next();
    if (r.done) return { result: r.value, events };
    events.push(r.value.stage);
  }
}

function sameTopicShare(result: EmbeddingResult, topic: number[]): number {
  let same = 0;
  result.trainIndex.forEach((row, j) => {
    for (let t = 0; t < result.k; t++) if (topic[result.similar[j * result.k + t]] === topic[row]) same++;
  });
  return same / (result.trainIndex.length * result.k);
}

describe('label embedding run', () => {
  const input = topicShard();

  it.each(['tsne', 'umap', 'svd'] as const)(
    '%s: similar sets are training images of the same topic, and score above random sets',
    (layout) => {
      const { result, events } = run(input, { layout });
      expect(result.layout.length).toBe(2 * input.imageIds.length);
      expect(result.trainIndex.length).toBe(input.train.filter(Boolean).length);
      expect(result.similar.length).toBe(result.trainIndex.length * 20);
      const trainSet = new Set(result.trainIndex);
      result.trainIndex.forEach((row, j) => {
        const set = Array.from(result.similar.subarray(j * 20, (j + 1) * 20));
        expect(set).not.toContain(row);
        for (const s of set) expect(trainSet.has(s)).toBe(true);
      });
      expect(sameTopicShare(result, input.topic)).toBeGreaterThan(0.9);
      expect(result.uniqueRows).toBe(160);
      expect(events[0]).toBe('svd');
      expect(events.at(-1)).toBe('sets');
      // Random similar sets for comparison: the same score function, fixed seed.
      const random = seededRandom(3);
      const rnd = { ...result, similar: result.similar.map(() => result.trainIndex[Math.floor(random() * result.trainIndex.length)]) };
      expect(result.similarSetScore).toBeGreaterThan(2 * scoreOf(rnd, input));
    },
  );

  it('places identical label rows side by side (not stacked) and is deterministic', () => {
    const a = run(input, { layout: 'tsne' }).result;
    const [dx, dy] = [a.layout[2 * 8] - a.layout[2 * 4], a.layout[2 * 8 + 1] - a.layout[2 * 4 + 1]];
    const extent = Math.max(...a.layout) - Math.min(...a.layout);
    expect(Math.hypot(dx, dy)).toBeGreaterThan(0);
    expect(Math.hypot(dx, dy)).toBeLessThan(extent / 4);
    expect(a.kl).toBeGreaterThan(0);
    const b = run(input, { layout: 'tsne' }).result;
    expect(Array.from(b.similar)).toEqual(Array.from(a.similar));
    expect(Array.from(b.layout)).toEqual(Array.from(a.layout));
  });

  it('keys the cache by the settings that change the result, and stores and finds it', async () => {
    expect(embeddingKey({ ...DEFAULT_EMBEDDING })).not.toBe(embeddingKey({ ...DEFAULT_EMBEDDING, k: 60 }));
    expect(embeddingKey({ ...DEFAULT_EMBEDDING, layout: 'svd' })).toBe(
      embeddingKey({ ...DEFAULT_EMBEDDING, layout: 'svd', perplexity: 5 }),
    );
    const db = await openSimageDb(`t-${Math.random()}`);
    const { result } = run(input, { layout: 'svd' });
    const key = embeddingKey({ ...DEFAULT_EMBEDDING, layout: 'svd' });
    await putEmbedding(db, { shardId: 's', key, labelsHash: 'a', settings: {}, ...result });
    expect((await getEmbedding(db, 's', key, 'a'))?.similarSetScore).toBe(result.similarSetScore);
    expect(await getEmbedding(db, 's', key, 'b')).toBeUndefined();
    db.close();
  });

  it('refuses a shard with too few labelled images, in a sentence', () => {
    expect(() =>
      runEmbedding({ imageIds: ['a'], labels: [[{ labelName: 'x', confidence: 1 }]], train: [true] }, DEFAULT_EMBEDDING).next(),
    ).toThrow(/at least 3/);
  });
});

import { meanRetrievalScore } from '../../src/lib/embedding/score';
import { buildLabelMatrix } from '../../src/lib/embedding/run';
function scoreOf(result: EmbeddingResult, input: EmbeddingInput): number {
  const { matrix } = buildLabelMatrix(input);
  const lists = Array.from({ length: result.trainIndex.length }, (_, j) => result.similar.subarray(j * result.k, (j + 1) * result.k));
  return meanRetrievalScore(matrix, result.trainIndex, lists);
}

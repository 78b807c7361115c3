// The synthetic scale shard (bench/synthetic-shard.ts): label statistics like Open Images' (about 8 labels per image,
// Zipf frequencies, labels correlated with the content), identical bytes per content, and a shard the app's own
// parsers read without a skipped row.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { makeSyntheticShard, zipfSampler } from '../../bench/synthetic-shard';
import { parseLabelsCsv, parseSplitCsv } from '../../src/lib/ingest/labels';
import { seededRandom } from '../../src/lib/random';

describe('synthetic scale shard', () => {
  it('draws ranks by a Zipf law', () => {
    const draw = zipfSampler(1000, 1, seededRandom(3));
    const counts = new Int32Array(1000);
    for (let i = 0; i < 200_000; i++) counts[draw()]++;
    // p(rank r) ~ 1 / (r + 1): the first is about twice the second and ten times the tenth.
    expect(counts[0] / counts[1]).toBeGreaterThan(1.7);
    expect(counts[0] / counts[1]).toBeLessThan(2.3);
    expect(counts[0] / counts[9]).toBeGreaterThan(7);
    expect(counts[0] / counts[9]).toBeLessThan(13);
  });

  it('writes N images over D contents with about 8 labels each, correlated with the content, and a tenth for validation', () => {
    const shard = makeSyntheticShard({ images: 1200, distinct: 40, vocabulary: 5000, seed: 2 });
    const files = readdirSync(join(shard.dir, 'images'));
    expect(files.length).toBe(1200);
    const hashOf = (f: string) =>
      createHash('sha256')
        .update(readFileSync(join(shard.dir, 'images', f)))
        .digest('hex');
    expect(new Set(files.map(hashOf)).size).toBe(40);
    const { rows, skipped } = parseLabelsCsv(readFileSync(join(shard.dir, 'labels.csv'), 'utf8'), 'labels.csv');
    expect(skipped).toEqual([]);
    expect(rows.length / 1200).toBeGreaterThan(7);
    expect(rows.length / 1200).toBeLessThan(9);
    expect(shard.labelsPerImage).toBeCloseTo(rows.length / 1200);
    const byImage = new Map<string, Set<string>>();
    for (const r of rows) byImage.set(r.imageId, (byImage.get(r.imageId) ?? new Set()).add(r.labelName));
    const id = (i: number) => `syn_${String(i).padStart(6, '0')}`;
    const overlap = (a: number, b: number) => [...byImage.get(id(a))!].filter((l) => byImage.get(id(b))!.has(l)).length;
    let same = 0;
    let other = 0;
    for (let i = 0; i < 400; i++) {
      same += overlap(i, i + 40); // the same content
      other += overlap(i, i + 41); // the next content
    }
    expect(same / 400).toBeGreaterThan(3);
    expect(other / 400).toBeLessThan(1);
    const { splits } = parseSplitCsv(readFileSync(join(shard.dir, 'split.csv'), 'utf8'), 'split.csv');
    expect([...splits.values()].filter((s) => s === 'validation').length).toBe(120);
    // The same options write the same shard.
    const again = makeSyntheticShard({ images: 1200, distinct: 40, vocabulary: 5000, seed: 2 });
    expect(readFileSync(join(again.dir, 'labels.csv'), 'utf8')).toBe(readFileSync(join(shard.dir, 'labels.csv'), 'utf8'));
  });
});

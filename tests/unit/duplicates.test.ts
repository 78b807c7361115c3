import { describe, expect, it } from 'vitest';
import {
  duplicatesCsv,
  findDuplicates,
  NEAR_DUPLICATE_COSINE,
  type DuplicateInput,
  type DuplicateOptions,
  type DuplicateProgress,
  type DuplicateReport,
} from '../../src/lib/duplicates/groups';
import type { Split } from '../../src/lib/ingest/labels';
import { gaussian, seededRandom } from '../../src/lib/random';

function run(input: DuplicateInput, threshold = NEAR_DUPLICATE_COSINE, options?: DuplicateOptions) {
  const progress: DuplicateProgress[] = [];
  const steps = findDuplicates(input, threshold, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return { report: step.value, progress };
    progress.push(step.value);
  }
}

/** n random Gaussian rows, each scaled by a random norm (the kernel must not care). */
function randomRows(n: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const rows = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const scale = 0.1 + 10 * random();
    for (let d = 0; d < dim; d++) rows[i * dim + d] = normal() * scale;
  }
  return rows;
}

/** Overwrites row `to` with row `from` plus noise of relative size `noise` (cosine about 1 / sqrt(1 + noise²)). */
function plantCopy(rows: Float32Array, dim: number, from: number, to: number, noise: number, normal: () => number) {
  let squares = 0;
  for (let d = 0; d < dim; d++) squares += rows[from * dim + d] ** 2;
  const perCoordinate = (noise * Math.sqrt(squares)) / Math.sqrt(dim);
  for (let d = 0; d < dim; d++) rows[to * dim + d] = rows[from * dim + d] + normal() * perCoordinate;
}

function collection(features: Float32Array, dim: number, overrides: Partial<DuplicateInput> = {}): DuplicateInput {
  const n = features.length / dim;
  return {
    imageIds: Array.from({ length: n }, (_, i) => `img${String(i).padStart(6, '0')}`),
    hashes: Array.from({ length: n }, (_, i) => `h${i}`),
    splits: Array.from({ length: n }, () => 'train' as Split),
    features,
    dim,
    ...overrides,
  };
}

const idSets = (report: DuplicateReport) => report.groups.map((g) => g.ids.join(' ')).sort();

describe('findDuplicates: exact duplicates', () => {
  it('groups images that share a content hash, even when their feature rows differ or are zero', () => {
    const dim = 16;
    const features = randomRows(6, dim, 1);
    features.fill(0, 5 * dim); // a row without features joins by its hash only
    const input = collection(features, dim, {
      imageIds: ['a', 'b', 'c', 'd', 'e', 'f'],
      hashes: ['x', 'x', 'y', 'z', 'x', 'z'],
    });
    const { report } = run(input);
    expect(report.threshold).toBe(NEAR_DUPLICATE_COSINE);
    expect(report.groups).toEqual([
      { ids: ['a', 'b', 'e'], kind: 'exact', leak: false },
      { ids: ['d', 'f'], kind: 'exact', leak: false },
    ]);
  });

  it('leaves images with an unknown hash ungrouped unless their features are near', () => {
    const dim = 8;
    const { report } = run(collection(randomRows(3, dim, 2), dim, { hashes: ['', '', ''] }));
    expect(report.groups).toEqual([]);
  });
});

describe('findDuplicates: near duplicates', () => {
  it('finds every planted near copy among random rows and no other group', () => {
    const dim = 64;
    const n = 400;
    const features = randomRows(n, dim, 3);
    const normal = gaussian(seededRandom(4));
    const planted: number[][] = [];
    for (let p = 0; p < 12; p++) {
      plantCopy(features, dim, p * 30, p * 30 + 7, 0.15, normal); // cosine about 0.99
      planted.push([p * 30, p * 30 + 7]);
    }
    plantCopy(features, dim, 380, 390, 0.1, normal); // a chain: 390 ~ 380 ~ 395
    plantCopy(features, dim, 380, 395, 0.1, normal);
    planted.push([380, 390, 395]);
    const input = collection(features, dim);
    const { report, progress } = run(input);
    const want = planted.map((g) => g.map((i) => input.imageIds[i]).join(' ')).sort();
    expect(idSets(report)).toEqual(want);
    expect(report.groups.every((g) => g.kind === 'near')).toBe(true);
    expect(report.groups[0].ids).toHaveLength(3);
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
  });

  it('calls a component near when it holds an exact group and another image, exact when it is one hash', () => {
    const dim = 32;
    const features = randomRows(5, dim, 5);
    const normal = gaussian(seededRandom(6));
    features.copyWithin(dim, 0, dim); // b: the same bytes as a, so the same row
    plantCopy(features, dim, 0, 2, 0.05, normal); // c: a re-encoded a
    features.copyWithin(4 * dim, 3 * dim, 4 * dim); // e: the same as d
    const input = collection(features, dim, { imageIds: ['a', 'b', 'c', 'd', 'e'], hashes: ['h1', 'h1', 'h2', 'h3', 'h3'] });
    const { report } = run(input);
    expect(report.groups).toEqual([
      { ids: ['a', 'b', 'c'], kind: 'near', leak: false },
      { ids: ['d', 'e'], kind: 'exact', leak: false },
    ]);
  });

  it('honours the threshold it is given and reports it', () => {
    const dim = 64;
    const features = randomRows(2, dim, 7);
    plantCopy(features, dim, 0, 1, 0.5, gaussian(seededRandom(8))); // cosine about 0.89
    const input = collection(features, dim);
    expect(run(input, 0.95).report.groups).toEqual([]);
    const loose = run(input, 0.8).report;
    expect(loose.threshold).toBe(0.8);
    expect(loose.groups).toHaveLength(1);
  });

  it('gives the same groups with and without the subspace bound on clustered features', () => {
    // Image-like features: a strong shared direction, clusters around it, near copies inside clusters.
    const dim = 256;
    const n = 1500;
    const random = seededRandom(9);
    const normal = gaussian(random);
    const centres = randomRows(20, dim, 10);
    const features = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const c = i % 20;
      for (let d = 0; d < dim; d++) features[i * dim + d] = 3 + centres[c * dim + d] * 0.3 + normal() * 0.35;
    }
    for (let p = 0; p < 15; p++) plantCopy(features, dim, p * 97, p * 97 + 20, 0.02, normal);
    const input = collection(features, dim);
    const bounded = run(input, 0.995).report;
    const everyPair = run(input, 0.995, { boundPairs: false }).report;
    expect(bounded).toEqual(everyPair);
    expect(bounded.groups.length).toBeGreaterThanOrEqual(15);
  });
});

describe('findDuplicates: leaks and order', () => {
  it('flags a group with a train image and a validation or test image as a leak', () => {
    const dim = 8;
    const features = randomRows(8, dim, 11);
    const input = collection(features, dim, {
      imageIds: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
      hashes: ['1', '1', '2', '2', '3', '3', '4', '4'],
      splits: ['train', 'validation', 'train', 'train', 'validation', 'test', 'test', 'train'],
    });
    const leaks = Object.fromEntries(run(input).report.groups.map((g) => [g.ids.join(''), g.leak]));
    expect(leaks).toEqual({ ab: true, cd: false, ef: false, gh: true });
  });

  it('sorts groups biggest first, then by first id, and the ids of a group in code-unit order', () => {
    const dim = 8;
    const input = collection(randomRows(9, dim, 12), dim, {
      imageIds: ['z1', 'm', 'B', 'z2', 'a', 'c', 'q', 'b', 'z3'],
      hashes: ['3', '2', '1', '3', '1', '2', '4', '1', '3'],
    });
    expect(run(input).report.groups.map((g) => g.ids)).toEqual([
      ['B', 'a', 'b'],
      ['z1', 'z2', 'z3'],
      ['c', 'm'],
    ]);
  });

  it('rejects inputs whose lengths do not agree', () => {
    const input = collection(randomRows(3, 4, 13), 4);
    expect(() => run({ ...input, hashes: ['a'] })).toThrow(/length/);
    expect(() => run({ ...input, dim: 5 })).toThrow(/3 x 5/);
  });
});

describe('duplicatesCsv', () => {
  it('writes one row per image with RFC 4180 quoting', () => {
    const report: DuplicateReport = {
      threshold: 0.95,
      groups: [
        { ids: ['plain', 'with,comma', 'with "quote"'], kind: 'near', leak: true },
        { ids: ['line\nbreak', 'x'], kind: 'exact', leak: false },
      ],
    };
    expect(duplicatesCsv(report)).toBe(
      'group,kind,leak,image_id\r\n' +
        '1,near,true,plain\r\n1,near,true,"with,comma"\r\n1,near,true,"with ""quote"""\r\n' +
        '2,exact,false,"line\nbreak"\r\n2,exact,false,x\r\n',
    );
    expect(duplicatesCsv({ threshold: 0.95, groups: [] })).toBe('group,kind,leak,image_id\r\n');
  });
});

describe('findDuplicates: LSH candidates above the all-pairs size', () => {
  it('finds all 20 planted pairs among 25,000 random 64-d rows, and nothing else', () => {
    const dim = 64;
    const n = 25_000;
    const features = randomRows(n, dim, 14);
    const normal = gaussian(seededRandom(15));
    const planted: string[] = [];
    const input = collection(features, dim);
    for (let p = 0; p < 20; p++) {
      const [from, to] = [p * 1201 + 3, p * 1201 + 600];
      plantCopy(features, dim, from, to, 0.2, normal); // cosine about 0.98
      planted.push(`${input.imageIds[from]} ${input.imageIds[to]}`);
    }
    const { report, progress } = run(input, 0.95, { random: seededRandom(16) });
    expect(idSets(report)).toEqual(planted.sort());
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.every((p, i) => p.done <= p.total && (i === 0 || p.done >= progress[i - 1].done))).toBe(true);
    expect(progress.at(-1)).toEqual({ done: progress[0].total, total: progress[0].total });
  }, 60_000);

  it('agrees with all pairs on a small set when forced, and bounds a crowded bucket by its window', () => {
    const dim = 32;
    const n = 2000;
    const features = randomRows(n, dim, 17);
    const normal = gaussian(seededRandom(18));
    for (let i = 1; i < 300; i++) features.copyWithin(i * 5 * dim, 0, dim); // 300 copies of row 0 (distinct hashes)
    for (let p = 0; p < 10; p++) plantCopy(features, dim, p * 5 + 1, p * 5 + 2, 0.1, normal);
    const input = collection(features, dim);
    const everyPair = run(input).report;
    const lsh = run(input, NEAR_DUPLICATE_COSINE, { exactMaxImages: 0, lsh: { bucketCap: 16 } }).report;
    expect(lsh).toEqual(everyPair);
    expect(everyPair.groups[0].ids).toHaveLength(300);
    expect(everyPair.groups).toHaveLength(11);
  });
});

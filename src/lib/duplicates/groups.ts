// Duplicates and leaks of a collection: exact duplicates (the same content hash) and near duplicates (feature rows
// whose cosine is at least a threshold), joined into groups; a group that spans train and validation or test is a
// leak. Pure and step-wise: a generator yields progress, so a worker can report it and stop between steps.
// Invariant: every image is in at most one group, a group has at least two images, and the same input, threshold
// and seed give the same groups, in the same order.
//
// Up to `EXACT_MAX_IMAGES` (5,000) images every pair is compared, block by block. Each pair is first bounded through a
// projection on the main subspace of a sample (subspace iteration, Halko et al. 2011): for unit rows u, v and an
// orthogonal projection P, u·v = Pu·Pv + (u−Pu)·(v−Pv) <= Pu·Pv + |u−Pu||v−Pv| (Cauchy-Schwarz), so a pair whose
// bound is below the threshold cannot be a near duplicate, and the full dot product is skipped without ever
// losing a pair. Above that size, candidate pairs come from random-hyperplane LSH (Charikar 2002): a 512-bit sketch
// per row from very sparse random projections (Li, Hastie & Church 2006), tables keyed by bits sampled from it, a
// Hamming pre-check, then the exact cosine. That path is approximate: a pair right at the threshold is found with
// probability about 0.99 under the default settings, a pair well above it (cosine 0.97+) almost surely.
import type { Split } from '../ingest/labels';
import { gaussian, seededRandom, type Random } from '../random';
import { colourDistance, hammingDistance } from './phash';

/** Cosine of Inception v3's pooled features at or above which two images may be near copies; with perceptual
 *  hashes (the page always has them) the pair's 256-bit pHashes must also differ in at most NEAR_DUPLICATE_HAMMING
 *  bits. Calibrated on 1,000 real photos with 20 planted copies (docs/BENCHMARKS.md, "Near duplicates",
 *  `bench/duplicates.ts`): features alone cannot tell a copy from another photo of a like scene (at cosine 0.95,
 *  9 of 10 re-encoded copies found and 7 false groups; at 0.99, 4 found and 7 false groups), while cosine 0.9 with
 *  at most 20 to 40 pHash bits found all 20 copies and made no false group (16 bits missed 2; 48 joined one pair of
 *  distinct photos). 28 is in the middle of that range. */
export const NEAR_DUPLICATE_COSINE = 0.9;
export const NEAR_DUPLICATE_HAMMING = 28;
/** The most two near copies' colour prints (phash.ts) may differ, in 0-255 levels RMS. Measured on 40 photos of
 *  photos-coco256 re-encoded as JPEG q80 at 75% size: copies 0.3 median, 0.5 at most; distinct photos 23.3 at
 *  least (of 780 pairs), 60.9 median; the emoji demo's three banded flags that the pHash joined 40 to 73. 12 sits
 *  between copies and distinct photos with room on both sides. */
export const NEAR_DUPLICATE_COLOUR = 12;
/** Largest collection compared pair by pair; above it the LSH candidate search runs. Measured on 2,048-d features
 *  here (2 cores): 4,000 images pair by pair took 4.0 s, 30,000 by LSH 5.8 s; pair by pair grows with the square, so
 *  past 5,000 (about 6 s) the LSH is the faster of the two. */
export const EXACT_MAX_IMAGES = 5_000;

export interface DuplicateInput {
  imageIds: readonly string[];
  /** Content hash of each image's bytes; '' when unknown (such an image only joins groups by its features). */
  hashes: readonly string[];
  splits: readonly Split[];
  /** n x dim, row-major, any norm (rows are L2-normalised here; an all-zero row only joins by its hash). */
  features: Float32Array;
  dim: number;
  /** Each image's 256-bit perceptual hash (phash.ts), PHASH_WORDS words per image, and whether it is known. */
  phashes?: Uint32Array;
  phashKnown?: Uint8Array;
  /** Each image's colour print (phash.ts, COLOUR_BYTES per image), known where its pHash is. */
  colours?: Uint8Array;
}

export type DuplicateKind = 'exact' | 'near';

export interface DuplicateGroup {
  /** Sorted (code-unit order). */
  ids: string[];
  /** 'exact' when every image of the group has the same content hash; else 'near'. */
  kind: DuplicateKind;
  /** The group holds a train image and a validation or test image. */
  leak: boolean;
}

export interface DuplicateReport {
  /** Biggest first, then by first id. */
  groups: DuplicateGroup[];
  /** The feature cosine a near pair reaches at least. */
  threshold: number;
  /** The perceptual-hash bits a near pair differs in at most (present when the images had perceptual hashes). */
  max_hamming?: number;
  /** With colour prints: the most a near pair's prints differ (RMS, 0-255 levels). */
  max_colour_rms?: number;
}

export interface DuplicateProgress {
  done: number;
  total: number;
}

export interface LshSettings {
  /** Bits of the sign sketch of each row (a multiple of 32). */
  sketchBits: number;
  tables: number;
  /** Bits of the sketch that key one table (at most 24). */
  bitsPerTable: number;
  /** A bucket bigger than this is compared in a sliding window of this many rows (in sketch order), not all pairs. */
  bucketCap: number;
}

/** With 16 of 512 bits per table and 24 tables, a pair at cosine 0.95 shares a bucket in at least one table with
 *  probability about 0.99 (a pair at 0.97, 0.9995), while random pairs (cosine about 0) meet once in 65,536. */
export const DEFAULT_LSH: LshSettings = { sketchBits: 512, tables: 24, bitsPerTable: 16, bucketCap: 1000 };

export interface DuplicateOptions {
  /** Seeded generator for the subspace sample and the LSH planes; default seededRandom(1). */
  random?: Random;
  exactMaxImages?: number;
  lsh?: Partial<LshSettings>;
  /** Bound pairs through the principal subspace before the full dot product (the result is the same either way;
   *  only the time differs). Default true. */
  boundPairs?: boolean;
  /** With perceptual hashes: the most bits a near pair's hashes may differ in (default NEAR_DUPLICATE_HAMMING). */
  maxHamming?: number;
  /** With colour prints: the most their RMS difference may be (default NEAR_DUPLICATE_COLOUR). */
  maxColour?: number;
}

export function* findDuplicates(
  input: DuplicateInput,
  threshold: number = NEAR_DUPLICATE_COSINE,
  options: DuplicateOptions = {},
): Generator<DuplicateProgress, DuplicateReport> {
  const { imageIds, hashes, splits, features, dim } = input;
  const n = imageIds.length;
  if (hashes.length !== n || splits.length !== n) throw new Error('findDuplicates: imageIds, hashes and splits differ in length.');
  if (!(dim > 0) || features.length !== n * dim)
    throw new Error(`findDuplicates: features hold ${features.length} values, not ${n} x ${dim}.`);
  if (!(threshold > -1 && threshold <= 1)) throw new Error(`findDuplicates: threshold ${threshold} is not a cosine in (-1, 1].`);
  const random = options.random ?? seededRandom(1);

  const components = new UnionFind(n);
  const firstWithHash = new Map<string, number>();
  hashes.forEach((hash, i) => {
    if (hash === '') return;
    const first = firstWithHash.get(hash);
    if (first === undefined) firstWithHash.set(hash, i);
    else components.union(first, i);
  });

  const { unit, valid } = unitRows(features, n, dim);
  // With perceptual hashes, a pair close in features must also be close in pHash: features say "looks alike",
  // the pHash says "is the same picture" (two different photos of one scene are alike, not copies).
  // The same layout in other colours is another picture: a copy keeps its colours too.
  const { phashes, phashKnown, colours } = input;
  const maxHamming = options.maxHamming ?? NEAR_DUPLICATE_HAMMING;
  const maxColour = options.maxColour ?? NEAR_DUPLICATE_COLOUR;
  const joiner: Joiner =
    phashes && phashKnown
      ? {
          find: (a) => components.find(a),
          union: (a, b) => {
            const known = phashKnown[a] && phashKnown[b];
            if (!known || (hammingDistance(phashes, a, b) <= maxHamming && (!colours || colourDistance(colours, a, b) <= maxColour)))
              components.union(a, b);
          },
        }
      : components;
  if (n <= (options.exactMaxImages ?? EXACT_MAX_IMAGES)) {
    const bound =
      options.boundPairs !== false && n >= BOUND_MIN_IMAGES && dim >= BOUND_MIN_DIM ? subspaceBound(unit, valid, n, dim, random) : null;
    yield* compareAllPairs(unit, valid, n, dim, threshold, joiner, bound);
  } else {
    yield* compareLshCandidates(unit, valid, n, dim, threshold, joiner, { ...DEFAULT_LSH, ...options.lsh }, random);
  }
  return {
    groups: collectGroups(input, components),
    threshold,
    ...(phashes && phashKnown ? { max_hamming: maxHamming } : {}),
    ...(phashes && phashKnown && colours ? { max_colour_rms: maxColour } : {}),
  };
}

/** One row per image of each group: group (1-based, in report order), kind, leak, image_id; RFC 4180 (CRLF, fields
 *  with a comma, quote or line break quoted, quotes doubled). */
export function duplicatesCsv(report: DuplicateReport): string {
  const lines = ['group,kind,leak,image_id'];
  report.groups.forEach((group, g) => {
    for (const id of group.ids) lines.push(`${g + 1},${group.kind},${group.leak},${csvField(id)}`);
  });
  return lines.join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(i: number): number {
    const parent = this.parent;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]]; // path halving
      i = parent[i];
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller index becomes the root: the same input always builds the same forest.
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

function unitRows(features: Float32Array, n: number, dim: number): { unit: Float32Array; valid: Uint8Array } {
  const unit = new Float32Array(n * dim);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const offset = i * dim;
    let squares = 0;
    for (let d = 0; d < dim; d++) squares += features[offset + d] * features[offset + d];
    if (!(squares > 0) || !Number.isFinite(squares)) continue;
    const scale = 1 / Math.sqrt(squares);
    for (let d = 0; d < dim; d++) unit[offset + d] = features[offset + d] * scale;
    valid[i] = 1;
  }
  return { unit, valid };
}

function dot(x: Float32Array, a: number, b: number, length: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    k = 0;
  for (; k + 3 < length; k += 4) {
    s0 += x[a + k] * x[b + k];
    s1 += x[a + k + 1] * x[b + k + 1];
    s2 += x[a + k + 2] * x[b + k + 2];
    s3 += x[a + k + 3] * x[b + k + 3];
  }
  for (; k < length; k++) s0 += x[a + k] * x[b + k];
  return s0 + s1 + s2 + s3;
}

// ---- All pairs -------------------------------------------------------------------------------------------------

/** Rows per block: 32 rows of 2048 floats (256 KiB) stay in the L2 cache while a block of rows meets them. */
const BLOCK_ROWS = 32;
const BOUND_MIN_IMAGES = 1000;
const BOUND_MIN_DIM = 256;
/** Directions of the subspace: 64 of 2048 makes a bound cost about 3% of a full dot product. */
const BOUND_DIMENSIONS = 64;
const BOUND_SAMPLE_ROWS = 1024;
const BOUND_ITERATIONS = 3;
/** Float32 rows make a dot product wrong by about 1e-6; a pair is skipped only when its bound is below the
 *  threshold by more than this. */
const BOUND_SLACK = 1e-4;

interface SubspaceBound {
  /** n x m projections on the subspace. */
  projected: Float64Array;
  /** |u − Pu| of each row. */
  residual: Float64Array;
  m: number;
}

/** Where a pair found close enough goes: the union of its two images' groups (after the pHash check, when the
 *  input has perceptual hashes). */
interface Joiner {
  find(a: number): number;
  union(a: number, b: number): void;
}

function* compareAllPairs(
  unit: Float32Array,
  valid: Uint8Array,
  n: number,
  dim: number,
  threshold: number,
  components: Joiner,
  bound: SubspaceBound | null,
): Generator<DuplicateProgress> {
  const blocks = Math.ceil(n / BLOCK_ROWS);
  const total = (blocks * (blocks + 1)) / 2;
  let done = 0;
  const candidates = new Int32Array(BLOCK_ROWS);
  const cutoff = threshold - BOUND_SLACK;
  for (let bi = 0; bi < blocks; bi++) {
    const i0 = bi * BLOCK_ROWS;
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    for (let bj = bi; bj < blocks; bj++) {
      const j1 = Math.min(n, (bj + 1) * BLOCK_ROWS);
      for (let i = i0; i < i1; i++) {
        if (!valid[i]) continue;
        let count = 0;
        for (let j = bj === bi ? i + 1 : bj * BLOCK_ROWS; j < j1; j++) {
          if (!valid[j]) continue;
          if (bound) {
            const m = bound.m;
            if (dotF64(bound.projected, i * m, j * m, m) + bound.residual[i] * bound.residual[j] < cutoff) continue;
          }
          if (components.find(i) === components.find(j)) continue; // already one group (copies of one image)
          candidates[count++] = j;
        }
        unitePairs(unit, dim, i, candidates, count, threshold, components);
      }
    }
    done += blocks - bi;
    yield { done, total };
  }
}

/** Dots row i with the candidate rows four at a time (one load of row i feeds four sums: about twice the speed of
 *  one pair at a time in V8), uniting each pair at or above the threshold. */
function unitePairs(
  unit: Float32Array,
  dim: number,
  i: number,
  candidates: Int32Array,
  count: number,
  threshold: number,
  components: Joiner,
) {
  const a = i * dim;
  let c = 0;
  for (; c + 3 < count; c += 4) {
    const b0 = candidates[c] * dim,
      b1 = candidates[c + 1] * dim,
      b2 = candidates[c + 2] * dim,
      b3 = candidates[c + 3] * dim;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let k = 0; k < dim; k++) {
      const x = unit[a + k];
      s0 += x * unit[b0 + k];
      s1 += x * unit[b1 + k];
      s2 += x * unit[b2 + k];
      s3 += x * unit[b3 + k];
    }
    if (s0 >= threshold) components.union(i, candidates[c]);
    if (s1 >= threshold) components.union(i, candidates[c + 1]);
    if (s2 >= threshold) components.union(i, candidates[c + 2]);
    if (s3 >= threshold) components.union(i, candidates[c + 3]);
  }
  for (; c < count; c++) if (dot(unit, a, candidates[c] * dim, dim) >= threshold) components.union(i, candidates[c]);
}

function dotF64(x: Float64Array, a: number, b: number, length: number): number {
  let s0 = 0,
    s1 = 0,
    k = 0;
  for (; k + 1 < length; k += 2) {
    s0 += x[a + k] * x[b + k];
    s1 += x[a + k + 1] * x[b + k + 1];
  }
  if (k < length) s0 += x[a + k] * x[b + k];
  return s0 + s1;
}

/** The main subspace of a sample of rows (subspace iteration from Gaussian directions), and every row's projection
 *  on it and distance from it. Any orthonormal basis gives a valid bound; the main subspace gives a tight one,
 *  because image features share a few strong directions. */
function subspaceBound(unit: Float32Array, valid: Uint8Array, n: number, dim: number, random: Random): SubspaceBound {
  const m = Math.min(BOUND_DIMENSIONS, dim);
  const validRows: number[] = [];
  for (let i = 0; i < n; i++) if (valid[i]) validRows.push(i);
  const stride = Math.max(1, Math.floor(validRows.length / BOUND_SAMPLE_ROWS));
  const sample = validRows.filter((_, t) => t % stride === 0).slice(0, BOUND_SAMPLE_ROWS);

  const normal = gaussian(random);
  let basis = new Float64Array(m * dim); // m directions, each a row of dim values
  for (let t = 0; t < basis.length; t++) basis[t] = normal();
  orthonormaliseRows(basis, m, dim);
  const coefficients = new Float64Array(m);
  for (let iteration = 0; iteration < BOUND_ITERATIONS; iteration++) {
    const next = new Float64Array(m * dim); // next = basis · Sᵀ S
    for (const row of sample) {
      const offset = row * dim;
      for (let c = 0; c < m; c++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += basis[c * dim + d] * unit[offset + d];
        coefficients[c] = s;
      }
      for (let c = 0; c < m; c++) {
        const w = coefficients[c];
        for (let d = 0; d < dim; d++) next[c * dim + d] += w * unit[offset + d];
      }
    }
    orthonormaliseRows(next, m, dim);
    basis = next;
  }

  const projected = new Float64Array(n * m);
  const residual = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const offset = i * dim;
    let inside = 0;
    let squares = 0;
    for (let d = 0; d < dim; d++) squares += unit[offset + d] * unit[offset + d];
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += basis[c * dim + d] * unit[offset + d];
      projected[i * m + c] = s;
      inside += s * s;
    }
    residual[i] = Math.sqrt(Math.max(0, squares - inside));
  }
  return { projected, residual, m };
}

/** Modified Gram-Schmidt, twice (one pass loses orthogonality in floating point); a direction that vanishes is set
 *  to zero, which leaves the others orthonormal and the bound valid. */
function orthonormaliseRows(rows: Float64Array, count: number, dim: number) {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < count; c++) {
      const oc = c * dim;
      for (let p = 0; p < c; p++) {
        const op = p * dim;
        let s = 0;
        for (let d = 0; d < dim; d++) s += rows[oc + d] * rows[op + d];
        for (let d = 0; d < dim; d++) rows[oc + d] -= s * rows[op + d];
      }
      let squares = 0;
      for (let d = 0; d < dim; d++) squares += rows[oc + d] * rows[oc + d];
      const scale = squares > 1e-20 ? 1 / Math.sqrt(squares) : 0;
      for (let d = 0; d < dim; d++) rows[oc + d] *= scale;
    }
  }
}

// ---- LSH candidates --------------------------------------------------------------------------------------------

/** Pairs checked between two progress reports inside a table. */
const PAIRS_PER_REPORT = 1 << 20;
/** Standard deviations of the Hamming distance (at the threshold's angle) kept by the pre-check. */
const HAMMING_MARGIN_SD = 5;

function* compareLshCandidates(
  unit: Float32Array,
  valid: Uint8Array,
  n: number,
  dim: number,
  threshold: number,
  components: Joiner,
  settings: LshSettings,
  random: Random,
): Generator<DuplicateProgress> {
  const words = Math.max(1, Math.round(settings.sketchBits / 32));
  const bits = words * 32;
  const bitsPerTable = Math.max(1, Math.min(24, bits, Math.round(settings.bitsPerTable)));
  const tables = Math.max(1, Math.round(settings.tables));
  const bucketCap = Math.max(2, Math.round(settings.bucketCap));
  const total = n * (1 + tables);

  // Very sparse ±1 planes: about sqrt(dim) coordinates each (at least 32, or all of a small dim).
  const perPlane = Math.min(dim, Math.max(32, Math.round(Math.sqrt(dim))));
  const planeIndex = new Int32Array(bits * perPlane);
  const planeSign = new Float32Array(bits * perPlane);
  const shuffled = Int32Array.from({ length: dim }, (_, d) => d);
  for (let b = 0; b < bits; b++) {
    for (let t = 0; t < perPlane; t++) {
      const pick = t + Math.floor(random() * (dim - t));
      [shuffled[t], shuffled[pick]] = [shuffled[pick], shuffled[t]];
      planeIndex[b * perPlane + t] = shuffled[t];
      planeSign[b * perPlane + t] = random() < 0.5 ? -1 : 1;
    }
  }

  const sketch = new Uint32Array(n * words);
  for (let i = 0; i < n; i++) {
    if (valid[i]) {
      const offset = i * dim;
      for (let b = 0; b < bits; b++) {
        let s = 0;
        for (let t = b * perPlane, end = t + perPlane; t < end; t++) s += planeSign[t] * unit[offset + planeIndex[t]];
        if (s >= 0) sketch[i * words + (b >>> 5)] |= 1 << (b & 31);
      }
    }
    if ((i + 1) % 4096 === 0) yield { done: i + 1, total };
  }

  // Keep a pair for the exact check when its Hamming distance is within a few standard deviations of the one
  // expected at the threshold's angle (the sign of a random plane differs with probability angle / π).
  const angleShare = Math.acos(Math.max(-1, Math.min(1, threshold))) / Math.PI;
  const hammingCutoff = Math.ceil(bits * angleShare + HAMMING_MARGIN_SD * Math.sqrt(bits * angleShare * (1 - angleShare)) + 2);
  const check = (a: number, b: number) => {
    if (components.find(a) === components.find(b)) return;
    let differing = 0;
    for (let w = 0; w < words; w++) differing += popcount(sketch[a * words + w] ^ sketch[b * words + w]);
    if (differing <= hammingCutoff && dot(unit, a * dim, b * dim, dim) >= threshold) components.union(a, b);
  };
  const bySketch = (a: number, b: number) => {
    for (let w = 0; w < words; w++) {
      const x = sketch[a * words + w];
      const y = sketch[b * words + w];
      if (x !== y) return x - y;
    }
    return a - b;
  };

  const validRows: number[] = [];
  for (let i = 0; i < n; i++) if (valid[i]) validRows.push(i);
  const keyed = new Float64Array(validRows.length);
  const chosen = Int32Array.from({ length: bits }, (_, b) => b);
  for (let table = 0; table < tables; table++) {
    for (let t = 0; t < bitsPerTable; t++) {
      const pick = t + Math.floor(random() * (bits - t));
      [chosen[t], chosen[pick]] = [chosen[pick], chosen[t]];
    }
    validRows.forEach((i, r) => {
      let key = 0;
      for (let t = 0; t < bitsPerTable; t++) {
        const b = chosen[t];
        key = key * 2 + ((sketch[i * words + (b >>> 5)] >>> (b & 31)) & 1);
      }
      keyed[r] = key * n + i; // exact in a double: key < 2^24, i < n
    });
    keyed.sort();
    let pairsSinceReport = 0;
    for (let start = 0; start < keyed.length;) {
      const key = Math.floor(keyed[start] / n);
      let end = start + 1;
      while (end < keyed.length && Math.floor(keyed[end] / n) === key) end++;
      const members: number[] = [];
      for (let r = start; r < end; r++) members.push(keyed[r] - key * n);
      if (members.length <= bucketCap) {
        for (let x = 0; x < members.length; x++) for (let y = x + 1; y < members.length; y++) check(members[x], members[y]);
        pairsSinceReport += (members.length * (members.length - 1)) / 2;
      } else {
        // A crowded bucket (many look-alike images): neighbours in sketch order share the most bits.
        members.sort(bySketch);
        for (let x = 0; x < members.length; x++)
          for (let y = x + 1; y < Math.min(members.length, x + 1 + bucketCap); y++) check(members[x], members[y]);
        pairsSinceReport += members.length * bucketCap;
      }
      start = end;
      if (pairsSinceReport >= PAIRS_PER_REPORT) {
        pairsSinceReport = 0;
        yield { done: n * (1 + table) + Math.round((start / keyed.length) * n), total };
      }
    }
    yield { done: n * (2 + table), total };
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

// ---- Groups ----------------------------------------------------------------------------------------------------

function collectGroups(input: DuplicateInput, components: UnionFind): DuplicateGroup[] {
  const members = new Map<number, number[]>();
  for (let i = 0; i < input.imageIds.length; i++) {
    const root = components.find(i);
    const list = members.get(root);
    if (list) list.push(i);
    else members.set(root, [i]);
  }
  const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const groups: DuplicateGroup[] = [];
  for (const indices of members.values()) {
    if (indices.length < 2) continue;
    const hash = input.hashes[indices[0]];
    const oneHash = hash !== '' && indices.every((i) => input.hashes[i] === hash);
    const inSplit = (split: Split) => indices.some((i) => input.splits[i] === split);
    groups.push({
      ids: indices.map((i) => input.imageIds[i]).sort(byCodeUnits),
      kind: oneHash ? 'exact' : 'near',
      leak: inSplit('train') && (inSplit('validation') || inSplit('test')),
    });
  }
  return groups.sort((a, b) => b.ids.length - a.ids.length || byCodeUnits(a.ids[0], b.ids[0]));
}

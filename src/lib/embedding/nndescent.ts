// Approximate k nearest neighbours by NN-descent (Dong, Moses and Li 2011): start from neighbours along random
// projections (plus random ones) and repeatedly compare each point's neighbours with one another ("a neighbour of a neighbour is likely a
// neighbour"), with sampled candidate lists so each round costs O(n * candidates^2). Euclidean (squared) distance.
// Pure; randomness injected. Output rows are sorted by distance, the point itself excluded.
import type { Random } from '../random';

export interface NnDescentOptions {
  random: Random;
  iterations?: number;
  /** Candidates per point and round (new and old each). */
  maxCandidates?: number;
  /** Stop when a round improves fewer than delta * n * k entries. */
  delta?: number;
  /** Random projections used for the starting neighbours. */
  projections?: number;
}

export interface KnnGraph {
  n: number;
  k: number;
  indices: Int32Array;
  /** Squared Euclidean distances, same layout. */
  distances: Float32Array;
}

function dist2(data: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let d = 0; d < dim; d++) {
    const t = data[oa + d] - data[ob + d];
    s += t * t;
  }
  return s;
}

/**
 * Rows are first reordered along a random projection so that points likely to be neighbours sit near each other in
 * memory (for 100,000 x 50 floats, 20 MB, random row access misses the cache on almost every distance), the
 * search runs on the reordered copy, and indices are mapped back.
 */
export function nnDescent(data: Float32Array, n: number, dim: number, k: number, options: NnDescentOptions): KnnGraph {
  const random = options.random;
  const dir = new Float64Array(dim);
  for (let d = 0; d < dim; d++) dir[d] = random() - 0.5;
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] * dir[d];
    key[i] = s;
  }
  const perm = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => key[a] - key[b] || a - b);
  const local = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) local.set(data.subarray(perm[r] * dim, (perm[r] + 1) * dim), r * dim);
  const g = nnDescentInOrder(local, n, dim, k, options);
  const indices = new Int32Array(g.indices.length);
  const distances = new Float32Array(g.distances.length);
  for (let r = 0; r < n; r++) {
    const i = perm[r];
    for (let t = 0; t < g.k; t++) {
      const j = g.indices[r * g.k + t];
      indices[i * g.k + t] = j < 0 ? -1 : perm[j];
      distances[i * g.k + t] = g.distances[r * g.k + t];
    }
  }
  return { n, k: g.k, indices, distances };
}

function nnDescentInOrder(data: Float32Array, n: number, dim: number, k: number, options: NnDescentOptions): KnnGraph {
  const kk = Math.min(k, n - 1);
  const idx = new Int32Array(n * kk).fill(-1);
  const dst = new Float32Array(n * kk).fill(Infinity);
  const fresh = new Uint8Array(n * kk);
  const random = options.random;

  /** Max-heap insert into row r; returns 1 when the row changed. */
  const push = (r: number, j: number, d: number): number => {
    const o = r * kk;
    if (d >= dst[o] || j === r) return 0;
    for (let t = 0; t < kk; t++) if (idx[o + t] === j) return 0;
    // Replace the root, sift down.
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= kk) break;
      const rr = l + 1;
      const m = rr < kk && dst[o + rr] > dst[o + l] ? rr : l;
      if (dst[o + m] <= d) break;
      dst[o + c] = dst[o + m];
      idx[o + c] = idx[o + m];
      fresh[o + c] = fresh[o + m];
      c = m;
    }
    dst[o + c] = d;
    idx[o + c] = j;
    fresh[o + c] = 1;
    return 1;
  };

  // Start from neighbours along random projections (points next to each other when sorted by a random direction
  // are often close), topped up with random points: a local start that needs far fewer rounds than a random one.
  const projections = options.projections ?? 4;
  const window = Math.max(2, Math.ceil(kk / (2 * projections)));
  const byProjection = new Int32Array(n);
  const key = new Float64Array(n);
  for (let pr = 0; pr < projections; pr++) {
    const dir = new Float64Array(dim);
    for (let d = 0; d < dim; d++) dir[d] = random() - 0.5;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += data[i * dim + d] * dir[d];
      key[i] = s;
      byProjection[i] = i;
    }
    byProjection.sort((a, b) => key[a] - key[b]);
    for (let r = 0; r < n; r++) {
      const i = byProjection[r];
      for (let w = 1; w <= window && r + w < n; w++) {
        const j = byProjection[r + w];
        const d = dist2(data, dim, i, j);
        push(i, j, d);
        push(j, i, d);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < Math.ceil(kk / 4); t++) {
      const j = Math.floor(random() * n);
      push(i, j, dist2(data, dim, i, j));
    }
  }

  const maxC = options.maxCandidates ?? Math.min(kk, 20);
  const newC = new Int32Array(n * maxC);
  const oldC = new Int32Array(n * maxC);
  const newCount = new Int32Array(n);
  const oldCount = new Int32Array(n);
  const seenNew = new Int32Array(n);
  const addTo = (lists: Int32Array, counts: Int32Array, r: number, j: number) => {
    const o = r * maxC;
    for (let t = 0; t < Math.min(counts[r], maxC); t++) if (lists[o + t] === j) return;
    if (counts[r] < maxC) lists[o + counts[r]] = j;
    else {
      const slot = Math.floor(random() * (counts[r] + 1));
      if (slot < maxC) lists[o + slot] = j;
    }
    counts[r]++;
  };
  const iterations = options.iterations ?? 12;
  const delta = options.delta ?? 0.001;
  for (let it = 0; it < iterations; it++) {
    newCount.fill(0);
    oldCount.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * kk;
      for (let t = 0; t < kk; t++) {
        const j = idx[o + t];
        if (j < 0) continue;
        if (fresh[o + t]) {
          addTo(newC, newCount, i, j);
          addTo(newC, newCount, j, i);
        } else {
          addTo(oldC, oldCount, i, j);
          addTo(oldC, oldCount, j, i);
        }
      }
    }
    // Entries sampled into a new list are no longer new.
    seenNew.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * kk;
      const c = Math.min(newCount[i], maxC);
      for (let t = 0; t < kk; t++) {
        if (!fresh[o + t]) continue;
        for (let s = 0; s < c; s++) if (newC[i * maxC + s] === idx[o + t]) fresh[o + t] = 0;
      }
    }
    let changes = 0;
    for (let i = 0; i < n; i++) {
      const nc = Math.min(newCount[i], maxC);
      const oc = Math.min(oldCount[i], maxC);
      const no = i * maxC;
      for (let a = 0; a < nc; a++) {
        const p = newC[no + a];
        for (let b = a + 1; b < nc; b++) {
          const q = newC[no + b];
          const d = dist2(data, dim, p, q);
          changes += push(p, q, d) + push(q, p, d);
        }
        for (let b = 0; b < oc; b++) {
          const q = oldC[no + b];
          if (q === p) continue;
          const d = dist2(data, dim, p, q);
          changes += push(p, q, d) + push(q, p, d);
        }
      }
    }
    if (changes <= delta * n * kk) break;
  }

  // Sort each row by distance.
  const indices = new Int32Array(n * kk);
  const distances = new Float32Array(n * kk);
  const order = Array.from({ length: kk }, (_, t) => t);
  for (let i = 0; i < n; i++) {
    const o = i * kk;
    order.sort((a, b) => dst[o + a] - dst[o + b] || idx[o + a] - idx[o + b]);
    order.forEach((t, r) => {
      indices[o + r] = idx[o + t];
      distances[o + r] = dst[o + t];
    });
  }
  return { n, k: kk, indices, distances };
}

/** Exact k nearest neighbours by brute force (squared Euclidean): the reference for tests and small inputs. */
export function exactKnn(data: Float32Array, n: number, dim: number, k: number): KnnGraph {
  const kk = Math.min(k, n - 1);
  const indices = new Int32Array(n * kk);
  const distances = new Float32Array(n * kk);
  const all = new Float64Array(n);
  const order = Array.from({ length: n }, (_, t) => t);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) all[j] = j === i ? Infinity : dist2(data, dim, i, j);
    order.sort((a, b) => all[a] - all[b] || a - b);
    for (let r = 0; r < kk; r++) {
      indices[i * kk + r] = order[r];
      distances[i * kk + r] = all[order[r]];
    }
  }
  return { n, k: kk, indices, distances };
}

/** Share of each point's true k nearest neighbours found in `approx` (the first k of each row), averaged. */
export function neighbourRecall(exact: KnnGraph, approx: KnnGraph, k: number, rows?: ArrayLike<number>): number {
  const list = rows ?? Array.from({ length: exact.n }, (_, i) => i);
  let hits = 0;
  for (let r = 0; r < list.length; r++) {
    const i = list[r];
    const truth = new Set(exact.indices.subarray(i * exact.k, i * exact.k + k));
    for (let t = 0; t < k; t++) if (truth.has(approx.indices[i * approx.k + t])) hits++;
  }
  return hits / (list.length * k);
}

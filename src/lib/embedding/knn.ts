// k nearest neighbours: exact in 2-D (uniform grid, ring by ring) and exact brute force in any dimension for
// small sets; the similar sets of the 2017 system are the k nearest training images in the layout plane.
// Pure. Results are flat Int32Array (n x k, row-major), each row sorted by distance, the point itself excluded.

/** Max-heap of (distance, index) of fixed capacity, kept in two typed arrays. */
class NeighbourHeap {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
  size = 0;
  constructor(readonly capacity: number) {
    this.dist = new Float64Array(capacity);
    this.idx = new Int32Array(capacity);
  }
  reset() {
    this.size = 0;
  }
  worst() {
    return this.size < this.capacity ? Infinity : this.dist[0];
  }
  push(d: number, i: number) {
    if (this.size < this.capacity) {
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (this.dist[p] >= d) break;
        this.dist[c] = this.dist[p];
        this.idx[c] = this.idx[p];
        c = p;
      }
      this.dist[c] = d;
      this.idx[c] = i;
    } else if (d < this.dist[0]) {
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= this.size) break;
        const r = l + 1;
        const m = r < this.size && this.dist[r] > this.dist[l] ? r : l;
        if (this.dist[m] <= d) break;
        this.dist[c] = this.dist[m];
        this.idx[c] = this.idx[m];
        c = m;
      }
      this.dist[c] = d;
      this.idx[c] = i;
    }
  }
  /** Writes indices sorted by ascending distance (ties by index) into out at offset. */
  drainSorted(out: Int32Array, offset: number, outDist?: Float32Array) {
    const order = Array.from({ length: this.size }, (_, j) => j).sort((a, b) => this.dist[a] - this.dist[b] || this.idx[a] - this.idx[b]);
    order.forEach((j, r) => {
      out[offset + r] = this.idx[j];
      if (outDist) outDist[offset + r] = this.dist[j];
    });
    for (let r = order.length; r < this.capacity; r++) out[offset + r] = -1;
  }
}

/**
 * Exact k nearest neighbours in the plane for every point of `candidates` (indices into `xy`), among the same
 * candidates. Grid cells hold about two points; rings of cells are searched until none can hold a closer point.
 */
export function knn2d(xy: Float32Array, candidates: Int32Array, k: number): Int32Array {
  const n = candidates.length;
  const kk = Math.min(k, Math.max(n - 1, 0));
  const out = new Int32Array(n * kk);
  if (n === 0 || kk === 0) return out;
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const i of candidates) {
    minX = Math.min(minX, xy[2 * i]);
    maxX = Math.max(maxX, xy[2 * i]);
    minY = Math.min(minY, xy[2 * i + 1]);
    maxY = Math.max(maxY, xy[2 * i + 1]);
  }
  const side = Math.max(1, Math.ceil(Math.sqrt(n / 2)));
  const w = Math.max(maxX - minX, maxY - minY, 1e-12) / side;
  const cellOf = (v: number, lo: number) => Math.min(side - 1, Math.max(0, Math.floor((v - lo) / w)));
  const start = new Int32Array(side * side + 1);
  const cellIdx = new Int32Array(n);
  candidates.forEach((i, j) => {
    cellIdx[j] = cellOf(xy[2 * i + 1], minY) * side + cellOf(xy[2 * i], minX);
    start[cellIdx[j] + 1]++;
  });
  for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
  const fill = start.slice(0, side * side);
  const members = new Int32Array(n);
  for (let j = 0; j < n; j++) members[fill[cellIdx[j]]++] = j;
  const heap = new NeighbourHeap(kk);
  for (let j = 0; j < n; j++) {
    const i = candidates[j];
    const x = xy[2 * i],
      y = xy[2 * i + 1];
    const cx = cellOf(x, minX),
      cy = cellOf(y, minY);
    heap.reset();
    for (let ring = 0; ring < side; ring++) {
      // Every point outside rings 0..ring-1 is at least (ring - 1) * w away along some axis... precisely: at least
      // the distance from (x, y) to the border of the searched square.
      if (ring > 0) {
        const gap = Math.min(
          x - (minX + (cx - ring + 1) * w),
          minX + (cx + ring) * w - x,
          y - (minY + (cy - ring + 1) * w),
          minY + (cy + ring) * w - y,
        );
        if (heap.size === kk && gap > 0 && gap * gap > heap.worst()) break;
      }
      for (let gy = cy - ring; gy <= cy + ring; gy++) {
        if (gy < 0 || gy >= side) continue;
        const edgeRow = gy === cy - ring || gy === cy + ring;
        for (let gx = cx - ring; gx <= cx + ring; gx += edgeRow ? 1 : 2 * ring) {
          if (gx >= 0 && gx < side) {
            const cell = gy * side + gx;
            for (let m = start[cell]; m < start[cell + 1]; m++) {
              const other = members[m];
              if (other === j) continue;
              const o = candidates[other];
              const dx = xy[2 * o] - x,
                dy = xy[2 * o + 1] - y;
              heap.push(dx * dx + dy * dy, o);
            }
          }
          if (!edgeRow && ring === 0) break;
        }
      }
    }
    heap.drainSorted(out, j * kk);
  }
  return out;
}

/** Exact cosine k nearest neighbours (brute force, O(n^2 d)) among `candidates` rows of `data` (n x dim). */
export function knnCosineExact(data: Float32Array, dim: number, candidates: Int32Array, k: number): Int32Array {
  const n = candidates.length;
  const kk = Math.min(k, Math.max(n - 1, 0));
  const norms = new Float64Array(n);
  candidates.forEach((i, j) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] ** 2;
    norms[j] = Math.sqrt(s) || 1;
  });
  const out = new Int32Array(n * kk);
  const heap = new NeighbourHeap(kk);
  for (let a = 0; a < n; a++) {
    heap.reset();
    const ia = candidates[a] * dim;
    for (let b = 0; b < n; b++) {
      if (b === a) continue;
      const ib = candidates[b] * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += data[ia + d] * data[ib + d];
      heap.push(1 - dot / (norms[a] * norms[b]), candidates[b]);
    }
    heap.drainSorted(out, a * kk);
  }
  return out;
}

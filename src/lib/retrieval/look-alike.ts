// Search by look alone, for a collection whose labels cannot say which images are alike (none, fewer than 3
// labelled, one label on all): every image with features is a unit row, a query is ranked by cosine to all of them.
// Pure, no TensorFlow.js: a query is one pass over n x dim floats (2,048 x 1,000 images is about a millisecond; at
// 100,000 images, about 0.2 s on one core), which needs no GPU and no index to build.
import { topK } from './metrics';
import { normalizeRows } from '../vector';
import type { Found } from './label-index';

export class LookAlikeIndex {
  /** The first `size` rows of it: n x dim, each row of unit length (a zero row stays zero and scores 0). */
  private rows: Float32Array;
  private readonly ids: string[];
  private readonly rowOf: Map<string, number>;

  /** `features` is taken over and scaled in place (at 100,000 images a copy would be another 300 MB). */
  constructor(
    imageIds: readonly string[],
    features: Float32Array,
    readonly dim: number,
  ) {
    if (features.length !== imageIds.length * dim)
      throw new Error(`features hold ${features.length} floats, not ${imageIds.length} x ${dim}`);
    this.rows = normalizeRows(features, dim, features);
    this.ids = [...imageIds];
    this.rowOf = new Map(imageIds.map((id, i) => [id, i]));
  }

  get size(): number {
    return this.ids.length;
  }

  get imageIds(): readonly string[] {
    return this.ids;
  }

  /** Appends images (those already in it are skipped); the room grows by doubling, so adding features as a run
   *  computes them costs each row about two copies in all. */
  add(imageIds: readonly string[], features: Float32Array): void {
    if (features.length !== imageIds.length * this.dim)
      throw new Error(`features hold ${features.length} floats, not ${imageIds.length} x ${this.dim}`);
    const fresh = imageIds.flatMap((id, i) => (this.rowOf.has(id) ? [] : [i]));
    const need = (this.ids.length + fresh.length) * this.dim;
    if (need > this.rows.length) {
      const grown = new Float32Array(Math.max(need, 2 * this.rows.length));
      grown.set(this.rows.subarray(0, this.ids.length * this.dim));
      this.rows = grown;
    }
    for (const i of fresh) {
      const at = this.ids.length;
      const row = this.rows.subarray(at * this.dim, (at + 1) * this.dim);
      row.set(features.subarray(i * this.dim, (i + 1) * this.dim));
      normalizeRows(row, this.dim, row);
      this.rowOf.set(imageIds[i], at);
      this.ids.push(imageIds[i]);
    }
  }

  /** The stored row of an image of the collection (unit length), or null. */
  rowOfImage(imageId: string): Float32Array | null {
    const i = this.rowOf.get(imageId);
    return i === undefined ? null : this.rows.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** The k images nearest to a feature vector by cosine, best first; `exclude` (the query image itself) left out. */
  search(query: Float32Array, k: number, exclude?: string): Found[] {
    const q = normalizeRows(query, this.dim);
    const n = this.ids.length;
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * this.dim;
      for (let d = 0; d < this.dim; d++) s += q[d] * this.rows[o + d];
      scores[i] = s;
    }
    const skip = exclude === undefined ? -1 : (this.rowOf.get(exclude) ?? -1);
    if (skip >= 0) scores[skip] = -Infinity;
    const best = topK(scores, Math.min(k, n - (skip >= 0 ? 1 : 0)));
    return Array.from(best, (i) => ({ imageId: this.ids[i], score: scores[i], by: 'look' as const }));
  }
}

// Small operations on row-major tables of vectors (n x dim Float32Arrays), shared by the stages. Pure.

/** Scales each row of a vector table to unit length (zero rows stay zero), into `out` (a new array unless given;
 *  it may be `data` itself). */
export function normalizeRows<T extends Float32Array = Float32Array<ArrayBuffer>>(
  data: Float32Array,
  dim: number,
  out: T = new Float32Array(data.length) as T,
): T {
  for (let o = 0; o < data.length; o += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[o + d] * data[o + d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) out[o + d] = data[o + d] * inv;
  }
  return out;
}

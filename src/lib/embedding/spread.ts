// Images with identical label rows share one point of the label map (they are embedded once: run.ts). A class-
// folder collection has only as many distinct rows as classes, so its map would show one thumbnail per class with
// every image stacked under it. This spreads each group of identical rows on a sunflower disc (Vogel 1979, "A
// better way to construct the sunflower head": point k at radius c sqrt(k), angle k times the golden angle) around
// its point, so each image can be seen and clicked. Pure and deterministic.
// Invariant: a group's images stay around their own point (the largest disc has half the typical distance between
// neighbouring points as its radius), and single images do not move.
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));

/** The n x 2 map with identical rows spread: `unique` (u x 2) the points of the distinct rows, `groupOf[i]` the
 *  distinct row of image i. */
export function spreadIdentical(unique: Float32Array, groupOf: Int32Array): Float32Array {
  const u = unique.length / 2;
  const n = groupOf.length;
  const size = new Int32Array(u);
  for (let i = 0; i < n; i++) size[groupOf[i]]++;
  let largest = 0;
  for (let g = 0; g < u; g++) largest = Math.max(largest, size[g]);
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = unique[2 * groupOf[i]];
    out[2 * i + 1] = unique[2 * groupOf[i] + 1];
  }
  if (largest <= 1) return out;
  const gap = typicalGap(unique, u);
  // The same spacing in every group: the largest group's disc has radius gap / 2.
  const c = gap / 2 / Math.sqrt(largest);
  const seen = new Int32Array(u);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    if (size[g] === 1) continue;
    const k = seen[g]++;
    const r = c * Math.sqrt(k + 0.5);
    out[2 * i] += r * Math.cos(k * GOLDEN_ANGLE);
    out[2 * i + 1] += r * Math.sin(k * GOLDEN_ANGLE);
  }
  return out;
}

/** The median distance from a point to its nearest other point (over at most 500 points, evenly picked: at 100,000
 *  distinct rows that is 5 * 10^7 distances, about a tenth of a second); for one point, 1. */
function typicalGap(p: Float32Array, u: number): number {
  if (u < 2) {
    return 1;
  }
  const step = Math.max(1, Math.floor(u / 500));
  const gaps: number[] = [];
  for (let a = 0; a < u; a += step) {
    let best = Infinity;
    for (let b = 0; b < u; b++) {
      if (b === a) continue;
      const d = (p[2 * a] - p[2 * b]) ** 2 + (p[2 * a + 1] - p[2 * b + 1]) ** 2;
      if (d > 0 && d < best) best = d;
    }
    if (best < Infinity) gaps.push(Math.sqrt(best));
  }
  if (gaps.length === 0) return 1;
  gaps.sort((x, y) => x - y);
  return gaps[gaps.length >> 1];
}

// The map's geometry, pure: the view (data centre and pixels per data unit), fitting, zooming about a point, and
// which points fall in a box, a lasso polygon or the window. Layouts are interleaved x, y Float32Arrays; the
// screen's y axis points down, as the data's does (t-SNE and UMAP have no up).

export interface View {
  cx: number;
  cy: number;
  /** Pixels per data unit. */
  scale: number;
  width: number;
  height: number;
}

export function bounds(layout: Float32Array) {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (let i = 0; i < layout.length; i += 2) {
    const x = layout[i],
      y = layout[i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

/** Share of the points trimmed from each end of each axis to find the bulk's range. */
const BULK_TRIM = 0.01;
/** How far beyond the bulk's range, as a share of it, a point still belongs to the bulk. */
const BULK_REACH = 0.5;
/** At most this many points estimate the percentiles. */
const BULK_SAMPLE = 10_000;

/** The bounds of the bulk of the points: every point within half the 1st-to-99th percentile range of those
 *  percentiles, on both axes, so one far outlier does not shrink the map to a corner while the edge of an ordinary
 *  cluster stays in. `outside`: the points left out. (At fewer than 100 points nothing is left out.) */
export function bulkBounds(layout: Float32Array): ReturnType<typeof bounds> & { outside: number } {
  const n = layout.length / 2;
  if (n < 100) return { ...bounds(layout), outside: 0 };
  // The percentiles from at most BULK_SAMPLE points, evenly strided (a fit runs on every frame of a running layout).
  const step = Math.max(1, Math.floor(n / BULK_SAMPLE));
  const m = Math.ceil(n / step);
  const range = (axis: number) => {
    const v = Float32Array.from({ length: m }, (_, i) => layout[2 * i * step + axis]).sort();
    const lo = v[Math.floor(BULK_TRIM * (m - 1))];
    const hi = v[Math.ceil((1 - BULK_TRIM) * (m - 1))];
    const reach = BULK_REACH * (hi - lo);
    return [lo - reach, hi + reach];
  };
  const [x0, x1] = range(0);
  const [y0, y1] = range(1);
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity,
    outside = 0;
  for (let i = 0; i < layout.length; i += 2) {
    const x = layout[i],
      y = layout[i + 1];
    if (x < x0 || x > x1 || y < y0 || y > y1) {
      outside++;
      continue;
    }
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY, outside };
}

/** The view that shows the bulk of the points (`bulkBounds`), or with `all` every point, with a margin (`fill` of
 *  the shorter side). */
export function fitView(layout: Float32Array, width: number, height: number, fill = 0.92, all = false): View {
  if (layout.length < 2) return { cx: 0, cy: 0, scale: 1, width, height };
  return viewOf(all ? bounds(layout) : bulkBounds(layout), width, height, fill);
}

/** The view that shows bounds `b`, with a margin (`fill` of the shorter side). */
export function viewOf(b: ReturnType<typeof bounds>, width: number, height: number, fill = 0.92): View {
  const span = Math.max(b.maxX - b.minX, b.maxY - b.minY, 1e-9);
  return {
    cx: (b.minX + b.maxX) / 2,
    cy: (b.minY + b.maxY) / 2,
    scale: (fill * Math.max(1, Math.min(width, height))) / span,
    width,
    height,
  };
}

export const toScreen = (v: View, x: number, y: number): [number, number] => [
  (x - v.cx) * v.scale + v.width / 2,
  (y - v.cy) * v.scale + v.height / 2,
];
export const toData = (v: View, sx: number, sy: number): [number, number] => [
  (sx - v.width / 2) / v.scale + v.cx,
  (sy - v.height / 2) / v.scale + v.cy,
];

/** Zooms by `factor` keeping the data under screen point (sx, sy) where it is. */
export function zoomAt(v: View, factor: number, sx = v.width / 2, sy = v.height / 2): View {
  const [x, y] = toData(v, sx, sy);
  const scale = v.scale * factor;
  return { ...v, scale, cx: x - (sx - v.width / 2) / scale, cy: y - (sy - v.height / 2) / scale };
}

export const panBy = (v: View, dxPx: number, dyPx: number): View => ({ ...v, cx: v.cx - dxPx / v.scale, cy: v.cy - dyPx / v.scale });

/** Indices of the points inside the axis-aligned box between two data corners. */
export function pointsInBox(layout: Float32Array, x0: number, y0: number, x1: number, y1: number): Int32Array {
  const [lx, hx] = x0 < x1 ? [x0, x1] : [x1, x0];
  const [ly, hy] = y0 < y1 ? [y0, y1] : [y1, y0];
  const out: number[] = [];
  for (let i = 0; i < layout.length / 2; i++) {
    const x = layout[2 * i],
      y = layout[2 * i + 1];
    if (x >= lx && x <= hx && y >= ly && y <= hy) out.push(i);
  }
  return Int32Array.from(out);
}

/** Indices of the points inside a closed polygon (data coordinates, x, y pairs), by the even-odd rule, after a
 *  bounding-box test. A polygon of fewer than 3 vertices holds nothing. */
export function pointsInPolygon(layout: Float32Array, polygon: readonly number[]): Int32Array {
  const n = polygon.length >> 1;
  if (n < 3) return new Int32Array(0);
  let lx = Infinity,
    ly = Infinity,
    hx = -Infinity,
    hy = -Infinity;
  for (let j = 0; j < n; j++) {
    lx = Math.min(lx, polygon[2 * j]);
    hx = Math.max(hx, polygon[2 * j]);
    ly = Math.min(ly, polygon[2 * j + 1]);
    hy = Math.max(hy, polygon[2 * j + 1]);
  }
  const out: number[] = [];
  for (let i = 0; i < layout.length / 2; i++) {
    const x = layout[2 * i],
      y = layout[2 * i + 1];
    if (x < lx || x > hx || y < ly || y > hy) continue;
    let inside = false;
    for (let a = 0, b = n - 1; a < n; b = a++) {
      const ax = polygon[2 * a],
        ay = polygon[2 * a + 1],
        bx = polygon[2 * b],
        by = polygon[2 * b + 1];
      if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
    }
    if (inside) out.push(i);
  }
  return Int32Array.from(out);
}

/** Indices of the points on screen (with a margin in pixels), at most `limit` of them (null when there are more). */
export function pointsInView(layout: Float32Array, v: View, marginPx = 0, limit = Infinity): Int32Array | null {
  const [x0, y0] = toData(v, -marginPx, -marginPx);
  const [x1, y1] = toData(v, v.width + marginPx, v.height + marginPx);
  const out: number[] = [];
  for (let i = 0; i < layout.length / 2; i++) {
    const x = layout[2 * i],
      y = layout[2 * i + 1];
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) {
      if (out.length >= limit) return null;
      out.push(i);
    }
  }
  return Int32Array.from(out);
}

/** A uniform grid over the points for nearest-point lookups (hover, click) in constant time per query. */
export class PointGrid {
  private readonly cells = new Map<number, number[]>();
  constructor(
    private readonly layout: Float32Array,
    readonly cell: number,
  ) {
    for (let i = 0; i < layout.length / 2; i++) {
      const key = this.key(Math.floor(layout[2 * i] / cell), Math.floor(layout[2 * i + 1] / cell));
      const list = this.cells.get(key);
      if (list) list.push(i);
      else this.cells.set(key, [i]);
    }
  }
  private key(gx: number, gy: number) {
    return gx * 1_000_003 + gy;
  }
  /** The point nearest (x, y) within `radius` (data units, at most one cell), or -1. */
  nearest(x: number, y: number, radius: number): number {
    const gx = Math.floor(x / this.cell),
      gy = Math.floor(y / this.cell);
    let best = -1;
    let bestD = radius * radius;
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const i of this.cells.get(this.key(gx + dx, gy + dy)) ?? []) {
          const d = (this.layout[2 * i] - x) ** 2 + (this.layout[2 * i + 1] - y) ** 2;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}

/** A categorical palette (Tableau 10, then 10 more), as [r, g, b] bytes; colour 0 is the first label's. */
export const PALETTE: readonly (readonly [number, number, number])[] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

/** Per point, the palette index of the first of `chosen` (label ids) it carries (in their order), or -1 for none;
 *  a point's label ids are `ids[offsets[p]] .. ids[offsets[p + 1] - 1]`. */
export function categoryOf(offsets: Int32Array, ids: Int32Array, chosen: readonly number[]): Int8Array {
  const at = new Map(chosen.map((l, i) => [l, i]));
  const n = offsets.length - 1;
  const out = new Int8Array(n).fill(-1);
  for (let p = 0; p < n; p++) {
    let best = Infinity;
    for (let j = offsets[p]; j < offsets[p + 1]; j++) {
      const i = at.get(ids[j]);
      if (i !== undefined && i < best) best = i;
    }
    if (best !== Infinity) out[p] = best;
  }
  return out;
}

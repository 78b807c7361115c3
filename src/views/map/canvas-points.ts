// The map's points on a Canvas 2D, for machines whose WebGL is software (no GPU, or the GPU blocklisted): every
// point stamped into one ImageData per frame on the main thread, dimmed points first and selected ones last, as
// discs of the style's size; a frame that changes neither the view nor the points draws nothing. `npm run bench -- map` measured it here (SwiftShader): 100,000 points in about 7 ms a
// frame, where software WebGL2 takes about 280 ms; on a GPU, WebGL2 (gl-points.ts) is the one used.
import type { View } from '../../lib/map/geometry';

/** Offsets (dx, dy pairs) of a disc of diameter d pixels, and of its outer ring for selected points. */
function disc(d: number, ringOnly = false): Int16Array {
  const out: number[] = [];
  const r = d / 2;
  for (let y = 0; y < d; y++)
    for (let x = 0; x < d; x++) {
      const q = (x + 0.5 - r) ** 2 + (y + 0.5 - r) ** 2;
      if (q <= r * r && (!ringOnly || q > 0.45 * r * r)) out.push(Math.round(x - r), Math.round(y - r));
    }
  return Int16Array.from(out);
}

export class CanvasPoints {
  readonly kind = 'canvas2d';
  private readonly ctx: CanvasRenderingContext2D;
  private layout: Float32Array = new Float32Array(0);
  private colours = new Uint32Array(0);
  private style: Uint8Array = new Uint8Array(0);
  /** Point indices by style, drawn in that order (dimmed, normal, highlighted, selected). */
  private order: Int32Array[] = [];
  private stamps = new Map<number, Int16Array>();
  /** What the canvas shows (view, point size, canvas size), '' after new positions or colours: a frame that changes
   *  none of it (a new query's rings are on the overlay) keeps the canvas as it is. */
  private drawn = '';

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser cannot draw the map (no canvas).');
    this.ctx = ctx;
  }

  setPositions(layout: Float32Array) {
    this.layout = layout;
    this.drawn = '';
  }

  setColours(rgba: Uint8Array, style: Uint8Array) {
    this.drawn = '';
    this.colours = new Uint32Array(rgba.slice().buffer);
    this.style = style;
    const lists: number[][] = [[], [], [], []];
    style.forEach((s, i) => lists[Math.min(3, s)].push(i));
    this.order = lists.map((l) => Int32Array.from(l));
  }

  private stamp(d: number, ring = false) {
    const key = d * 2 + (ring ? 1 : 0);
    let s = this.stamps.get(key);
    if (!s) this.stamps.set(key, (s = disc(d, ring)));
    return s;
  }

  draw(view: View, pointPx: number, ratio: number) {
    const w = this.canvas.width,
      h = this.canvas.height;
    if (!w || !h) return;
    // Plain numbers: the view may be a reactive proxy, whose every read costs a lookup (100,000 points read it 600,000 times).
    const v = { cx: view.cx, cy: view.cy, scale: view.scale, width: view.width, height: view.height };
    const key = `${v.cx} ${v.cy} ${v.scale} ${v.width} ${v.height} ${pointPx} ${ratio} ${w} ${h}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const frame = this.ctx.createImageData(w, h);
    const pixels = new Uint32Array(frame.data.buffer);
    const n = this.layout.length / 2;
    if (this.style.length === n) {
      const sizes = [0.6, 1, 1.3, 1.5].map((f) => Math.max(1, Math.round(pointPx * f * ratio)));
      const ring = this.stamp(sizes[3], true);
      const DARK = 0xff271811; // rgb(17 24 39), little-endian ABGR
      for (let s = 0; s < 4; s++) {
        const offsets = this.stamp(sizes[s]);
        for (const i of this.order[s] ?? []) {
          const x0 = Math.round(((this.layout[2 * i] - v.cx) * v.scale + v.width / 2) * ratio);
          const y0 = Math.round(((this.layout[2 * i + 1] - v.cy) * v.scale + v.height / 2) * ratio);
          if (x0 < -sizes[s] || y0 < -sizes[s] || x0 > w + sizes[s] || y0 > h + sizes[s]) continue;
          const colour = this.colours[i];
          for (let k = 0; k < offsets.length; k += 2) {
            const x = x0 + offsets[k],
              y = y0 + offsets[k + 1];
            if (x >= 0 && x < w && y >= 0 && y < h) pixels[y * w + x] = colour;
          }
          if (s === 3)
            for (let k = 0; k < ring.length; k += 2) {
              const x = x0 + ring[k],
                y = y0 + ring[k + 1];
              if (x >= 0 && x < w && y >= 0 && y < h) pixels[y * w + x] = DARK;
            }
        }
      }
    }
    this.ctx.putImageData(frame, 0, 0);
  }

  paintedPixels(v: View, pointPx: number, ratio: number): number {
    this.drawn = '';
    this.draw(v, pointPx, ratio);
    const data = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
    let count = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
    return count;
  }

  dispose() {}
}

// The map's frame-time benchmark, in the browser (bench.mjs part "map"): the app's WebGL2 point renderer
// (src/views/map/gl-points.ts) against a Canvas 2D baseline that fills one ImageData per frame (how the map drew
// before the workspace), at 10,000 and 100,000 points, panning and zooming for a fixed number of frames each.
// Reported per case: the median and 95th-percentile interval between frames (what a person sees), and the median
// main-thread time the frame's drawing took. Points are Gaussian clusters, coloured from the app's palette.
import { GlPoints } from '../../src/views/map/gl-points';
import { fitView, panBy, PALETTE, zoomAt, type View } from '../../src/lib/map/geometry';

declare global {
  interface Window {
    __mapBench(points: number[], frames: number): Promise<MapBenchRow[]>;
  }
}

export interface MapBenchRow {
  renderer: string;
  points: number;
  gesture: string;
  frame_ms_median: number;
  frame_ms_p95: number;
  draw_ms_median: number;
}

function layoutOf(n: number): { layout: Float32Array; rgba: Uint8Array; style: Uint8Array } {
  let seed = 7;
  const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const layout = new Float32Array(2 * n);
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    const c = i % 40;
    layout[2 * i] = 30 * Math.cos(c) + 4 * gauss();
    layout[2 * i + 1] = 30 * Math.sin(c * 1.7) + 4 * gauss();
    const [r, g, b] = PALETTE[c % PALETTE.length];
    rgba.set([r, g, b, 255], 4 * i);
  }
  return { layout, rgba, style: new Uint8Array(n).fill(1) };
}

/** The former renderer: every point plotted into one ImageData per frame on the main thread. */
class Canvas2dPoints {
  private readonly ctx: CanvasRenderingContext2D;
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly layout: Float32Array,
    private readonly rgba: Uint8Array,
  ) {
    this.ctx = canvas.getContext('2d')!;
  }
  draw(v: View) {
    const w = this.canvas.width,
      h = this.canvas.height;
    const frame = this.ctx.createImageData(w, h);
    const pixels = new Uint32Array(frame.data.buffer);
    pixels.fill(0xffffffff);
    const colours = new Uint32Array(this.rgba.buffer);
    for (let i = 0; i < this.layout.length / 2; i++) {
      const x0 = Math.round((this.layout[2 * i] - v.cx) * v.scale + w / 2);
      const y0 = Math.round((this.layout[2 * i + 1] - v.cy) * v.scale + h / 2);
      for (let dy = 0; dy < 3; dy++) {
        const y = y0 + dy;
        if (y < 0 || y >= h) continue;
        for (let dx = 0; dx < 3; dx++) {
          const x = x0 + dx;
          if (x >= 0 && x < w) pixels[y * w + x] = colours[i];
        }
      }
    }
    this.ctx.putImageData(frame, 0, 0);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

async function run(draw: (v: View) => void, start: View, gesture: 'pan' | 'zoom', frames: number) {
  const intervals: number[] = [];
  const draws: number[] = [];
  let view = start;
  let last = 0;
  await new Promise<void>((done) => {
    let i = 0;
    const step = (now: number) => {
      if (last) intervals.push(now - last);
      last = now;
      view = gesture === 'pan' ? panBy(view, 3, 2) : zoomAt(view, i < frames / 2 ? 1.02 : 1 / 1.02, view.width / 3, view.height / 2);
      const t = performance.now();
      draw(view);
      draws.push(performance.now() - t);
      if (++i < frames) requestAnimationFrame(step);
      else done();
    };
    requestAnimationFrame(step);
  });
  return { frame_ms_median: median(intervals), frame_ms_p95: p95(intervals), draw_ms_median: median(draws) };
}

window.__mapBench = async (sizes, frames) => {
  const rows: MapBenchRow[] = [];
  const width = 1000,
    height = 700;
  for (const n of sizes) {
    const { layout, rgba, style } = layoutOf(n);
    const start = fitView(layout, width, height);
    for (const renderer of ['webgl2 (simage)', 'canvas 2d ImageData (before)']) {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      document.body.replaceChildren(canvas);
      let draw: (v: View) => void;
      if (renderer.startsWith('webgl2')) {
        const gl = new GlPoints(canvas);
        gl.setPositions(layout);
        gl.setColours(rgba, style);
        draw = (v) => gl.draw(v, 4, 1);
      } else {
        const c2d = new Canvas2dPoints(canvas, layout, rgba);
        draw = (v) => c2d.draw(v);
      }
      await run(draw, start, 'pan', 10); // warm-up
      for (const gesture of ['pan', 'zoom'] as const)
        rows.push({ renderer, points: n, gesture, ...(await run(draw, start, gesture, frames)) });
    }
  }
  return rows;
};

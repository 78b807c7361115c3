// The map's frame-time benchmark, in the browser (bench.mjs part "map"): the app's two point renderers, WebGL2
// (src/views/map/gl-points.ts) and Canvas 2D (canvas-points.ts, one ImageData per frame), at 10,000 and 100,000
// points, panning and zooming for a fixed number of frames each, and which one the app picks on this machine.
// Reported per case: the median and 95th-percentile interval between frames (what a person sees), and the median
// main-thread time the frame's drawing took. Points are Gaussian clusters, coloured from the app's palette.
import { createPointRenderer } from '../../src/views/map/points';
import { fitView, panBy, PALETTE, zoomAt, type View } from '../../src/lib/map/geometry';

declare global {
  interface Window {
    __mapBench(points: number[], frames: number): Promise<{ picked: string; rows: MapBenchRow[] }>;
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
    for (const renderer of ['webgl2', 'canvas2d'] as const) {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      document.body.replaceChildren(canvas);
      const points = createPointRenderer(canvas, renderer);
      points.setPositions(layout);
      points.setColours(rgba, style);
      const draw = (v: View) => points.draw(v, 4, 1);
      await run(draw, start, 'pan', 10); // warm-up
      for (const gesture of ['pan', 'zoom'] as const)
        rows.push({ renderer, points: n, gesture, ...(await run(draw, start, gesture, frames)) });
    }
  }
  return { picked: createPointRenderer(document.createElement('canvas')).kind, rows };
};

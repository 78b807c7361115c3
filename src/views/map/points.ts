// The map's point renderer: what the map needs of one, and the choice between WebGL2 on a GPU (gl-points.ts) and
// Canvas 2D (canvas-points.ts). The two renderers know nothing of this file (they satisfy the interface by shape),
// so the modules form a tree.
import type { View } from '../../lib/map/geometry';
import { CanvasPoints } from './canvas-points';
import { GL_OPTIONS, GlPoints } from './gl-points';

/** What the map needs of a point renderer (WebGL2 in gl-points.ts, or Canvas 2D in canvas-points.ts). */
export interface PointRenderer {
  readonly kind: 'webgl2' | 'canvas2d';
  setPositions(layout: Float32Array): void;
  /** RGBA bytes per point, and a style byte per point (0 dimmed, 1 normal, 2 highlighted, 3 selected). */
  setColours(rgba: Uint8Array, style: Uint8Array): void;
  /** Draws every point for a view; `pointPx` in CSS pixels; `ratio` is devicePixelRatio. */
  draw(view: View, pointPx: number, ratio: number): void;
  /** Draws a frame and counts its painted pixels (for tests). */
  paintedPixels(view: View, pointPx: number, ratio: number): number;
  dispose(): void;
}

let probed: boolean | null = null;
/** Whether this browser's WebGL2 runs on a GPU: probed once on a throwaway canvas (a canvas that gave out a WebGL
 *  context cannot give a 2D one), by `failIfMajorPerformanceCaveat` and by the renderer's name (SwiftShader,
 *  llvmpipe and other software rasterizers pass the caveat check when Chromium is told to allow them). */
export function hardwareWebGl(): boolean {
  if (probed !== null) return probed;
  const gl = document.createElement('canvas').getContext('webgl2', { failIfMajorPerformanceCaveat: true });
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  const name = gl ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : '';
  probed = !!gl && !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  return probed;
}

/** WebGL2 on a GPU; Canvas 2D where WebGL is software (SwiftShader and the like: measured about 20 times slower
 *  than Canvas 2D at 100,000 points, docs/BENCHMARKS.md) or missing. `prefer` forces one (bench, tests). */
export function createPointRenderer(canvas: HTMLCanvasElement, prefer?: 'webgl2' | 'canvas2d'): PointRenderer {
  if (prefer === 'webgl2' || (prefer === undefined && hardwareWebGl())) {
    const gl = canvas.getContext('webgl2', GL_OPTIONS) as WebGL2RenderingContext | null;
    if (gl) return new GlPoints(canvas, gl);
  }
  return new CanvasPoints(canvas);
}

// The map's points in WebGL2: one draw call for every point, positions and colours in two buffers that change only
// when the layout or the colouring does, the view (pan and zoom) as uniforms, so a frame at 100,000 points costs the
// GPU one small pass and the main thread almost nothing. Round points, an outline for selected ones, and a depth per
// point so highlighted points stay on top of dimmed ones. Our own rather than regl-scatterplot: regl compiles its
// commands with `Function`, which the page's Content Security Policy (no 'unsafe-eval') forbids.
import type { View } from '../../lib/map/geometry';

/** The WebGL2 context the points draw in (created by points.ts). */
export const GL_OPTIONS: WebGLContextAttributes = { antialias: true, depth: true, premultipliedAlpha: true, preserveDrawingBuffer: false };

const VERTEX = `#version 300 es
in vec2 position;
in vec4 colour;
in float style;
uniform vec2 centre;
uniform float scale;
uniform vec2 viewport;
uniform float pointPx;
out vec4 vColour;
out float vRing;
void main() {
  vec2 screen = (position - centre) * scale;
  gl_Position = vec4(screen.x * 2.0 / viewport.x, -screen.y * 2.0 / viewport.y, 0.5 - style * 0.2, 1.0);
  // style: 0 dimmed, 1 normal, 2 highlighted, 3 selected (ringed).
  gl_PointSize = style < 0.5 ? pointPx * 0.6 : style > 2.5 ? pointPx * 1.5 : style > 1.5 ? pointPx * 1.3 : pointPx;
  vColour = colour;
  vRing = style > 2.5 ? 1.0 : 0.0;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 vColour;
in float vRing;
out vec4 outColour;
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  float r = dot(p, p);
  if (r > 1.0) discard;
  outColour = vRing > 0.5 && r > 0.45 ? vec4(0.07, 0.09, 0.15, 1.0) : vColour;
}`;

function compile(gl: WebGL2RenderingContext, type: number, source: string) {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`map shader: ${gl.getShaderInfoLog(shader)}`);
  return shader;
}

export class GlPoints {
  readonly kind = 'webgl2';
  private readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly buffers: { position: WebGLBuffer; colour: WebGLBuffer; style: WebGLBuffer };
  private readonly uniforms: Record<'centre' | 'scale' | 'viewport' | 'pointPx', WebGLUniformLocation | null>;
  private count = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    gl: WebGL2RenderingContext,
  ) {
    this.gl = gl;
    const program = gl.createProgram()!;
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.bindAttribLocation(program, 0, 'position');
    gl.bindAttribLocation(program, 1, 'colour');
    gl.bindAttribLocation(program, 2, 'style');
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`map shaders: ${gl.getProgramInfoLog(program)}`);
    this.program = program;
    this.buffers = { position: gl.createBuffer()!, colour: gl.createBuffer()!, style: gl.createBuffer()! };
    this.uniforms = {
      centre: gl.getUniformLocation(program, 'centre'),
      scale: gl.getUniformLocation(program, 'scale'),
      viewport: gl.getUniformLocation(program, 'viewport'),
      pointPx: gl.getUniformLocation(program, 'pointPx'),
    };
    const vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    const attrib = (index: number, buffer: WebGLBuffer, size: number, type: number, normalized: boolean) => {
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.enableVertexAttribArray(index);
      gl.vertexAttribPointer(index, size, type, normalized, 0, 0);
    };
    attrib(0, this.buffers.position, 2, gl.FLOAT, false);
    attrib(1, this.buffers.colour, 4, gl.UNSIGNED_BYTE, true);
    attrib(2, this.buffers.style, 1, gl.UNSIGNED_BYTE, false);
  }

  /** The points' positions (x, y pairs), whenever the layout changes. */
  setPositions(layout: Float32Array) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.position);
    gl.bufferData(gl.ARRAY_BUFFER, layout, gl.DYNAMIC_DRAW);
    this.count = layout.length / 2;
  }

  /** RGBA bytes per point, and a style byte per point (0 dimmed, 1 normal, 2 highlighted, 3 selected). */
  setColours(rgba: Uint8Array, style: Uint8Array) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.colour);
    gl.bufferData(gl.ARRAY_BUFFER, rgba, gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.style);
    gl.bufferData(gl.ARRAY_BUFFER, style, gl.DYNAMIC_DRAW);
  }

  /** Draws every point for a view; `pointPx` in CSS pixels; `ratio` is devicePixelRatio. */
  draw(view: View, pointPx: number, ratio: number) {
    const gl = this.gl;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clearDepth(1);
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LEQUAL);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    if (!this.count) return;
    gl.useProgram(this.program);
    gl.uniform2f(this.uniforms.centre, view.cx, view.cy);
    gl.uniform1f(this.uniforms.scale, view.scale);
    gl.uniform2f(this.uniforms.viewport, view.width, view.height);
    gl.uniform1f(this.uniforms.pointPx, pointPx * ratio);
    gl.drawArrays(gl.POINTS, 0, this.count);
  }

  /** Draws a frame and counts its painted pixels (for tests: the frame is read back in the task that drew it). */
  paintedPixels(view: View, pointPx: number, ratio: number): number {
    this.draw(view, pointPx, ratio);
    const gl = this.gl;
    const pixels = new Uint8Array(this.canvas.width * this.canvas.height * 4);
    gl.readPixels(0, 0, this.canvas.width, this.canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    let n = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) n++;
    return n;
  }

  /** Frees the GPU's copies (the canvas is going away). */
  dispose() {
    const gl = this.gl;
    for (const b of Object.values(this.buffers)) gl.deleteBuffer(b);
    gl.deleteProgram(this.program);
  }
}

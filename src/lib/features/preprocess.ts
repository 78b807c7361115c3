// Turns decoded pixels into Inception v3 input. Pure.
// The image is stretched to 299 x 299 (what the 2017 script's Keras `load_img(target_size=(299, 299))` did),
// composited over white (transparent PNG pixels would otherwise read as black), and scaled to [0, 1] per channel,
// which is the input range the nsfwjs Inception v3 weights were fine-tuned with (its own loader divides by 255).

/** Writes px*px*3 floats (RGB, row-major, NHWC) of `rgba` into `out` at `offset`. Alpha is composited over white. */
export function rgbaToInput(rgba: Uint8ClampedArray | Uint8Array, px: number, out: Float32Array, offset: number): void {
  const n = px * px;
  if (rgba.length !== n * 4) throw new Error(`expected ${n * 4} RGBA bytes, got ${rgba.length}`);
  if (out.length < offset + n * 3) throw new Error('output buffer too small');
  for (let i = 0, o = offset; i < n; i++, o += 3) {
    const a = rgba[i * 4 + 3] / 255;
    const white = 1 - a;
    out[o] = (rgba[i * 4] / 255) * a + white;
    out[o + 1] = (rgba[i * 4 + 1] / 255) * a + white;
    out[o + 2] = (rgba[i * 4 + 2] / 255) * a + white;
  }
}

/** Fits (w, h) into a square box of `box` pixels, keeping the aspect ratio; never returns 0. */
export function fitInside(w: number, h: number, box: number): { width: number; height: number } {
  const scale = Math.min(1, box / Math.max(w, h));
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

// Decoded pixels to the feature model's square input, where no browser does it (Node: `npm run query`, the model
// library). Pure. The page decodes with createImageBitmap and Chromium's 'high' resize; this is the same rule
// (EXIF orientation applied, stretched to px x px, alpha composited over white by rgbaToInput) with bilinear
// sampling at pixel centres in premultiplied alpha. Measured against Chromium on real photos (docs/MODEL-FILE.md):
// identical (at most 1 level of 255) when no side shrinks by 2 or more; 1.7-3.7 levels RMS at 640 -> 299, where
// Chromium blends in a smaller mip level.

export interface Rgba {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** The image as seen after its EXIF orientation (1-8) is applied: flips and quarter turns. */
export function orient(image: Rgba, orientation: number): Rgba {
  if (!(orientation >= 2 && orientation <= 8)) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8ClampedArray(ow * oh * 4);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // (x, y) in the output, (sx, sy) in the stored image.
      let sx: number, sy: number;
      switch (orientation) {
        case 2: [sx, sy] = [w - 1 - x, y]; break; // prettier-ignore
        case 3: [sx, sy] = [w - 1 - x, h - 1 - y]; break; // prettier-ignore
        case 4: [sx, sy] = [x, h - 1 - y]; break; // prettier-ignore
        case 5: [sx, sy] = [y, x]; break; // prettier-ignore
        case 6: [sx, sy] = [y, h - 1 - x]; break; // prettier-ignore
        case 7: [sx, sy] = [w - 1 - y, h - 1 - x]; break; // prettier-ignore
        default: [sx, sy] = [w - 1 - y, x]; // prettier-ignore
      }
      const s = (sy * w + sx) * 4,
        o = (y * ow + x) * 4;
      out[o] = data[s];
      out[o + 1] = data[s + 1];
      out[o + 2] = data[s + 2];
      out[o + 3] = data[s + 3];
    }
  }
  return { data: out, width: ow, height: oh };
}

/** Bilinear resize to dw x dh at pixel centres (edges clamped), in premultiplied alpha, rounded back to RGBA bytes. */
export function resizeBilinear(image: Rgba, dw: number, dh: number): Uint8ClampedArray {
  const { width: w, height: h, data } = image;
  if (w < 1 || h < 1 || data.length !== w * h * 4) throw new Error(`expected ${w * h * 4} RGBA bytes, got ${data.length}`);
  const pre = new Float32Array(w * h * 4);
  for (let i = 0; i < w * h * 4; i += 4) {
    const a = data[i + 3] / 255;
    pre[i] = data[i] * a;
    pre[i + 1] = data[i + 1] * a;
    pre[i + 2] = data[i + 2] * a;
    pre[i + 3] = data[i + 3];
  }
  const taps = (n: number, m: number) => {
    const lo = new Int32Array(m),
      hi = new Int32Array(m),
      t = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      const f = Math.min(n - 1, Math.max(0, ((o + 0.5) * n) / m - 0.5));
      lo[o] = Math.floor(f);
      hi[o] = Math.min(n - 1, lo[o] + 1);
      t[o] = f - lo[o];
    }
    return { lo, hi, t };
  };
  const X = taps(w, dw),
    Y = taps(h, dh);
  const out = new Uint8ClampedArray(dw * dh * 4);
  const px = new Float32Array(4);
  for (let y = 0; y < dh; y++) {
    const r0 = Y.lo[y] * w,
      r1 = Y.hi[y] * w,
      ty = Y.t[y];
    for (let x = 0; x < dw; x++) {
      const c0 = X.lo[x],
        c1 = X.hi[x],
        tx = X.t[x];
      for (let c = 0; c < 4; c++) {
        const top = pre[(r0 + c0) * 4 + c] * (1 - tx) + pre[(r0 + c1) * 4 + c] * tx;
        const bottom = pre[(r1 + c0) * 4 + c] * (1 - tx) + pre[(r1 + c1) * 4 + c] * tx;
        px[c] = top * (1 - ty) + bottom * ty;
      }
      const o = (y * dw + x) * 4;
      const a = px[3];
      out[o + 3] = Math.round(a);
      for (let c = 0; c < 3; c++) out[o + c] = a > 0 ? Math.round((px[c] * 255) / a) : 0;
    }
  }
  return out;
}

/** Area-average resize (each output pixel the mean of the input area it covers), in premultiplied alpha: a
 *  downscale without aliasing, for the perceptual hash (src/lib/duplicates/phash.ts) of a decoded image. */
export function resizeArea(image: Rgba, dw: number, dh: number): Uint8ClampedArray {
  const { width: w, height: h, data } = image;
  const out = new Uint8ClampedArray(dw * dh * 4);
  const acc = new Float64Array(4);
  for (let Y = 0; Y < dh; Y++) {
    const y0 = (Y * h) / dh,
      y1 = ((Y + 1) * h) / dh;
    for (let X = 0; X < dw; X++) {
      const x0 = (X * w) / dw,
        x1 = ((X + 1) * w) / dw;
      acc.fill(0);
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const k = (Math.min(x + 1, x1) - Math.max(x, x0)) * wy;
          const o = (y * w + x) * 4;
          const a = data[o + 3] / 255;
          acc[0] += data[o] * a * k;
          acc[1] += data[o + 1] * a * k;
          acc[2] += data[o + 2] * a * k;
          acc[3] += data[o + 3] * k;
          area += k;
        }
      }
      const o = (Y * dw + X) * 4;
      const alpha = acc[3] / area;
      out[o + 3] = Math.round(alpha);
      for (let c = 0; c < 3; c++) out[o + c] = alpha > 0 ? Math.round((acc[c] / area) * (255 / alpha)) : 0;
    }
  }
  return out;
}

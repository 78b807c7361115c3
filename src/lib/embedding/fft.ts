// In-place iterative radix-2 complex FFT (Cooley-Tukey), 1-D and 2-D, on separate real and imaginary
// Float64Arrays. Pure. Used by the FFT-interpolated t-SNE repulsion (Linderman et al. 2019).

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array; rev: Uint32Array }>();

function plan(n: number) {
  let p = twiddleCache.get(n);
  if (p) return p;
  if (n & (n - 1)) throw new Error(`FFT size ${n} is not a power of two`);
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = -Math.sin((2 * Math.PI * i) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  p = { cos, sin, rev };
  twiddleCache.set(n, p);
  return p;
}

/** FFT of n values at re[offset + k * stride], im[...]; inverse = conjugate transform, unscaled. */
export function fft1d(re: Float64Array, im: Float64Array, n: number, offset = 0, stride = 1, inverse = false): void {
  const { cos, sin, rev } = plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      let t = re[a]; re[a] = re[b]; re[b] = t;
      t = im[a]; im[a] = im[b]; im[b] = t;
    }
  }
  const sign = inverse ? -1 : 1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = offset + (start + k) * stride;
        const b = a + half * stride;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

const columnScratch = new Map<number, { re: Float64Array; im: Float64Array }>();

/**
 * 2-D FFT of an m x m row-major grid: rows, then columns (each column copied to a contiguous buffer, which is far
 * kinder to the cache than a strided transform). Only rows < `rowsIn` are transformed in the first pass (the rest
 * must be zero: the zero padding of a convolution), and only columns are needed for all rows.
 */
export function fft2d(re: Float64Array, im: Float64Array, m: number, inverse = false, rowsIn = m, rowsOut = m): void {
  if (!inverse) {
    for (let r = 0; r < rowsIn; r++) fft1d(re, im, m, r * m, 1, false);
    columns(re, im, m, false);
  } else {
    columns(re, im, m, true);
    for (let r = 0; r < rowsOut; r++) fft1d(re, im, m, r * m, 1, true);
  }
}

function columns(re: Float64Array, im: Float64Array, m: number, inverse: boolean) {
  let scratch = columnScratch.get(m);
  if (!scratch) columnScratch.set(m, (scratch = { re: new Float64Array(m), im: new Float64Array(m) }));
  const { re: cr, im: ci } = scratch;
  for (let c = 0; c < m; c++) {
    for (let r = 0, o = c; r < m; r++, o += m) {
      cr[r] = re[o];
      ci[r] = im[o];
    }
    fft1d(cr, ci, m, 0, 1, inverse);
    for (let r = 0, o = c; r < m; r++, o += m) {
      re[o] = cr[r];
      im[o] = ci[r];
    }
  }
}

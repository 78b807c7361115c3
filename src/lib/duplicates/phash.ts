// A perceptual hash (pHash: Zauner 2010, "Implementation and benchmarking of perceptual image hash functions"):
// an image's 64 x 64 luminance, its 2-D DCT-II, the 16 x 16 lowest frequencies, one bit each for "above the median
// of those 256". Resizing and re-compression move high frequencies, not these, so a re-encoded copy lands a few
// bits away, while two different photos differ in about half. The common 32 x 32 / 8 x 8 form (64 bits) is too
// coarse for pictures that share a layout: two different emoji faces had identical 64-bit hashes, and re-encoded
// photos were up to 6 bits away; with 256 bits those faces were at least 16 apart, re-encoded copies at most 24,
// distinct photos at least 86 (docs/BENCHMARKS.md, "Near duplicates"). Pure: the worker draws the stored thumbnail
// at 64 x 64 and hands the pixels here.
export const PHASH_SIDE = 64;
const LOW = 16;
/** 32-bit words per hash. */
export const PHASH_WORDS = (LOW * LOW) / 32;

/** cos((2x + 1) u pi / 64) for u < 8, x < 32: the DCT-II basis the hash needs. */
const BASIS = (() => {
  const b = new Float64Array(LOW * PHASH_SIDE);
  for (let u = 0; u < LOW; u++)
    for (let x = 0; x < PHASH_SIDE; x++) b[u * PHASH_SIDE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * PHASH_SIDE));
  return b;
})();

/** Luminance (Rec. 601) of PHASH_SIDE x PHASH_SIDE RGBA pixels, over white where they are transparent (as the
 *  feature model sees them: a transparent image and its copy flattened on white hash alike). */
export function luminance(rgba: ArrayLike<number>): Float64Array {
  const n = PHASH_SIDE * PHASH_SIDE;
  if (rgba.length !== 4 * n) throw new Error(`pHash needs ${PHASH_SIDE} x ${PHASH_SIDE} RGBA pixels, not ${rgba.length / 4}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    out[i] = a * (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) + (1 - a) * 255;
  }
  return out;
}

/** The 256-bit pHash of a 64 x 64 luminance image, as PHASH_WORDS 32-bit words (bit k of the 16 x 16 block in
 *  row-major order is bit k % 32 of word k / 32). */
export function perceptualHash(gray: Float64Array): number[] {
  // Rows first (64 x 16), then columns (16 x 16): the separable DCT of the low block only.
  const rows = new Float64Array(PHASH_SIDE * LOW);
  for (let y = 0; y < PHASH_SIDE; y++)
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let x = 0; x < PHASH_SIDE; x++) s += gray[y * PHASH_SIDE + x] * BASIS[u * PHASH_SIDE + x];
      rows[y * LOW + u] = s;
    }
  const block = new Float64Array(LOW * LOW);
  for (let v = 0; v < LOW; v++)
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let y = 0; y < PHASH_SIDE; y++) s += rows[y * LOW + u] * BASIS[v * PHASH_SIDE + y];
      block[v * LOW + u] = s;
    }
  // The median of the coefficients beside the mean (DC), which would only say how bright the image is.
  const median = [...block.subarray(1)].sort((a, b) => a - b)[(LOW * LOW - 2) >> 1];
  const words = new Array<number>(PHASH_WORDS).fill(0);
  for (let k = 1; k < LOW * LOW; k++) if (block[k] > median) words[k >> 5] |= 1 << (k & 31);
  return words.map((w) => w >>> 0);
}

/** Bits that differ between the hashes of images i and j (PHASH_WORDS words each in `hashes`). */
export function hammingDistance(hashes: Uint32Array, i: number, j: number): number {
  let d = 0;
  for (let w = 0; w < PHASH_WORDS; w++) d += popcount(hashes[PHASH_WORDS * i + w] ^ hashes[PHASH_WORDS * j + w]);
  return d;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Cells per side of an image's colour print. The pHash sees luminance alone, and its bits say only which
 *  frequencies are above their median: pictures with one layout in different colours hash alike (the emoji demo's
 *  flags of Bolivia, Sierra Leone and Yemen, three horizontal bands with a bright middle, were grouped as copies).
 *  A copy keeps its colours; the print is the mean colour of each of COLOUR_CELLS x COLOUR_CELLS cells. */
export const COLOUR_CELLS = 4;
/** Bytes per colour print: R, G, B of each cell. */
export const COLOUR_BYTES = COLOUR_CELLS * COLOUR_CELLS * 3;

/** The colour print of PHASH_SIDE x PHASH_SIDE RGBA pixels (transparent ones over white, as for the hash). */
export function colourPrint(rgba: ArrayLike<number>): Uint8Array {
  if (rgba.length !== 4 * PHASH_SIDE * PHASH_SIDE) throw new Error(`a colour print needs ${PHASH_SIDE} x ${PHASH_SIDE} RGBA pixels`);
  const cell = PHASH_SIDE / COLOUR_CELLS;
  const sums = new Float64Array(COLOUR_BYTES);
  for (let y = 0; y < PHASH_SIDE; y++)
    for (let x = 0; x < PHASH_SIDE; x++) {
      const p = 4 * (y * PHASH_SIDE + x);
      const a = rgba[p + 3] / 255;
      const c = 3 * (Math.floor(y / cell) * COLOUR_CELLS + Math.floor(x / cell));
      for (let k = 0; k < 3; k++) sums[c + k] += a * rgba[p + k] + (1 - a) * 255;
    }
  return Uint8Array.from(sums, (s) => Math.round(s / (cell * cell)));
}

/** The root mean square difference (0-255 levels) of the colour prints of images i and j (COLOUR_BYTES each). */
export function colourDistance(prints: Uint8Array, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < COLOUR_BYTES; k++) {
    const d = prints[COLOUR_BYTES * i + k] - prints[COLOUR_BYTES * j + k];
    s += d * d;
  }
  return Math.sqrt(s / COLOUR_BYTES);
}

// @ts-check
// The app's icons (for the web app manifest), drawn here as PNGs so no binary is kept in git: a blue rounded
// square holding a 3 x 3 grid of image tiles, the query and its nearest neighbour marked in amber. A small PNG
// encoder over node:zlib (deflate) with its own CRC-32.
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
/** @param {Uint8Array} bytes */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type @param {Uint8Array} data */
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** RGBA pixels (size x size) as a PNG file. @param {Uint8Array} rgba @param {number} size */
export function encodePng(rgba, size) {
  const raw = new Uint8Array(size * (4 * size + 1));
  for (let y = 0; y < size; y++) raw.set(rgba.subarray(y * 4 * size, (y + 1) * 4 * size), y * (4 * size + 1) + 1);
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, size);
  hv.setUint32(4, size);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const parts = [
    Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Inside a rounded rectangle? (coordinates in units of the icon's side) */
const inRounded = (/** @type {number} */ x, /** @type {number} */ y, /** @type {number[]} */ [x0, y0, x1, y1], /** @type {number} */ r) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};

/** The icon at `size` pixels, 4 x 4 supersampled. `maskable` leaves the safe-zone margin (a full square).
 *  @param {number} size @param {boolean} [maskable] */
export function drawIcon(size, maskable = false) {
  const rgba = new Uint8Array(size * size * 4);
  const blue = [29, 78, 216],
    white = [255, 255, 255],
    amber = [253, 211, 77];
  const tiles = [];
  const inset = maskable ? 0.2 : 0.16;
  const cell = (1 - 2 * inset) / 3;
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) {
      const x0 = inset + c * cell + cell * 0.08,
        y0 = inset + r * cell + cell * 0.08;
      tiles.push({
        box: [x0, y0, x0 + cell * 0.84, y0 + cell * 0.84],
        colour: (r === 1 && c === 1) || (r === 0 && c === 2) ? amber : white,
      });
    }
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const x = (px + (sx + 0.5) / 4) / size,
            y = (py + (sy + 0.5) / 4) / size;
          if (!maskable && !inRounded(x, y, [0, 0, 1, 1], 0.2)) continue;
          const tile = tiles.find((t) => inRounded(x, y, t.box, cell * 0.14));
          const colour = tile ? tile.colour : blue;
          for (let i = 0; i < 3; i++) sum[i] += colour[i];
          sum[3] += 255;
        }
      const o = 4 * (py * size + px);
      const n = sum[3] / 255;
      for (let i = 0; i < 3; i++) rgba[o + i] = n ? Math.round(sum[i] / n) : 0;
      rgba[o + 3] = Math.round(sum[3] / 16);
    }
  return rgba;
}

/** Writes icon-192.png, icon-512.png and icon-maskable-512.png into `dir`. @param {string} dir */
export function writeIcons(dir) {
  mkdirSync(dir, { recursive: true });
  for (const [name, size, maskable] of /** @type {[string, number, boolean][]} */ ([
    ['icon-192.png', 192, false],
    ['icon-512.png', 512, false],
    ['icon-maskable-512.png', 512, true],
  ]))
    writeFileSync(join(dir, name), encodePng(drawIcon(size, maskable), size));
}

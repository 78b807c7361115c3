// `npx tsx bench/phash-sizes.ts`: why the perceptual hash is 256 bits (64 x 64 -> 16 x 16) and not the common 64
// (32 x 32 -> 8 x 8): the Hamming distances of both, on thumbnails made as the ingest makes them (longest side 96 px,
// WebP 0.8), for 10 re-encoded copies of photos (resized to 50-86%, JPEG or WebP at quality 0.5-0.82), for every pair
// of 40 different emoji faces (pictures that share a layout), and for every pair of 150 different photos of
// ../shared/photos-dev. Prints copies as 64-bit/256-bit distances, then the minimum and low percentiles of the others.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../scripts/browser.mjs';

const emojiDir = join(import.meta.dirname, '..', 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');
const faces = readdirSync(emojiDir)
  .filter((f) => /^1f6[0-3][0-9a-f]\.png$/.test(f))
  .slice(0, 40);
const photosDir = join(import.meta.dirname, '..', '..', 'shared', 'photos-dev', 'images');
const photos = readdirSync(photosDir)
  .sort()
  .filter((_, i) => i % 15 === 0)
  .slice(0, 150);
const { context } = await launch({ serviceWorkers: 'block' });
const page = context.pages()[0] ?? (await context.newPage());
async function grays(b64: string, variant: null | { scale: number; type: string; q: number }) {
  return page.evaluate(
    async ([data, v]) => {
      let blob = new Blob([Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0))]);
      let bm = await createImageBitmap(blob);
      if (v) {
        const c = new OffscreenCanvas(Math.round(bm.width * v.scale), Math.round(bm.height * v.scale));
        c.getContext('2d')!.drawImage(bm, 0, 0, c.width, c.height);
        blob = await c.convertToBlob({ type: v.type, quality: v.q });
        bm = await createImageBitmap(blob);
      }
      // thumbnail: max side 96, webp 0.8
      const s = Math.min(1, 96 / Math.max(bm.width, bm.height));
      const t = new OffscreenCanvas(Math.max(1, Math.round(bm.width * s)), Math.max(1, Math.round(bm.height * s)));
      const tc = t.getContext('2d')!;
      tc.drawImage(bm, 0, 0, t.width, t.height);
      const tb = await createImageBitmap(await t.convertToBlob({ type: 'image/webp', quality: 0.8 }));
      const out: number[][] = [];
      for (const side of [32, 64]) {
        const c = new OffscreenCanvas(side, side);
        const ctx = c.getContext('2d', { willReadFrequently: true })!;
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(tb, 0, 0, side, side);
        const d = ctx.getImageData(0, 0, side, side).data;
        const g: number[] = [];
        for (let i = 0; i < side * side; i++) g.push(0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2]);
        out.push(g);
      }
      return out;
    },
    [b64, variant] as const,
  );
}
function hash(g: number[], side: number, low: number): Uint8Array {
  const basis = (u: number, x: number) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * side));
  const rows = new Float64Array(side * low);
  for (let y = 0; y < side; y++)
    for (let u = 0; u < low; u++) {
      let s = 0;
      for (let x = 0; x < side; x++) s += g[y * side + x] * basis(u, x);
      rows[y * low + u] = s;
    }
  const block = new Float64Array(low * low);
  for (let v = 0; v < low; v++)
    for (let u = 0; u < low; u++) {
      let s = 0;
      for (let y = 0; y < side; y++) s += rows[y * low + u] * basis(v, y);
      block[v * low + u] = s;
    }
  const med = [...block.subarray(1)].sort((a, b) => a - b)[Math.floor((low * low - 1) / 2)];
  return Uint8Array.from(block, (b, k) => (k > 0 && b > med ? 1 : 0));
}
const dist = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + (v !== b[i] ? 1 : 0), 0);
const hashesOf = async (b64: string, v: null | { scale: number; type: string; q: number }) => {
  const [g32, g64] = await grays(b64, v);
  return { h8: hash(g32, 32, 8), h16: hash(g64, 64, 16) };
};
// copies
const copyD: string[] = [];
for (let i = 0; i < 10; i++) {
  const b64 = readFileSync(join(photosDir, photos[i * 13])).toString('base64');
  const v = { scale: 0.5 + 0.04 * i, type: i % 3 === 0 ? 'image/webp' : 'image/jpeg', q: 0.5 + 0.035 * i };
  const [a, b] = [await hashesOf(b64, null), await hashesOf(b64, v)];
  copyD.push(`${dist(a.h8, b.h8)}/${dist(a.h16, b.h16)}`);
}
console.log('copies (8x8 bits of 64 / 16x16 bits of 256):', copyD.join(' '));
const faceH = [];
for (const f of faces) faceH.push(await hashesOf(readFileSync(join(emojiDir, f)).toString('base64'), null));
const fd8: number[] = [],
  fd16: number[] = [];
for (let i = 0; i < faceH.length; i++)
  for (let j = i + 1; j < faceH.length; j++) {
    fd8.push(dist(faceH[i].h8, faceH[j].h8));
    fd16.push(dist(faceH[i].h16, faceH[j].h16));
  }
const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))];
console.log(
  `emoji faces (${faces.length}) pairs: 8x8 min ${q(fd8, 0)} p1 ${q(fd8, 0.01)} p5 ${q(fd8, 0.05)} median ${q(fd8, 0.5)}; 16x16 min ${q(fd16, 0)} p1 ${q(fd16, 0.01)} p5 ${q(fd16, 0.05)} median ${q(fd16, 0.5)}`,
);
const ph = [];
for (const f of photos) ph.push(await hashesOf(readFileSync(join(photosDir, f)).toString('base64'), null));
const pd8: number[] = [],
  pd16: number[] = [];
for (let i = 0; i < ph.length; i++)
  for (let j = i + 1; j < ph.length; j++) {
    pd8.push(dist(ph[i].h8, ph[j].h8));
    pd16.push(dist(ph[i].h16, ph[j].h16));
  }
console.log(
  `photos (${photos.length}) pairs: 8x8 min ${q(pd8, 0)} p1 ${q(pd8, 0.01)} median ${q(pd8, 0.5)}; 16x16 min ${q(pd16, 0)} p1 ${q(pd16, 0.01)} median ${q(pd16, 0.5)}`,
);
await context.close();

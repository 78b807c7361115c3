// `npx tsx bench/duplicates.ts [PHOTOS_DIR] [N]`: calibrates the near-duplicate threshold on real photos. It makes
// an unlabelled camera roll of N photos (default 1,000 of ../shared/photos-dev) with 20 planted copies: 10 exact
// (the same bytes under another name) and 10 re-encoded by the browser (resized to 50-90% and saved as JPEG at
// quality 0.5-0.85, or as WebP), runs the real app on it headless (`--format none`), and for a range of cosine
// thresholds counts the planted copies found in a group with their original (recall), the groups holding no
// planted pair (false groups, printed for a look: a photo set can hold real near-copies), and the leaks. It also
// queries each re-encoded copy as a dropped image and counts how often its original comes first.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../scripts/browser.mjs';
import { parseArgs, runPipeline } from '../scripts/pipeline';

const photos = process.argv[2] ?? join(import.meta.dirname, '..', '..', 'shared', 'photos-dev', 'images');
const n = Number(process.argv[3] ?? 1000);
const out = '/tmp/simage-dupbench';
/** (feature cosine, pHash bits of 256) pairs tried; 256 bits: features alone. */
const GRID: [number, number][] = [
  ...[0.9, 0.95, 0.97, 0.98, 0.99].map((c): [number, number] => [c, 256]),
  ...[0.85, 0.9].flatMap((c) => [16, 20, 24, 28, 32, 40, 48].map((h): [number, number] => [c, h])),
];

const all = readdirSync(photos)
  .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
  .sort();
const step = Math.max(1, Math.floor(all.length / n));
const chosen = all.filter((_, i) => i % step === 0).slice(0, n);
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'roll'), { recursive: true });
for (const f of chosen) copyFileSync(join(photos, f), join(out, 'roll', f));

// Planted copies: originals spread over the roll.
const planted: { copy: string; original: string; how: string }[] = [];
const pick = (i: number) => chosen[Math.floor(((i + 0.5) * chosen.length) / 20)];
for (let i = 0; i < 10; i++) {
  const original = pick(i);
  const copy = `IMG_copy_${i}${original.slice(original.lastIndexOf('.'))}`;
  copyFileSync(join(photos, original), join(out, 'roll', copy));
  planted.push({ copy, original, how: 'exact' });
}
const { context } = await launch({ serviceWorkers: 'block' });
const page = context.pages()[0] ?? (await context.newPage());
for (let i = 10; i < 20; i++) {
  const original = pick(i);
  const scale = 0.5 + 0.04 * (i - 10);
  const type = i % 3 === 0 ? 'image/webp' : 'image/jpeg';
  const quality = 0.5 + 0.035 * (i - 10);
  const b64 = await page.evaluate(
    async ([data, scale, type, quality]) => {
      const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0))]));
      const canvas = new OffscreenCanvas(Math.round(bitmap.width * (scale as number)), Math.round(bitmap.height * (scale as number)));
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: type as string, quality: quality as number })).arrayBuffer());
      let s = '';
      for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
      return btoa(s);
    },
    [readFileSync(join(photos, original)).toString('base64'), scale, type, quality] as const,
  );
  const copy = `IMG_copy_${i}.${type === 'image/webp' ? 'webp' : 'jpg'}`;
  writeFileSync(join(out, 'roll', copy), Buffer.from(b64, 'base64'));
  planted.push({ copy, original, how: `${Math.round(scale * 100)}% ${type.slice(6)} q${quality.toFixed(2)}` });
}
await context.close();

const stem = (f: string) => f.replace(/\.[^.]+$/, '');
const sweep: {
  threshold: number;
  hamming: number;
  found: number;
  exactFound: number;
  reFound: number;
  falseGroups: string[][];
  groups: number;
}[] = [];
let queries: { copy: string; first: string | null; rankOfOriginal: number }[] = [];
const started = Date.now();
// A kept profile: a second run finds every feature stored (the roll's bytes are the same each time).
const profile = process.env.SIMAGE_BENCH_PROFILE ?? '/tmp/simage-dupbench-profile';
const report = await runPipeline(
  parseArgs([join(out, 'roll'), '--format', 'none', '--backend', 'wasm', '--timeout-s', '7200', '--profile', profile]),
  {
    inspect: async (p) => {
      for (const [threshold, hamming] of GRID) {
        const r = await p.evaluate(([t, h]) => window.__simage.duplicatesAt(t, h), [threshold, hamming] as const);
        const groups = r?.groups ?? [];
        const together = (a: string, b: string) => groups.some((g) => g.ids.includes(a) && g.ids.includes(b));
        const hits = planted.map((x) => together(stem(x.copy), stem(x.original)));
        const plantedIds = new Set(planted.flatMap((x) => [stem(x.copy), stem(x.original)]));
        sweep.push({
          threshold,
          hamming,
          found: hits.filter(Boolean).length,
          exactFound: hits.slice(0, 10).filter(Boolean).length,
          reFound: hits.slice(10).filter(Boolean).length,
          falseGroups: groups.filter((g) => !g.ids.some((id) => plantedIds.has(id))).map((g) => g.ids),
          groups: groups.length,
        });
      }
      queries = [];
      for (const x of planted.slice(10)) {
        const r = await p.evaluate(([name, b64]) => window.__simage.searchFileBytes(name, b64), [
          x.copy,
          readFileSync(join(out, 'roll', x.copy)).toString('base64'),
        ] as const);
        const ids = (r?.results ?? []).map((f) => f.imageId);
        queries.push({ copy: x.copy, first: ids[0] ?? null, rankOfOriginal: ids.indexOf(stem(x.original)) + 1 });
      }
    },
  },
);
console.log(
  `camera roll: ${chosen.length} photos + ${planted.length} planted copies; run ${((Date.now() - started) / 1000).toFixed(0)} s; format ${report.shard.format}; search by ${report.search?.by}`,
);
for (const p of planted) console.log(`  planted ${p.copy} <- ${p.original} (${p.how})`);
console.log('cosine  pHash bits  found/20  exact/10  re-encoded/10  groups  false groups (no planted pair)');
for (const s of sweep)
  console.log(
    `${s.threshold.toFixed(3).padStart(6)}  ${String(s.hamming).padStart(10)}  ${String(s.found).padStart(8)}  ${String(s.exactFound).padStart(8)}  ${String(s.reFound).padStart(13)}  ${String(s.groups).padStart(6)}  ${s.falseGroups.length} ${JSON.stringify(s.falseGroups.slice(0, 4))}`,
  );
// The copy is itself in the roll: it must come first, and its original right after it.
console.log(
  're-encoded copies queried as dropped images: the copy first in',
  queries.filter((q) => q.first === stem(q.copy)).length,
  'of',
  queries.length,
  '; its original second in',
  queries.filter((q) => q.rankOfOriginal === 2).length,
);

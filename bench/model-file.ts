// The model file against the page, on a collection with photos (docs/MODEL-FILE.md, "What was measured"):
//   node --import tsx bench/model-file.ts COLLECTION IMAGES_DIR [--prefix val_] [--copies 20] [--profile DIR]
// Makes re-encoded copies (JPEG quality 80 at 75% size) of the first N images of IMAGES_DIR that are validation
// images in COLLECTION/split.csv (the net never trained on them), or, without a split.csv, whose names start with
// the prefix; has the page answer them
// (npm run pipeline -- --query, --held-out) and export the model with its base network, then answers the same copies
// with npm run query in a separate Node process, and prints: original first (page, file), top-10 overlap, labels,
// and the file's time per query (first and warm).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import encode, { init as initEncoder } from '@jsquash/jpeg/encode.js';
import { decodeImage } from '../src/lib/model/node';
import { resizeBilinear } from '../src/lib/features/resize';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { prefix: { type: 'string', default: 'val_' }, copies: { type: 'string', default: '20' }, profile: { type: 'string' } },
});
const [collection, imagesDir] = positionals;
if (!collection || !imagesDir)
  throw new Error('usage: node --import tsx bench/model-file.ts COLLECTION IMAGES_DIR [--prefix val_] [--copies 20]');
const tmp = mkdtempSync(join(tmpdir(), 'simage-model-bench-'));
const copies = join(tmp, 'copies');
mkdirSync(copies);
await initEncoder(await WebAssembly.compile(readFileSync(fileURLToPath(import.meta.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')))));
const splitCsv = join(collection, 'split.csv');
const validation = existsSync(splitCsv)
  ? new Set(
      readFileSync(splitCsv, 'utf8')
        .split(/\r?\n/)
        .filter((l) => /,validation$/.test(l))
        .map((l) => l.split(',')[0]),
    )
  : null;
const names = readdirSync(imagesDir)
  .filter((f) => (validation ? validation.has(f.replace(/\.[^.]+$/, '')) : f.startsWith(values.prefix!)))
  .sort()
  .slice(0, Number(values.copies));
const originalOf = new Map<string, string>();
for (const name of names) {
  const image = await decodeImage(new Uint8Array(readFileSync(join(imagesDir, name))));
  if (!image) continue;
  const width = Math.round(image.width * 0.75),
    height = Math.round(image.height * 0.75);
  const jpeg = await encode({ data: resizeBilinear(image, width, height), width, height, colorSpace: 'srgb' } as ImageData, {
    quality: 80,
  });
  const file = join(copies, `copy-${name.replace(/\.[^.]+$/, '')}.jpg`);
  writeFileSync(file, new Uint8Array(jpeg));
  originalOf.set(file, name.replace(/\.[^.]+$/, ''));
}
const files = [...originalOf.keys()];
const model = join(tmp, 'model.simage-model.zip');
const root = join(fileURLToPath(import.meta.url), '..', '..');
const run = (script: string, args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', script), ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
const page = JSON.parse(
  run('pipeline.ts', [
    collection,
    '--export-model',
    model,
    '--with-extractor',
    '--held-out',
    ...(values.profile ? ['--profile', values.profile] : []),
    ...files.flatMap((f) => ['--query', f]),
  ]),
);
const t0 = Date.now();
const node = JSON.parse(run('query.ts', [model, ...files, '--json', '--held-out']));
const wallS = (Date.now() - t0) / 1000;
type Q = { file: string; neighbours: { id: string }[]; labels: unknown[]; ms?: number };
const pageBy = new Map<string, Q>(page.queries.map((q: Q) => [q.file, q]));
let pageFirst = 0,
  nodeFirst = 0,
  labelled = 0;
const overlaps: number[] = [];
for (const q of node.queries as Q[]) {
  const p = pageBy.get(q.file)!;
  const original = originalOf.get(q.file);
  pageFirst += Number(p.neighbours[0]?.id === original);
  nodeFirst += Number(q.neighbours[0]?.id === original);
  labelled += Number(q.labels.length > 0);
  const top = new Set(p.neighbours.slice(0, 10).map((n) => n.id));
  overlaps.push(q.neighbours.slice(0, 10).filter((n) => top.has(n.id)).length / Math.max(1, Math.min(10, top.size)));
}
const ms = (node.queries as Q[]).map((q) => q.ms ?? 0);
const warm = ms.slice(1).sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      copies: files.length,
      original_first: { page: pageFirst, file: nodeFirst },
      top10_overlap: { mean: overlaps.reduce((a, b) => a + b, 0) / overlaps.length, min: Math.min(...overlaps) },
      labels_predicted: labelled,
      file_ms: { first: ms[0], warm_median: warm[Math.floor(warm.length / 2)], warm_max: warm.at(-1) },
      query_cli_wall_s: wallS,
      model_file_mb: readFileSync(model).length / 1e6,
    },
    null,
    1,
  ),
);

// `npx tsx bench/formats.ts [SHARD]`: the load rate of each collection format on the same photos. The shard (default
// ../shared/photos-coco256) is repackaged as each format (bench/repackage.ts), then loaded by the real app headless
// with a fresh profile each (so every run decodes and thumbnails every image), stopping after MobileNetV2 features.
// Prints the format found, images, labelled, the splits, what was not used, and load images per second.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { repackage } from './repackage';
import { parseArgs, runPipeline } from '../scripts/pipeline';

const shard = process.argv[2] ?? join(import.meta.dirname, '..', '..', 'shared', 'photos-coco256');
const FORMATS = ['folders', 'coco', 'yolo', 'hf', 'csv', 'none'];
console.log('format   found    images  labelled  train/val/test  not used  load s  images/s');
for (const format of FORMATS) {
  const dir = join(mkdtempSync(join(tmpdir(), `simage-${format}-`)), format);
  repackage(shard, dir, format);
  const report = await runPipeline(parseArgs([dir, '--backend', 'wasm', '--model', 'mobilenet-v2', '--features-only']), {
    onProgress: () => {},
  });
  const s = report.shard;
  const load = report.timings_s.load;
  const notUsed = s.not_used.reduce((n, r) => n + r.count, 0);
  console.log(
    `${format.padEnd(8)} ${s.format.padEnd(8)} ${String(s.images).padStart(6)}  ${String(s.labelled).padStart(8)}  ${`${s.train}/${s.validation}/${s.test}`.padStart(14)}  ${String(notUsed).padStart(8)}  ${load.toFixed(2).padStart(6)}  ${(s.images / load).toFixed(1).padStart(8)}`,
  );
}

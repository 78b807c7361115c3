// Repackages an Open Images shard (images, labels.csv, classes.csv, split.csv) as each collection format writes
// it, to measure the loader on real photos packaged the way people keep them: `npx tsx bench/repackage.ts SHARD
// OUT FORMAT` writes OUT as `folders` (split/class/, the image's strongest label), `coco` (annotations/instances_
// <split>.json beside <split>/, whole-image boxes), `yolo` (Roboflow layout: data.yaml with ../train/images), `hf`
// (split folders with metadata.jsonl), `csv` (one image_name,tags CSV, tags joined by |), `none` (images only).
// The images are linked, not copied. Display names come from classes.csv.
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';

type Split = 'train' | 'validation' | 'test';
const FOLDER: Record<Split, string> = { train: 'train', validation: 'val', test: 'test' };

export function readShard(dir: string) {
  const rows = (name: string) => Papa.parse<string[]>(readFileSync(join(dir, name), 'utf8'), { skipEmptyLines: true }).data;
  const classes = new Map(rows('classes.csv').map(([k, v]) => [k, v]));
  const labels = new Map<string, { name: string; confidence: number }[]>();
  for (const [id, , label, conf] of rows('labels.csv').slice(1)) {
    if (!(Number(conf) > 0)) continue;
    labels.set(id, [...(labels.get(id) ?? []), { name: classes.get(label) ?? label, confidence: Number(conf) }]);
  }
  const splits = new Map(
    rows('split.csv')
      .slice(1)
      .map(([id, s]) => [id, s as Split]),
  );
  const images = readdirSync(join(dir, 'images'))
    .sort()
    .map((file) => {
      const id = file.replace(/\.[^.]+$/, '');
      return { id, file, split: splits.get(id) ?? 'train', labels: (labels.get(id) ?? []).sort((a, b) => b.confidence - a.confidence) };
    });
  return { images, dir };
}

export function repackage(shardDir: string, out: string, format: string) {
  const { images } = readShard(shardDir);
  rmSync(out, { recursive: true, force: true });
  const put = (path: string, text: string) => {
    mkdirSync(join(out, path, '..'), { recursive: true });
    writeFileSync(join(out, path), text);
  };
  const link = (file: string, to: string) => {
    mkdirSync(join(out, to, '..'), { recursive: true });
    linkSync(join(shardDir, 'images', file), join(out, to));
  };
  const names = [...new Set(images.flatMap((im) => im.labels.map((l) => l.name)))].sort();
  const bySplit = (s: Split) => images.filter((im) => im.split === s);
  const splits = (['train', 'validation', 'test'] as Split[]).filter((s) => bySplit(s).length);
  if (format === 'folders') {
    for (const im of images) link(im.file, `${FOLDER[im.split]}/${im.labels[0]?.name ?? 'unlabelled'}/${im.file}`);
  } else if (format === 'coco') {
    for (const s of splits) {
      const list = bySplit(s);
      let ann = 0;
      const coco = {
        info: { description: 'repackaged for measurement' },
        images: list.map((im, i) => ({ id: i + 1, file_name: im.file, width: 100, height: 100 })),
        categories: names.map((n, i) => ({ id: i + 1, name: n, supercategory: '' })),
        annotations: list.flatMap((im, i) =>
          im.labels.map((l) => ({
            id: ++ann,
            image_id: i + 1,
            category_id: names.indexOf(l.name) + 1,
            bbox: [0, 0, 100, 100],
            area: 1e4,
            iscrowd: 0,
          })),
        ),
      };
      put(`annotations/instances_${FOLDER[s]}2017.json`, JSON.stringify(coco));
      for (const im of list) link(im.file, `${FOLDER[s]}2017/${im.file}`);
    }
  } else if (format === 'yolo') {
    const rf: Record<Split, string> = { train: 'train', validation: 'valid', test: 'test' };
    put(
      'data.yaml',
      [
        `train: ../train/images`,
        `val: ../valid/images`,
        `test: ../test/images`,
        `nc: ${names.length}`,
        `names: ${JSON.stringify(names)}`,
      ].join('\n') + '\n',
    );
    for (const im of images) {
      link(im.file, `${rf[im.split]}/images/${im.file}`);
      put(
        `${rf[im.split]}/labels/${im.id}.txt`,
        im.labels.map((l) => `${names.indexOf(l.name)} 0.5 0.5 1 1`).join('\n') + (im.labels.length ? '\n' : ''),
      );
    }
    put('README.roboflow.txt', 'Exported for measurement.\n');
  } else if (format === 'hf') {
    const hf: Record<Split, string> = { train: 'train', validation: 'validation', test: 'test' };
    for (const s of splits) {
      put(
        `${hf[s]}/metadata.jsonl`,
        bySplit(s)
          .map((im) => JSON.stringify({ file_name: im.file, labels: im.labels.map((l) => l.name) }))
          .join('\n') + '\n',
      );
      for (const im of bySplit(s)) link(im.file, `${hf[s]}/${im.file}`);
    }
  } else if (format === 'csv') {
    put(
      'train_labels.csv',
      Papa.unparse({ fields: ['image_name', 'tags'], data: images.map((im) => [im.id, im.labels.map((l) => l.name).join('|')]) }) + '\n',
    );
    for (const im of images) link(im.file, `images/${im.file}`);
  } else if (format === 'none') {
    for (const im of images) link(im.file, `photos/${im.file}`);
  } else throw new Error(`unknown format ${format}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [shard, out, format] = process.argv.slice(2);
  if (!format) throw new Error('usage: npx tsx bench/repackage.ts SHARD OUT FORMAT');
  repackage(shard, out, format);
}

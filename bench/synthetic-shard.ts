// A synthetic shard for scale runs: N images over D distinct contents (installed emoji PNGs; images of one content
// are the same bytes, so the app computes their features once), with label statistics like Open Images': about 8
// labels per image from a large vocabulary (20,000 by default) whose frequencies follow a Zipf law, correlated with
// the content (each content has its own core labels, most of which each of its images carries, plus a few labels
// drawn from the whole vocabulary). A tenth of the images are validation images. Seeded: the same options write
// the same shard.
// Run: npx tsx bench/synthetic-shard.ts <images> <distinct> [out-dir] (prints a summary as JSON).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { seededRandom, type Random } from '../src/lib/random';

const ROOT = join(import.meta.dirname, '..');
const EMOJI_DIR = join(ROOT, 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');

export interface SyntheticShardOptions {
  images: number;
  distinct: number;
  /** Labels in the vocabulary (Open Images has about 20,000 in use). */
  vocabulary?: number;
  /** Core labels per content; each image of the content carries each with probability `coreShare`. */
  core?: number;
  coreShare?: number;
  /** Labels per image drawn from the whole vocabulary (by Zipf frequency), beside the core ones. */
  noise?: number;
  /** The Zipf exponent of label frequencies (1: the k-th most frequent label is about 1/k as frequent as the first). */
  zipf?: number;
  seed?: number;
  dir?: string;
}

export interface SyntheticShard {
  dir: string;
  images: number;
  distinct: number;
  labelRows: number;
  labelsPerImage: number;
  labelsUsed: number;
}

/** Ranks 0..n-1 drawn with probability proportional to 1 / (rank + 1)^s (inverse CDF by binary search). */
export function zipfSampler(n: number, s: number, random: Random): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) cdf[r] = total += 1 / (r + 1) ** s;
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function makeSyntheticShard(options: SyntheticShardOptions): SyntheticShard {
  const { images, distinct, vocabulary = 20_000, core = 6, coreShare = 0.85, noise = 3, zipf = 1, seed = 1 } = options;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'simage-synthetic-'));
  const files = readdirSync(EMOJI_DIR)
    .filter((f) => f.endsWith('.png'))
    .sort();
  if (files.length < distinct) throw new Error(`only ${files.length} distinct images are installed; ask for fewer`);
  const random = seededRandom(seed);
  const label = zipfSampler(vocabulary, zipf, random);
  const confidence = () => (0.5 + 0.5 * random()).toFixed(2);
  // Each content's core labels: distinct, drawn by frequency.
  const cores = Array.from({ length: distinct }, () => {
    const set = new Set<number>();
    while (set.size < core) set.add(label());
    return [...set];
  });
  const bytes = files.slice(0, distinct).map((f) => readFileSync(join(EMOJI_DIR, f)));
  mkdirSync(join(dir, 'images'), { recursive: true });
  const labels = ['ImageID,Source,LabelName,Confidence'];
  const split = ['ImageID,Split'];
  const used = new Set<number>();
  for (let i = 0; i < images; i++) {
    const id = `syn_${String(i).padStart(6, '0')}`;
    const d = i % distinct;
    writeFileSync(join(dir, 'images', `${id}.png`), bytes[d]);
    const own = new Set<number>();
    for (const l of cores[d]) if (random() < coreShare) own.add(l);
    for (let j = 0; j < noise; j++) own.add(label());
    for (const l of own) {
      labels.push(`${id},synthetic,/syn/${l},${confidence()}`);
      used.add(l);
    }
    split.push(`${id},${i % 10 === 0 ? 'validation' : 'train'}`);
  }
  writeFileSync(join(dir, 'labels.csv'), labels.join('\n') + '\n');
  writeFileSync(join(dir, 'split.csv'), split.join('\n') + '\n');
  writeFileSync(join(dir, 'classes.csv'), [...used].map((l) => `/syn/${l},label ${l}`).join('\n') + '\n');
  return { dir, images, distinct, labelRows: labels.length - 1, labelsPerImage: (labels.length - 1) / images, labelsUsed: used.size };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [images, distinct, dir] = process.argv.slice(2);
  if (!images || !distinct) {
    console.error('usage: npx tsx bench/synthetic-shard.ts <images> <distinct> [out-dir]');
    process.exit(1);
  }
  console.log(JSON.stringify(makeSyntheticShard({ images: Number(images), distinct: Number(distinct), dir }), null, 1));
}

// `npx tsx scripts/split-shard.ts <shard folder> <parts> <out folder>`: splits a shard folder into parts for computing
// their features on separate machines (docs/SCALE.md): image files are dealt round-robin in path order into
// out/part-0 ... out/part-(N-1), and every part gets the whole label tables (labels.csv, split.csv, classes.csv,
// and their .txt forms), so each part is a valid shard on its own. Files are hard-linked where the file system allows,
// else copied. Any split works; this one keeps parts the same size.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMAGE = /\.(jpe?g|png|webp|gif|bmp)$/i;
const TABLES = ['labels.csv', 'split.csv', 'classes.csv', 'labels.txt', 'split.txt', 'classes.txt'];

function filesUnder(dir: string, root = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, root, out);
    else out.push(relative(root, path));
  }
  return out;
}

function place(from: string, to: string) {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Writes the parts; returns each part's folder and how many images it holds. */
export function splitShard(shard: string, parts: number, out: string): { dir: string; images: number }[] {
  if (!Number.isInteger(parts) || parts < 1) throw new Error('the number of parts must be a whole number of at least 1');
  if (!existsSync(shard) || !statSync(shard).isDirectory()) throw new Error(`not a shard folder: ${shard}`);
  const images = filesUnder(shard).filter((f) => IMAGE.test(f));
  const result = Array.from({ length: parts }, (_, p) => ({ dir: join(out, `part-${p}`), images: 0 }));
  images.forEach((f, i) => {
    const part = result[i % parts];
    place(join(shard, f), join(part.dir, f));
    part.images++;
  });
  for (const part of result) {
    mkdirSync(part.dir, { recursive: true });
    for (const t of TABLES) if (existsSync(join(shard, t))) place(join(shard, t), join(part.dir, t));
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [shard, parts, out] = process.argv.slice(2);
  if (!shard || !parts || !out) {
    process.stderr.write('usage: npx tsx scripts/split-shard.ts <shard folder> <parts> <out folder>\n');
    process.exit(2);
  }
  try {
    for (const p of splitShard(shard, Number(parts), out)) process.stdout.write(`${p.dir}: ${p.images} images\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}

// `npm run query` and examples/query-node.mjs as a person runs them: separate Node processes on a model file.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pngBytes } from '../fixtures/reencode';
import { exportedFile, pageModel, randomImage } from '../fixtures/standalone-model';

const dir = mkdtempSync(join(tmpdir(), 'simage-query-'));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/query.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

beforeAll(async () => {
  // simage/model is dist-model/ (npm install builds it); built again here so that the test reads this checkout's code.
  expect(spawnSync(process.execPath, ['scripts/build-model.mjs'], { encoding: 'utf8' }).status).toBe(0);
  await tf.setBackend('cpu');
  const page = await pageModel();
  writeFileSync(join(dir, 'model.zip'), new Uint8Array(await (await exportedFile(page, true)).arrayBuffer()));
  writeFileSync(join(dir, 'a.png'), await pngBytes(randomImage(30, 20, 11)));
  writeFileSync(join(dir, 'broken.jpg'), 'not an image');
  writeFileSync(join(dir, 'damaged.zip'), readFileSync(join(dir, 'model.zip')).subarray(0, 2000));
}, 60_000);

describe('npm run query', () => {
  it('--help prints usage on stdout and exits 0; --version prints the package version', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run query -- MODEL IMAGE\.\.\./);
    const version = run(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(run([]).status).toBe(2);
    const bogus = run(['--bogus']);
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toMatch(/^Unknown option --bogus\.\nusage:/);
    const noImage = run([join(dir, 'model.zip')]);
    expect(noImage.status).toBe(2);
    expect(noImage.stderr).toMatch(/^Name at least one image for .*model\.zip to answer\./);
  }, 60_000);

  it('answers each image as bare JSON on stdout; an unreadable image gets one sentence and a non-zero exit, the others are answered', () => {
    const r = run([join(dir, 'model.zip'), join(dir, 'a.png'), join(dir, 'broken.jpg'), join(dir, 'missing.png'), '--json', '--top', '4']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.model).toMatchObject({ shard: 'test', head: 'embedding', references: 12 });
    const [a, broken, missing] = out.queries;
    expect(a.neighbours).toHaveLength(4);
    expect(a.labels.length).toBeGreaterThan(0);
    expect(a.labels[0]).toMatchObject({ label: expect.stringMatching(/^\/m\//), name: expect.any(String), score: expect.any(Number) });
    expect(broken.error).toMatch(/broken.jpg cannot be read: it does not decode as a JPEG, PNG or WebP image/);
    expect(missing.error).toMatch(/missing.png cannot be read \(ENOENT\)/);
    expect(r.stderr).toMatch(/broken.jpg cannot be read/);
  }, 60_000);

  it('a damaged model file: one sentence on stderr, nothing on stdout, exit 1', () => {
    const r = run([join(dir, 'damaged.zip'), join(dir, 'a.png'), '--json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/damaged/);
  }, 60_000);

  it('examples/query-node.mjs answers through simage/model (the built library), and says why a file cannot be opened', () => {
    const bad = spawnSync(process.execPath, ['examples/query-node.mjs', join(dir, 'damaged.zip'), join(dir, 'a.png')], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^The model file is damaged/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const r = spawnSync(process.execPath, ['examples/query-node.mjs', join(dir, 'model.zip'), join(dir, 'a.png')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toMatch(/test: 12 references/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/a\.png\n {2}1\. [ruv]\d+ \(/);
    expect(r.stdout).toMatch(/labels: (Apple|Bus|Cat|Dog)/);
  }, 60_000);
});

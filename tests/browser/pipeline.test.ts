// `npm run pipeline` as a user runs it: on a small shard made here (folder and tar.gz), with a persistent profile
// so the second run computes nothing, and a clear one-line failure for a missing shard.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeDemoSubset, makeShardFolder, ROOT, writeArchives } from '../fixtures/make-shard';
import { splitShard } from '../../scripts/split-shard';
import { reencodedCopy } from '../fixtures/reencode';

const pipeline = (args: string[]) => node([join(ROOT, 'scripts', 'pipeline.ts'), ...args]);

function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run pipeline', () => {
  it('reports a small shard, then finds every feature cached with the same profile, whatever the container', async () => {
    const shard = makeShardFolder(12, { offset: 100 });
    const profile = mkdtempSync(join(tmpdir(), 'simage-cli-profile-'));
    // A re-encoded copy of a validation image (flattened over white: at 64 px, a smaller emoji is another image):
    // the page answers it, and so does the exported model file.
    const copy = join(mkdtempSync(join(tmpdir(), 'simage-copy-')), 'copy-of-img_010.png');
    await reencodedCopy(join(shard.dir, 'images', 'img_010.png'), copy, 1, true);
    const modelFile = join(tmpdir(), `simage-${process.pid}.simage-model.zip`);
    const first = await pipeline([
      shard.dir,
      '--backend',
      'wasm',
      '--profile',
      profile,
      '--export-model',
      modelFile,
      '--query',
      copy,
      '--held-out',
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/features \d+\/12/);
    const report = JSON.parse(first.stdout);
    // Which browser drove it, said on stderr and in the report (CHROMIUM_PATH, the system's, or the bundled one).
    expect(report.browser).toMatch(/^(CHROMIUM_PATH|the system's browser|the bundled Chromium).*: \D*\d+\./);
    expect(first.stderr).toContain(`[pipeline] browser: ${report.browser}`);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['shard', 'backend', 'model', 'timings_s', 'features']));
    expect(report.shard).toMatchObject({ images: 12, labelled: 12 });
    expect(report.shard.train + report.shard.validation).toBe(12);
    expect(report.shard.labels).toBe(5); // even_0, even_1, group_0..2; the absent label is negative only
    expect(report.backend).toBe('wasm');
    expect(report.model).toMatch(/^inception-v3@nsfwjs-.*\/p1$/);
    expect(report.features.computed + report.features.cached).toBe(report.shard.images);
    expect(report.features.computed).toBe(12);
    expect(report.features.per_s).toBeGreaterThan(0);
    expect(report.timings_s.load).toBeGreaterThan(0);
    expect(report.timings_s.features).toBeGreaterThan(0);
    expect(report.timings_s.svd).toBeGreaterThan(0);
    expect(report.timings_s.tsne).toBeGreaterThan(0);
    expect(report.evaluation.similar_set_score).toBeGreaterThan(0);
    expect(report.embedding).toMatchObject({ layout: 'tsne', images: 12 });
    // The retrieval net trained and was evaluated against the baselines, in the report's shape.
    expect(report.net).toMatchObject({ head: 'embedding', reused: false });
    expect(report.timings_s.train).toBeGreaterThan(0);
    expect(report.timings_s.evaluate).toBeGreaterThan(0);
    for (const table of ['score', 'precision_at_k', 'map'])
      expect(Object.keys(report.evaluation[table]).sort()).toEqual(['feature_knn', 'oracle', 'random', 'trained']);
    expect(report.evaluation.queries).toBe(report.shard.validation);
    const ids = report.shard.skipped.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['images/not_an_image.png', 'images/empty.jpg', 'img_000', 'ghost_image']));
    // npm run query, a separate Node process with no browser, answers the copy from the file: the original first,
    // the page's own ranking, and labels.
    expect(first.stderr).toMatch(/model file: written to/);
    const query = await node(['scripts/query.ts', modelFile, copy, '--json', '--held-out']);
    expect(query.code, query.stderr).toBe(0);
    const [answer] = JSON.parse(query.stdout).queries;
    const pageIds = report.queries[0].neighbours.map((n: { id: string }) => n.id);
    expect(pageIds[0]).toBe('img_010');
    expect(answer.neighbours[0].id).toBe('img_010');
    const nodeIds = answer.neighbours.map((n: { id: string }) => n.id);
    expect(nodeIds.slice(0, 5)).toEqual(pageIds.slice(0, 5));
    expect(answer.labels.length).toBeGreaterThan(0);

    const archives = await writeArchives(shard.dir);
    const second = await pipeline([archives.tgz, '--backend', 'wasm', '--profile', profile]);
    expect(second.code, second.stderr).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.shard.images).toBe(12);
    expect(again.features).toMatchObject({ computed: 0, cached: 12 });
    expect(again.net.reused).toBe(false); // another container is another shard: its model is its own

    // Another layout through the CLI: 'svd' has no 2-D step and reports no t-SNE time.
    const svd = JSON.parse(
      (await pipeline([archives.tgz, '--backend', 'wasm', '--profile', profile, '--layout', 'svd', '--k', '5'])).stdout,
    );
    expect(svd.embedding).toMatchObject({ layout: 'svd', k: 5 });
    expect(svd.timings_s.tsne).toBeUndefined();
    expect(svd.evaluation.similar_set_score).toBeGreaterThan(0);
  });

  it('on the demo shard, the trained net beats raw-feature kNN and random lists (the reason it exists)', async () => {
    const r = await pipeline([join(ROOT, 'public', 'shards', 'demo-small'), '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    const { evaluation, net } = JSON.parse(r.stdout);
    console.info(`[demo-small, ${net.head} head on ${net.layer}] score: ${JSON.stringify(evaluation.score)}`);
    expect(evaluation.score.trained).toBeGreaterThan(evaluation.score.feature_knn);
    expect(evaluation.score.trained).toBeGreaterThan(evaluation.score.random);
    expect(evaluation.score.oracle).toBeGreaterThan(evaluation.score.trained);
    // Labels both ways: the epoch was chosen on a hold-out, not on the reported queries; tagging and label queries
    // beat their raw-feature baselines.
    expect(net.selection).toBe('holdout');
    expect(net.selection_size).toBeGreaterThan(0);
    console.info(
      `[demo-small] tagging: ${JSON.stringify({ ...evaluation.tagging, candidates: undefined })}; label_query: ${JSON.stringify(evaluation.label_query)}`,
    );
    expect(evaluation.tagging).toMatchObject({ queries: evaluation.queries });
    expect(evaluation.tagging.map).toBeGreaterThan(evaluation.tagging.baseline.map);
    expect(evaluation.label_query.queries).toBeGreaterThan(0);
    expect(evaluation.label_query.precision_at_k).toBeGreaterThan(evaluation.label_query.baseline_precision_at_k);
  });

  it('parts computed apart and merged through project files equal a single run, computing no feature again', async () => {
    // A collection split into two parts (scripts/split-shard.ts: alternate images, the whole label tables), each part's features computed in
    // its own browser profile ("machine") with the fast model and exported; then the whole opened with both imported.
    const whole = makeDemoSubset(30);
    const tmp = mkdtempSync(join(tmpdir(), 'simage-parts-'));
    const fresh = () => mkdtempSync(join(tmpdir(), 'simage-cli-profile-'));
    const model = ['--model', 'mobilenet-v2', '--backend', 'wasm'];
    const split = splitShard(whole.dir, 2, tmp);
    expect(split.map((p) => p.images)).toEqual([30, 30]);
    const parts: string[] = [];
    for (const p of [0, 1]) {
      const dir = split[p].dir;
      const file = join(tmp, `part-${p}.simage`);
      const r = await pipeline([dir, ...model, '--profile', fresh(), '--features-only', '--export-project', file]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.features.computed).toBe(30);
      expect(report.embedding).toBeUndefined();
      expect(r.stderr).toContain(`[project] wrote ${file} (`);
      expect(r.stderr).toMatch(/features of 30 images of mobilenet-v2/);
      parts.push(file);
    }
    const wholeFile = join(tmp, 'whole.simage');
    const single = await pipeline([whole.dir, ...model, '--profile', fresh(), '--export-project', wholeFile]);
    expect(single.code, single.stderr).toBe(0);
    const merged = await pipeline([whole.dir, ...model, '--profile', fresh(), '--import-project', parts[0], '--import-project', parts[1]]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/\[project\] imported part-1\.simage: 30 mobilenet-v2 features added \(0 already stored\)/);
    const a = JSON.parse(single.stdout);
    const b = JSON.parse(merged.stdout);
    expect(a.model).toMatch(/^mobilenet-v2@/);
    expect(a.features.computed).toBe(60);
    expect(b.features).toMatchObject({ computed: 0, cached: 60 });
    expect(b.model).toBe(a.model);
    expect(b.evaluation).toEqual(a.evaluation);
    expect({ ...b.net, backend: null }).toEqual({ ...a.net, backend: null });
    // The whole project opened in another browser profile on another origin (port) computes nothing again.
    const moved = await pipeline([whole.dir, ...model, '--profile', fresh(), '--port', '47191', '--import-project', wholeFile]);
    expect(moved.code, moved.stderr).toBe(0);
    const c = JSON.parse(moved.stdout);
    expect(c.features).toMatchObject({ computed: 0, cached: 60 });
    expect(c.embedding.cached).toBe(true);
    expect(c.net.reused).toBe(true);
    expect(c.evaluation.score).toEqual(a.evaluation.score);
    // A damaged part is refused with one line before anything runs.
    const bad = join(tmp, 'bad.simage');
    writeFileSync(bad, readFileSync(parts[0]).subarray(0, 5000));
    const refused = await pipeline([whole.dir, ...model, '--profile', fresh(), '--import-project', bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/--import-project .*bad\.simage: .*(not a project file|damaged)/);
  });

  it('fails with one line and a non-zero exit for a missing shard', async () => {
    const r = await pipeline(['/nonexistent/shard']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/shard not found/);
  });
});

// Two tabs of one browser open the same shard: one computes, the other shows its progress (its page stage follows,
// its stages say where the work runs), then uses what the first stored. The features are computed once between
// them (the sum of both tabs' features.computed is the shard's distinct contents), both end on the same model, and
// `dataset.stage` is "ready" in each (src/session/tabs.ts). And in one tab, the feature worker killed under its job
// (an uncaught error in the worker, as a WASM abort is): made again once, the run goes on; killed twice, the run
// stops with the sentence and Try again goes on from what was stored (src/lib/rpc.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowser, reportReady, snapshot, waitFor } from './helpers';
import { listFiles, makeDemoSubset, ROOT } from '../fixtures/make-shard';
import { serve } from '../../scripts/serve.mjs';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('two tabs on one shard', () => {
  it('compute it once: the second follows the first, then reuses its features, embedding and model', async () => {
    const shardDir = makeDemoSubset(24).dir;
    const images = listFiles(join(shardDir, 'images'));
    const distinct = new Set(
      images.map((f) =>
        createHash('sha256')
          .update(readFileSync(join(shardDir, 'images', f)))
          .digest('hex'),
      ),
    ).size;
    const server = await serve({ root: join(ROOT, 'dist'), shard: shardDir });
    cleanups.push(() => server.close());
    const url = `${server.origin}/?settings=defaults&backend=wasm&batch=2&epochs=4&shard=${encodeURIComponent(server.shardUrl!)}`;
    const { context, page: first } = await openBrowser();
    cleanups.push(() => context.close());

    await first.goto(url);
    await waitFor(first, (s) => s.stages.features.status === 'running' && (s.stages.features.progress?.done ?? 0) > 0, 120_000);
    const second = await context.newPage();
    await second.goto(url);
    // While the first computes, the second shows its progress, says where the work runs, and its stage follows.
    const following = await waitFor(second, (s) => s.stages.features.status === 'running', 60_000);
    expect(following.stages.features.message).toMatch(/another tab/);
    expect(await second.evaluate(() => document.documentElement.dataset.stage)).toBe('features');

    const [a, b] = await Promise.all([waitFor(first, reportReady, 300_000), waitFor(second, reportReady, 300_000)]);
    expect(a.report!.features.computed + b.report!.features.computed).toBe(distinct);
    expect(b.report!.features).toMatchObject({ computed: 0, cached: images.length });
    expect(b.report!.embedding?.cached).toBe(true);
    expect(b.report!.net?.reused).toBe(true);
    // The same model in both: the one the first trained, with its evaluation.
    expect(b.report!.net).toEqual({ ...a.report!.net, reused: true });
    expect(b.report!.evaluation?.score).toEqual(a.report!.evaluation?.score);
    for (const page of [first, second]) expect(await page.evaluate(() => document.documentElement.dataset.stage)).toBe('ready');
    // Both answer a query alike.
    const id = await first.evaluate(() => window.__simage.imageIds()[0]);
    const ask = (page: typeof first) => page.evaluate((i) => window.__simage.search(i), id).then((r) => r?.results.map((x) => x.imageId));
    expect(await ask(second)).toEqual(await ask(first));
  }, 600_000);

  it('a worker killed under its job is made again once; killed twice, the sentence and Try again', async () => {
    const shardDir = makeDemoSubset(24).dir;
    const server = await serve({ root: join(ROOT, 'dist'), shard: shardDir });
    cleanups.push(() => server.close());
    const url = `${server.origin}/?settings=defaults&backend=wasm&batch=2&epochs=4&shard=${encodeURIComponent(server.shardUrl!)}`;
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    /** Throws an uncaught error in the page's newest feature worker, which ends it as a WASM abort would. */
    const kill = async (p: Page) => {
      const worker = p
        .workers()
        .filter((w) => /features/.test(w.url()))
        .at(-1)!;
      await worker.evaluate(() => {
        setTimeout(() => {
          throw new Error('killed by the test');
        });
      });
    };
    const featuresDone = (s: Awaited<ReturnType<typeof snapshot>>) => s.stages.features.progress?.done ?? 0;
    await page.goto(url);
    await waitFor(page, (s) => s.stages.features.status === 'running' && featuresDone(s) > 1, 120_000);
    await kill(page);
    // Made again, the extraction posted again: it finds what was stored and goes on.
    await waitFor(
      page,
      (s) => s.stages.features.status === 'running' && /^[1-9]\d* cached/.test(s.stages.features.progress?.detail ?? ''),
      60_000,
    );
    expect((await snapshot(page)).error).toBeNull();
    await kill(page);
    const failed = await page.waitForFunction(() => window.__simage.snapshot().error, undefined, { timeout: 30_000 });
    expect(await failed.jsonValue()).toMatch(
      /The feature worker stopped twice \(.*killed by the test\)\. What was computed is stored: press Try again/,
    );
    expect((await snapshot(page)).failure).toBe('worker-died');
    expect(await page.evaluate(() => document.documentElement.dataset.stage)).toBe('error');
    const stored = (await snapshot(page)).featureCount;
    await page.getByTestId('try-again').click();
    const done = await waitFor(page, reportReady, 300_000);
    expect(done.report!.features.cached).toBeGreaterThanOrEqual(stored);
    expect(await page.evaluate(() => document.documentElement.dataset.stage)).toBe('ready');
  }, 600_000);
});

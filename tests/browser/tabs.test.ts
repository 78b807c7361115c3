// Two tabs of one browser open the same shard: one computes, the other shows its progress (its page stage follows,
// its stages say where the work runs), then uses what the first stored. The features are computed once between
// them (the sum of both tabs' features.computed is the shard's distinct contents), both end on the same model, and
// `dataset.stage` is "ready" in each (src/session/tabs.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser, reportReady, waitFor } from './helpers';
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
});

// Search with the retrieval net on 120 demo images (60 pairs; the whole demo runs in pipeline.test), through the UI: train (a few epochs), click an image, results
// shown with shared labels; search with a dropped image that is not in the shard; export the model; then in a
// browser with an empty cache, load the shard, import the file, and the same query gives the same ranked list.
// A damaged file is refused with a sentence and changes nothing. Privacy: every request of the whole run (page,
// workers, model, WASM, shard, thumbnails, search, export) stays on the page's own origin, and the built page's
// Content Security Policy (no eval) is in force while TensorFlow.js and the workers run under it.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import { openBrowser, reportReady, snapshot, waitFor } from './helpers';
import { makeDemoSubset, ROOT } from '../fixtures/make-shard';
import { serve } from '../../scripts/serve.mjs';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

type Results = { results: { imageId: string; score: number }[] } | null;
const search = (page: Page, id: string) => page.evaluate((i) => window.__simage.search(i), id) as Promise<Results>;

describe('search with the retrieval net', () => {
  it('trains, answers clicks and dropped images, exports, and an import in an empty browser answers alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simage-export-'));
    const PAIRS = 60;
    const K = 20;
    const shardDir = makeDemoSubset(PAIRS).dir;
    const server = await serve({ root: join(ROOT, 'dist'), shard: shardDir });
    cleanups.push(() => server.close());
    const { origin } = server;
    const shardUrl = encodeURIComponent(server.shardUrl!);
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    const requests: string[] = [];
    context.on('request', (req) => requests.push(req.url()));
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/.test(msg.text())) violations.push(msg.text());
    });
    const response = await page.goto(`${origin}/?shard=${shardUrl}&backend=wasm&epochs=6&k=${K}`);
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toMatch(/^default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:;/);
    expect(csp).not.toMatch(/'unsafe-eval'/);
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(csp);
    const done = await waitFor(page, reportReady, 12 * 60_000);
    const r = done.report!;
    expect(r.net).toMatchObject({ head: 'embedding', references: PAIRS });
    expect(r.net!.epochs).toBeLessThanOrEqual(6);
    const ev = r.evaluation!;
    expect(ev).toMatchObject({ k: K, queries: PAIRS });
    for (const table of [ev.score!, ev.precision_at_k!, ev.map!])
      for (const m of ['trained', 'feature_knn', 'random', 'oracle'] as const) expect(table[m]).toBeGreaterThanOrEqual(0);
    expect(ev.score!.oracle).toBeGreaterThan(ev.score!.trained);
    expect(ev.score!.oracle).toBeGreaterThan(ev.score!.random);
    expect(r.timings_s.train).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid=evaluation] tbody tr').count()).toBe(4);
    // Every figure with its interval, and the difference said in words (noise or not at this many queries).
    expect(ev.ci?.score.trained[0]).toBeLessThanOrEqual(ev.score!.trained);
    expect(await page.locator('[data-testid=evaluation] .ci').count()).toBe(12);
    expect(await page.getByTestId('difference').textContent()).toMatch(/95% interval .*(more than noise|this difference is noise)/);
    await expect.poll(() => page.locator('[data-testid=train] svg polyline').count()).toBe(2); // live curves
    // Numbers explained where they stand: the curves have axes; a figure's name, focused, says in a sentence what
    // it means and links to its section of the methods page, which the build made and the server serves.
    expect(await page.locator('[data-testid=curve-loss] text').allTextContents()).toEqual(expect.arrayContaining(['1', 'epoch']));
    await page.getByTestId('tab-details').click();
    const term = page.locator('[data-testid=evaluation] [data-term=oracle] button');
    await term.focus();
    const pop = page.locator('[data-testid=evaluation] [data-term=oracle] [role=tooltip]');
    await expect.poll(() => pop.isVisible()).toBe(true);
    expect(await pop.textContent()).toMatch(/best any method could do/);
    const href = (await pop.locator('a').getAttribute('href'))!;
    const methods = await page.evaluate((h) => fetch(h).then((r) => r.text()), href);
    expect(methods).toContain(`id="${href.split('#')[1]}"`);

    // Train again, Cancel, Resume: the map and the model on show are never lost, and the job goes on.
    const points = await page.evaluate(() => window.__simageMap!.points());
    expect(points).toBeGreaterThan(0);
    // (Cancelled in the same task as the click: a cancel after the first epoch stops training early and keeps
    // the best epoch, which is a finished model, not a cancelled job.)
    await page.evaluate(() => {
      document.querySelector<HTMLButtonElement>('[data-testid=retrain]')!.click();
      window.__simage.cancel();
    });
    await expect.poll(() => snapshot(page).then((x) => x.stages.train.status)).toBe('cancelled');
    expect(await page.evaluate(() => window.__simageMap!.points())).toBe(points);
    expect(await page.evaluate(() => window.__simage.model() !== null)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.dataset.stage)).toBe('ready');
    await page.getByTestId('resume').click();
    await expect.poll(() => snapshot(page).then((x) => x.stages.train.status), { timeout: 120_000 }).toBe('done');
    expect(await page.getByTestId('resume').count()).toBe(0);
    expect(await page.evaluate(() => window.__simageMap!.points())).toBe(points);

    // The map's legend folds away (at 1280 x 800 it covers points) and comes back.
    const legendList = page.locator('[aria-label=Legend] ul');
    await page.getByTestId('legend-toggle').click();
    expect(await legendList.isHidden()).toBe(true);
    await page.getByTestId('legend-toggle').click();
    expect(await legendList.isVisible()).toBe(true);

    // Click an image in the gallery: ranked results with scores, shared labels highlighted.
    await page.getByTestId('view-grid').click();
    const cell = page.locator('[data-testid=gallery] button.cell').nth(3);
    const queryId = (await cell.getAttribute('data-image-id'))!;
    await cell.click();
    await expect.poll(() => page.getByTestId('selected-id').textContent()).toBe(queryId);
    const items = page.locator('[data-testid=results] button.result');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(K);
    // Thumbnails by default: at 1280 x 800 at least 12 results lie wholly in view; the one under the pointer
    // says its score and labels, shared ones marked; the open query's results are framed in the collection's grid.
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await page.getByTestId('results').getAttribute('data-layout')).toBe('grid');
    const inView = () =>
      items.evaluateAll(
        (els) =>
          els.filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 40 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
          }).length,
      );
    await expect.poll(inView).toBeGreaterThanOrEqual(12);
    await items.nth(1).hover();
    await expect.poll(() => page.locator('[data-testid=result-detail] .tag.shared').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('result-detail').textContent()).toMatch(/^\s*2\.\s/);
    expect(await page.locator('[data-testid=gallery] button.cell.result').count()).toBeGreaterThan(0);
    // The list, chosen once, is kept: it shows every result's labels, shared ones highlighted.
    await page.getByTestId('results-list').click();
    expect(await page.locator('[data-testid=results] .tag.shared').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => localStorage.getItem('simage.resultsLayout'))).toBe('list');
    await page.getByTestId('results-grid').click();
    const shown = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-image-id')));
    // Keyboard: arrows move through the results, Enter searches from the focused one.
    await items.first().focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-image-id'));
    expect(focused).toBe(shown[1]);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('selected-id').textContent()).toBe(shown[1]);

    // Latency of a click query (features read from the cache, the net, top-k) on WASM.
    const before = await search(page, queryId);
    expect(before!.results.map((x) => x.imageId)).toEqual(shown);

    // A dropped image that is not in the shard: its features are computed, then it is queried.
    await page.getByTestId('query-drop').evaluate(async (zone) => {
      const canvas = new OffscreenCanvas(120, 90);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#fde047';
      ctx.fillRect(0, 0, 120, 90);
      ctx.fillStyle = '#dc2626';
      ctx.beginPath();
      ctx.arc(60, 45, 30, 0, 2 * Math.PI);
      ctx.fill();
      const file = new File([await canvas.convertToBlob({ type: 'image/png' })], 'my-drawing.png', { type: 'image/png' });
      const data = new DataTransfer();
      data.items.add(file);
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => page.getByTestId('selected-id').textContent()).toBe('my-drawing.png');
    await expect.poll(() => items.count(), { timeout: 60_000 }).toBe(K);
    // It gets predicted labels, none of them "given".
    const predicted = page.locator('[data-testid=predicted-labels] .ptag');
    await expect.poll(() => predicted.count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=predicted-labels] .ptag.given').count()).toBe(0);
    await expect.poll(() => page.getByTestId('dropped-meta').textContent()).toMatch(/your image: not in the collection/);

    // A copy of a training image (redrawn at 96 px): that image comes first, and the page says it is the original.
    const original = before!.results.find((x) => x.imageId.startsWith('google_'))!.imageId;
    await page.getByTestId('query-drop').evaluate(async (zone, url) => {
      const bitmap = await createImageBitmap(await (await fetch(url)).blob());
      const canvas = new OffscreenCanvas(96, 96);
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0, 96, 96);
      const file = new File([await canvas.convertToBlob({ type: 'image/png' })], 'my-copy.png', { type: 'image/png' });
      const data = new DataTransfer();
      data.items.add(file);
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, `${server.shardUrl}images/google/${original}.png`);
    await expect.poll(() => page.getByTestId('dropped-meta').textContent(), { timeout: 60_000 }).toContain(`copy of ${original}`);
    expect(await items.first().getAttribute('data-image-id')).toBe(original);
    expect(await items.first().locator('.by').textContent()).toBe('copy');
    // The very file of that image, dropped: it is that image, which becomes the query, and the page says so.
    await page.getByTestId('query-drop').evaluate(async (zone, url) => {
      const file = new File([await (await fetch(url)).blob()], 'same-bytes.png', { type: 'image/png' });
      const data = new DataTransfer();
      data.items.add(file);
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, `${server.shardUrl}images/google/${original}.png`);
    await expect.poll(() => page.getByTestId('selected-id').textContent()).toBe(original);
    expect(await page.getByTestId('dropped-same').textContent()).toMatch(/same-bytes\.png.*is this image of the collection/);

    // A label as the query: the top results carry it.
    // (the query image's most frequent label, so the net has seen it on several training images)
    const label = await page.evaluate((id) => {
      const hook = window.__simage;
      const counts = new Map<string, number>();
      for (const other of hook.imageIds()) for (const l of hook.imageLabels(other)) counts.set(l, (counts.get(l) ?? 0) + 1);
      const own = hook.imageLabels(id).filter((l) => l.startsWith('/'));
      return own.sort((a, b) => counts.get(b)! - counts.get(a)!)[0];
    }, queryId);
    const byWords = (await page.evaluate((l) => window.__simage.searchLabels([l]), label))!;
    expect(byWords.query.kind).toBe('labels');
    const top = byWords.results.slice(0, 5);
    const carrying = await page.evaluate(({ ids, l }) => ids.filter((id) => window.__simage.imageLabels(id).includes(l)).length, {
      ids: top.map((x) => x.imageId),
      l: label,
    });
    expect(carrying).toBeGreaterThanOrEqual(4);
    await page.evaluate(() => window.__simage.searchLabels([]));

    // Review labels by keyboard: accept, reject, accept; the corrected labels.csv differs from the shard's by
    // exactly the two accepted changes.
    await page.getByTestId('tab-review').click();
    const review = page.getByTestId('review-list');
    await review.waitFor({ timeout: 120_000 });
    const suggestions = page.getByTestId('suggestion');
    expect(await suggestions.count()).toBeGreaterThanOrEqual(3);
    const first3 = await suggestions.evaluateAll((els) =>
      els.slice(0, 3).map((e) => ({ imageId: e.dataset.imageId!, label: e.dataset.label!, kind: e.dataset.kind! })),
    );
    await review.focus();
    await page.keyboard.press('a');
    await page.keyboard.press('r');
    await page.keyboard.press('a');
    await expect.poll(() => page.getByTestId('review-tally').textContent()).toBe('2 accepted · 1 rejected');
    expect(await suggestions.evaluateAll((els) => els.slice(0, 3).map((e) => e.dataset.decision))).toEqual(['accept', 'reject', 'accept']);
    const [corrected] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-corrected-labels').click()]);
    expect(corrected.suggestedFilename()).toBe('labels.csv');
    const correctedFile = join(dir, 'labels.csv');
    await corrected.saveAs(correctedFile);
    const rowsOf = (text: string) => text.split(/\r?\n/).filter((line) => line !== '');
    const originalRows = rowsOf(readFileSync(join(shardDir, 'labels.csv'), 'utf8'));
    const correctedRows = rowsOf(readFileSync(correctedFile, 'utf8'));
    const removed = originalRows.filter((row) => !correctedRows.includes(row));
    const added = correctedRows.filter((row) => !originalRows.includes(row));
    const want = { removed: [] as string[], added: [] as string[] };
    for (const x of [first3[0], first3[2]]) {
      if (x.kind === 'remove') {
        const row = originalRows.find((r) => r.startsWith(`${x.imageId},`) && r.split(',')[2] === x.label)!;
        want.removed.push(row);
        want.added.push(
          row
            .split(',')
            .map((f, i) => (i === 3 ? '0' : f))
            .join(','),
        );
      } else want.added.push(`${x.imageId},simage-review,${x.label},1`);
    }
    expect(removed.sort()).toEqual(want.removed.sort());
    expect(added.sort()).toEqual(want.added.sort());
    // Every image's predicted labels, in the shard's format.
    const [pred] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-predicted-labels').click()]);
    expect(pred.suggestedFilename()).toBe('predicted-labels.csv');
    const predFile = join(dir, 'predicted-labels.csv');
    await pred.saveAs(predFile);
    const predRows = rowsOf(readFileSync(predFile, 'utf8'));
    expect(predRows[0]).toBe('ImageID,Source,LabelName,Confidence');
    expect(new Set(predRows.slice(1).map((r) => r.split(',')[0])).size).toBeGreaterThan(1.8 * PAIRS);

    // Export: one file.
    await page.getByTestId('tab-details').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/\.embedding\.simage-model\.zip$/);

    // A reload keeps the trained model: the same query gives the same list without training.
    await page.goto(`${origin}/`);
    await expect.poll(() => page.evaluate(() => window.__simage.model()?.head ?? null), { timeout: 60_000 }).toBe('embedding');
    expect((await search(page, queryId))!.results).toEqual(before!.results);

    // An empty browser: load the shard (a quick one-epoch model of its own), import the file, same ranked list.
    const fresh = await openBrowser(mkdtempSync(join(tmpdir(), 'simage-import-')));
    cleanups.push(() => fresh.context.close());
    await fresh.page.goto(`${origin}/?shard=${shardUrl}&backend=wasm&epochs=1&k=${K}`);
    await waitFor(fresh.page, reportReady, 12 * 60_000);
    const own = await search(fresh.page, queryId);
    // A damaged file is refused with a sentence, and the model in use stays.
    const bytes = readFileSync(file);
    const damaged = join(dir, 'damaged.zip');
    writeFileSync(damaged, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await fresh.page.getByTestId('import').setInputFiles(damaged);
    await expect.poll(() => fresh.page.getByTestId('error').textContent()).toMatch(/damaged|not a usable/);
    expect((await search(fresh.page, queryId))!.results).toEqual(own!.results);
    await fresh.page.getByTestId('import').setInputFiles(file);
    await expect.poll(() => fresh.page.getByTestId('model-summary').textContent()).toMatch(/Imported model: embedding head/);
    const imported = await search(fresh.page, queryId);
    expect(imported!.results.map((x) => x.imageId)).toEqual(before!.results.map((x) => x.imageId));
    imported!.results.forEach((x, i) => expect(x.score).toBeCloseTo(before!.results[i].score, 5));

    // Privacy. The log saw the workers' own fetches (model weights, WASM binary), so it is the whole run's ...
    expect(requests.some((u) => /\/models\/inception-v3\/group1-shard\dof\d\.bin$/.test(u))).toBe(true);
    expect(requests.some((u) => /\/tfjs-wasm\/.*\.wasm$/.test(u))).toBe(true);
    expect(requests.some((u) => /\/__shard\//.test(u))).toBe(true);
    // ... and none of it left the origin.
    const offOrigin = requests.filter((u) => !(u.startsWith(`${origin}/`) || u.startsWith('blob:') || u.startsWith('data:')));
    expect(offOrigin).toEqual([]);
    expect(violations).toEqual([]);
    // The policy is in force: eval is refused. (Run from a later task of the page's own: code that Playwright
    // evaluates directly is exempt from the page's eval rule, through the DevTools protocol.)
    const evalled = await page.evaluate(
      () =>
        new Promise<{ eval: string; fn: string; directives: string[] }>((resolve) => {
          const directives: string[] = [];
          document.addEventListener('securitypolicyviolation', (e) => directives.push(`${e.effectiveDirective} ${e.blockedURI}`));
          setTimeout(() => {
            const attempt = (f: () => unknown) => {
              try {
                return String(f());
              } catch (e) {
                return (e as Error).name;
              }
            };
            const out = { eval: attempt(() => (0, eval)('1 + 1')), fn: attempt(() => new Function('return 1')()) };
            setTimeout(() => resolve({ ...out, directives: [...new Set(directives)] }), 50);
          }, 0);
        }),
    );
    expect(evalled).toEqual({ eval: 'EvalError', fn: 'EvalError', directives: ['script-src eval'] });
    // ... and a request to another host is blocked before it is sent.
    const blocked = await page.evaluate(async () => {
      await new Promise((r) => setTimeout(r, 0));
      const seen = new Promise<string>((resolve) =>
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true }),
      );
      const fetched = await fetch('https://example.com/upload', { method: 'POST', body: 'x' }).then(
        () => 'sent',
        () => 'refused',
      );
      return { fetched, directive: await seen };
    });
    expect(blocked).toEqual({ fetched: 'refused', directive: 'connect-src' });
  });
});

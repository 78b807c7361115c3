// The real built page, driven like a person at 1280 x 800: the time the demo's features will take, told before the
// click (a short probe of each feature model); load the demo shard with a click, watch features being
// computed, browse the grid, use the workspace (map clicks, label filter, lasso, export, Back and Forward, a reload
// that keeps the view, the settings that ask before recomputing), load again (nothing computed), and check the
// WebGPU path against WASM on two images.
// (Resuming after a reload mid-extraction: faults.test.ts through a real reload, and the session's Node tests.)
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openBrowser, reportReady, snapshot, waitFor } from './helpers';

const origin = inject('origin');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('demo shard through the UI', () => {
  it('loads, computes every feature, shows the gallery with labels, and a second load computes nothing', async () => {
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    await page.goto(`${origin}/`);
    expect(await page.evaluate(() => document.documentElement.dataset.stage)).toBe('empty');
    // Time told before it is spent: a short probe times each feature model here, and each demo button says how
    // long its features take with the chosen one (Inception v3 by default), each model how long per 1,000 images.
    const estimate = page.getByTestId('demo-small-estimate');
    await estimate.waitFor({ timeout: 90_000 });
    expect(await estimate.textContent()).toMatch(/^features (under a minute|about \d+ min)$/);
    await expect.poll(() => page.getByTestId('estimate-mobilenet-v2').textContent(), { timeout: 60_000 }).toMatch(/per 1,000 images here/);
    expect(await page.getByTestId('model-inception-v3').isChecked()).toBe(true);
    await page.getByTestId('demo-small').click();
    await page.waitForFunction(() => document.documentElement.dataset.stage === 'features');
    const first = await waitFor(page, reportReady, 12 * 60_000);
    expect(first.report!.shard.images).toBe(506);
    expect(first.report!.shard.labelled).toBe(506);
    expect(first.report!.shard).toMatchObject({ train: 253, validation: 253 });
    expect(first.report!.features).toMatchObject({ computed: 506, cached: 0 });
    expect(first.report!.backend).toBe('wasm'); // auto mode on a machine whose WebGPU adapter is software
    await expect.poll(() => page.getByTestId('count-features').textContent()).toBe('506');

    expect(await page.evaluate(() => document.documentElement.dataset.stage)).toBe('ready');
    // The window never scrolls: nothing reaches below it, and it is not scrolled (the offenders are listed).
    const pageOverflow = () =>
      page.evaluate(() => {
        const out = [...document.querySelectorAll('body *')]
          .filter((e) => {
            if (e.getBoundingClientRect().bottom <= innerHeight + 1 || e.closest('dialog:not([open])')) return false;
            // Clipped by a panel that scrolls on its own (the grid, the results): not the window's overflow.
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
              if (getComputedStyle(a).overflowY !== 'visible' && a.getBoundingClientRect().bottom <= innerHeight + 1) return false;
            return true;
          })
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}.${e.className} ends at ${Math.round(e.getBoundingClientRect().bottom)}`);
        if (scrollY !== 0 || document.scrollingElement!.scrollHeight > innerHeight)
          out.push(`scrolled ${scrollY}, height ${document.scrollingElement!.scrollHeight}`);
        return out;
      });
    expect(await pageOverflow()).toEqual([]);

    // The grid is virtualized: far fewer cells in the DOM than images, and thumbnails render.
    await page.getByTestId('view-grid').click();
    await expect.poll(() => page.getByTestId('gallery-count').textContent()).toBe('506 images');
    const cells = page.locator('[data-testid=gallery] button.cell');
    const inDom = await cells.count();
    expect(inDom).toBeGreaterThan(10);
    expect(inDom).toBeLessThan(300);
    await expect.poll(() => page.locator('[data-testid=gallery] img').count()).toBeGreaterThan(10);
    const firstCell = cells.first();
    const id = await firstCell.getAttribute('data-image-id');
    await firstCell.hover();
    await expect.poll(() => page.getByTestId('labels-panel').textContent()).toContain(id!);
    await expect.poll(() => page.getByTestId('labels-panel').textContent()).toMatch(/symbols|keycap|flag|smileys/);
    // Keyboard: focus moves and the panel follows.
    await firstCell.focus();
    await page.keyboard.press('ArrowRight');
    const second = await cells.nth(1).getAttribute('data-image-id');
    await expect.poll(() => page.getByTestId('labels-panel').textContent()).toContain(second!);
    // Scrolling far renders other images.
    await page.getByTestId('gallery').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(async () => (await cells.first().getAttribute('data-image-id')) !== id).toBe(true);

    // The label embedding ran after the features: the map shows every labelled image, its similar-set score is
    // reported, and a click on a point selects that image and shows its similar set.
    expect(first.report!.evaluation!.similar_set_score).toBeGreaterThan(0);
    expect(first.report!.timings_s.svd).toBeGreaterThan(0);
    expect(first.report!.timings_s.tsne).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.__simageMap!.points())).toBe(506);
    await page.getByTestId('view-map').click();
    await expect
      .poll(() => page.getByTestId('similar-set-score').textContent())
      .toBe(first.report!.evaluation!.similar_set_score.toFixed(4));
    const canvas = page.getByTestId('map-canvas');
    expect(await page.evaluate(() => window.__simageMap!.paintedPixels())).toBeGreaterThan(506);
    const queries: string[] = [];
    for (const index of [17, 300]) {
      const target = await page.evaluate((i) => window.__simageMap!.imageIdAt(i), index);
      const pos = (await page.evaluate((id) => window.__simageMap!.screenOf(id!), target))!;
      await page.mouse.click(pos.x, pos.y);
      await expect.poll(() => page.getByTestId('results').locator('[data-image-id]').count()).toBeGreaterThan(0);
      const picked = (await page.getByTestId('selected-id').textContent())!;
      queries.push(picked);
      // Several images can share a position (identical labels: a Google emoji and its Twitter twin): then the
      // picked one must be drawn at the same spot.
      const pickedPos = (await page.evaluate((id) => window.__simageMap!.screenOf(id!), picked))!;
      expect(Math.hypot(pickedPos.x - pos.x, pickedPos.y - pos.y)).toBeLessThan(1.5);
      expect(new URL(page.url()).searchParams.get('q')).toBe(picked);
    }
    // The results are beside the query, in view without scrolling, each an image with its ID.
    const result = page.getByTestId('results').locator('[data-image-id]').first();
    const box = (await result.boundingBox())!;
    expect(box.y + box.height).toBeLessThan(800);
    expect(await page.getByTestId('results').locator('[data-image-id]').count()).toBe(first.report!.evaluation!.k);

    // Find by label: completion from the vocabulary, Enter applies it; the map dims the rest, the grid shows only
    // the matches, and the count says how many.
    const filter = page.getByTestId('label-filter');
    await filter.fill('flag');
    await expect.poll(() => page.getByRole('option').count()).toBeGreaterThan(0);
    await filter.press('Enter');
    // The list closes once the label is chosen, and the box's placeholder fits beside the chip.
    await expect.poll(() => page.locator('#label-options [role=option]').count()).toBe(0);
    expect(await filter.getAttribute('placeholder')).toBe('and another label…');
    const count = async () => Number((await page.getByTestId('gallery-count').textContent())!.split(' ')[0]);
    await expect.poll(count).toBeLessThan(506);
    const matches = await count();
    expect(matches).toBeGreaterThan(0);
    await page.getByTestId('view-grid').click();
    const shownIds = await page
      .locator('[data-testid=gallery] [data-image-id]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-image-id')));
    expect(shownIds.length).toBe(Math.min(matches, shownIds.length));
    const labelled = await page.evaluate((ids) => ids.map((id) => window.__simage.imageLabels(id!).some((l) => /flag/i.test(l))), shownIds);
    expect(labelled.every(Boolean)).toBe(true);
    expect(new URL(page.url()).searchParams.getAll('label')).toHaveLength(1);

    // Back steps to the query before the filter, and before that the first query; Forward returns.
    await page.goBack();
    await expect.poll(() => page.getByTestId('gallery-count').textContent()).toBe('506 images');
    expect(await page.getByTestId('selected-id').textContent()).toBe(queries[1]);
    await page.goBack();
    await expect.poll(() => page.getByTestId('selected-id').textContent()).toBe(queries[0]);
    await page.goForward();
    await page.goForward();
    await expect.poll(count).toBe(matches);
    expect(await page.getByTestId('selected-id').textContent()).toBe(queries[1]);

    // Lasso on the map: the selection narrows the grid and exports as CSV with exactly those images.
    await page.getByTestId('label-filter').focus();
    await page.keyboard.press('Backspace'); // the empty box's Backspace removes the last label
    await expect.poll(() => page.getByTestId('gallery-count').textContent()).toBe('506 images');
    await page.getByTestId('view-map').click();
    await canvas.focus();
    await page.keyboard.press('l');
    const area = (await canvas.boundingBox())!;
    const cx = area.x + area.width / 2,
      cy = area.y + area.height / 2;
    await page.mouse.move(cx, cy - 150);
    await page.mouse.down();
    for (let a = 0; a <= 2 * Math.PI + 0.01; a += Math.PI / 12) await page.mouse.move(cx + 150 * Math.sin(a), cy - 150 * Math.cos(a));
    await page.mouse.up();
    const selected = async () => Number((await page.getByTestId('selection-count').textContent())!.split(' ')[0]);
    await expect.poll(selected).toBeGreaterThan(0);
    const n = await selected();
    expect(n).toBeLessThan(506);
    await expect.poll(count).toBe(n);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-selection').click()]);
    const csv = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      download
        .createReadStream()
        .then((stream) => stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString())))
        .catch(reject);
    });
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('ImageID,Split,Labels,LabelNames');
    expect(lines).toHaveLength(n + 1);
    await page.keyboard.press('Escape');
    await expect.poll(selected).toBe(0);

    // The settings panel: one line per setting with its default; a change that recomputes says so and asks first.
    await page.getByTestId('settings-button').click();
    await page.locator('#setting-perplexity').fill('12');
    await page.locator('#setting-perplexity').dispatchEvent('change');
    await page.getByTestId('settings-apply').click();
    await expect.poll(() => page.getByTestId('settings-confirm').textContent()).toMatch(/recomputes the label embedding of 506 images/);
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.documentElement.dataset.stage)).toBe('ready');
    expect(await pageOverflow()).toEqual([]);

    // A reload keeps the view: the same query (and its results) from the address.
    await page.reload();
    await expect.poll(() => page.getByTestId('selected-id').textContent(), { timeout: 60_000 }).toBe(queries[1]);
    await expect.poll(() => page.getByTestId('results').locator('[data-image-id]').count(), { timeout: 60_000 }).toBeGreaterThan(0);

    await page.getByTestId('open-shard').click();
    await page.getByTestId('demo-small').click();
    const again = await waitFor(page, (s) => reportReady(s) && s.stages.load.status === 'done', 5 * 60_000);
    expect(again.report!.features).toMatchObject({ computed: 0, cached: 506 });
    expect(again.report!.embedding!.cached).toBe(true); // same settings: the stored embedding is reused
    expect(again.report!.net!.reused).toBe(true); // and the stored retrieval net: nothing is trained again
    expect(again.report!.evaluation!.score).toEqual(first.report!.evaluation!.score);
    expect(again.report!.evaluation!.similar_set_score).toBe(first.report!.evaluation!.similar_set_score);

    // Everything survives a reload: the shard and its features come back from IndexedDB.
    await page.goto(`${origin}/`);
    const restored = await waitFor(page, (s) => s.images === 506 && s.featureCount === 506, 60_000);
    expect(restored.images).toBe(506);
  });
});

describe('WebGPU correctness', () => {
  it('computes the same features as WASM, with both feature models (software adapter)', async () => {
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => !!window.__simage);
    const use = await page.evaluate(async () => {
      const m = await (await fetch('shards/demo-small/manifest.json')).json();
      const pngs = (m.files as string[]).filter((f) => f.endsWith('.png'));
      return [pngs[0], pngs[pngs.length - 1]].map((f) => `shards/demo-small/${f}`);
    });
    // Inception v3 on one image (about 20 s on SwiftShader), MobileNetV2 on two.
    for (const [model, urls] of [
      ['inception-v3', use.slice(0, 1)],
      ['mobilenet-v2', use],
    ] as const) {
      const wasm = await page.evaluate(([u, m]) => window.__simage.embedUrls(u, 'wasm', m), [urls, model] as const);
      const gpu = await page.evaluate(([u, m]) => window.__simage.embedUrls(u, 'webgpu', m), [urls, model] as const);
      expect(wasm.backend).toBe('wasm');
      expect(gpu.backend).toBe('webgpu');
      expect(wasm.modelId).toMatch(new RegExp(`^${model}@`));
      expect(gpu.modelId).toBe(wasm.modelId);
      expect(wasm.flatten.length).toBe(urls.length * (model === 'inception-v3' ? 2048 : 1280));
      for (const key of ['flatten', 'mixed7'] as const) {
        const a = wasm[key] as number[];
        const b = gpu[key] as number[];
        expect(a.length).toBe(b.length);
        let maxDiff = 0;
        let maxAbs = 0;
        for (let i = 0; i < a.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
          maxAbs = Math.max(maxAbs, Math.abs(a[i]));
        }
        console.info(
          `[webgpu vs wasm] ${model} ${key}: max |diff| ${maxDiff.toExponential(2)}, relative to max |value| ${(maxDiff / maxAbs).toExponential(2)}`,
        );
        expect(maxAbs).toBeGreaterThan(0);
        expect(maxDiff / maxAbs).toBeLessThan(2e-3);
      }
    }
    const snap = await snapshot(page);
    expect(snap.error).toBeNull();
  });
});

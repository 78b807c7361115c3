// The real built page, driven like a person: load the demo shard with a click, watch features being computed,
// browse the gallery, load again (nothing computed), and check the WebGPU path against WASM on two images.
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
    await page.getByTestId('demo-small').click();
    const first = await waitFor(page, reportReady, 12 * 60_000);
    expect(first.report!.shard.images).toBe(506);
    expect(first.report!.shard.labelled).toBe(506);
    expect(first.report!.shard).toMatchObject({ train: 253, validation: 253 });
    expect(first.report!.features).toMatchObject({ computed: 506, cached: 0 });
    expect(first.report!.backend).toBe('wasm'); // auto mode on a machine whose WebGPU adapter is software
    await expect.poll(() => page.getByTestId('count-features').textContent()).toBe('506');

    // The gallery is virtualized: far fewer cells in the DOM than images, and thumbnails render.
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
    await expect
      .poll(() => page.getByTestId('similar-set-score').textContent())
      .toBe(first.report!.evaluation!.similar_set_score.toFixed(4));
    const canvas = page.getByTestId('map-canvas');
    await canvas.scrollIntoViewIfNeeded();
    // A pixel of the map is painted where a point is (not the white background).
    const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(506);
    for (const index of [17, 300]) {
      const target = await page.evaluate((i) => window.__simageMap!.imageIdAt(i), index);
      const pos = (await page.evaluate((id) => window.__simageMap!.screenOf(id!), target))!;
      await page.mouse.click(pos.x, pos.y);
      const picked = await page.getByTestId('selected-id').textContent();
      // Several images can share a position (identical labels: a Google emoji and its Twitter twin): then the
      // picked one must be drawn at the same spot.
      const pickedPos = (await page.evaluate((id) => window.__simageMap!.screenOf(id!), picked))!;
      expect(Math.hypot(pickedPos.x - pos.x, pickedPos.y - pos.y)).toBeLessThan(1.5);
    }

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
  it('computes the same features as WASM for two images (software adapter)', async () => {
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => !!window.__simage);
    const use = await page.evaluate(async () => {
      const m = await (await fetch('shards/demo-small/manifest.json')).json();
      const pngs = (m.files as string[]).filter((f) => f.endsWith('.png'));
      return [pngs[0], pngs[pngs.length - 1]].map((f) => `shards/demo-small/${f}`);
    });
    const wasm = await page.evaluate((u) => window.__simage.embedUrls(u, 'wasm'), use);
    const gpu = await page.evaluate((u) => window.__simage.embedUrls(u, 'webgpu'), use);
    expect(wasm.backend).toBe('wasm');
    expect(gpu.backend).toBe('webgpu');
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
        `[webgpu vs wasm] ${key}: max |diff| ${maxDiff.toExponential(2)}, relative to max |value| ${(maxDiff / maxAbs).toExponential(2)}`,
      );
      expect(maxAbs).toBeGreaterThan(0);
      expect(maxDiff / maxAbs).toBeLessThan(2e-3);
    }
    const snap = await snapshot(page);
    expect(snap.error).toBeNull();
  });
});

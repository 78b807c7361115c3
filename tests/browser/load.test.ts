// Load: a 10,000-image shard through the whole pipeline (load, feature extraction, UMAP map, training, search)
// while the test scrolls the gallery, zooms and pans the map, colours it by a label and searches. Every main-thread
// task over 50 ms is recorded from the DevTools timeline trace with its wall and thread time (helpers.ts,
// traceMainThread): the page's own work (thread time) may not pass 200 ms in any task, nor a person's wait (wall
// time) a second. The recorder is checked first: a deliberate 120 ms busy loop on the main thread must show up in it.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeLoadShard, ROOT } from '../fixtures/make-shard';
import { openBrowser, snapshot, traceMainThread, type Snapshot } from './helpers';
import { serve } from '../../scripts/serve.mjs';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const COUNT = 10_000;
const UNIQUE = 150;

/** One round of what a person does while the app works: scroll the gallery, hover a cell, work the map. */
async function interact(page: Page, s: Snapshot, round: number, seen: Set<string>) {
  const gallery = page.getByTestId('gallery');
  // (The grid gives way to the map when the embedding starts, so either may vanish between two steps.)
  const galleryBox = (await gallery.isVisible()) ? await gallery.boundingBox({ timeout: 1000 }).catch(() => null) : null;
  if (galleryBox) {
    const box = galleryBox;
    await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 200));
    await page.mouse.wheel(0, round % 6 < 3 ? 2400 : -1800);
    seen.add('gallery scroll');
    const cell = gallery.locator('button.cell').nth(round % 7);
    if (await cell.isVisible())
      await cell.hover({ timeout: 2000 }).then(
        () => seen.add('gallery hover'),
        () => {},
      );
  }
  const map = page.getByTestId('map-canvas');
  const mapBox = (await map.isVisible()) ? await map.boundingBox({ timeout: 1000 }).catch(() => null) : null;
  if (mapBox) {
    const box = mapBox;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.wheel(0, round % 2 ? -240 : 240);
    await page.mouse.down();
    await page.mouse.move(cx + 40, cy + 25, { steps: 4 });
    await page.mouse.up();
    seen.add(s.stages.embedding.status === 'running' ? 'map while the layout runs' : 'map');
  }
}

describe('a 10,000-image shard', () => {
  it('keeps every main-thread task under 200 ms through load, extraction, the map, training and search; a click before the net is answered by look, then by the net', async () => {
    const shard = makeLoadShard(COUNT, UNIQUE);
    const server = await serve({ root: join(ROOT, 'dist'), shard: shard.dir });
    cleanups.push(() => server.close());
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());

    // The recorder sees a long task when there is one.
    const check = await traceMainThread(page, server.origin);
    await page.goto(`${server.origin}/`);
    await page.evaluate(() =>
      setTimeout(() => {
        const t = performance.now();
        while (performance.now() - t < 120);
      }, 0),
    );
    await page.waitForTimeout(300);
    // Its thread time is less than its 120 ms when other threads take the cores meanwhile (the first screen's speed
    // probe computes features in two WASM threads): 25 to 80 ms was seen.
    const seenFirst = await check();
    const loop = seenFirst.reduce((a, b) => (b.wallMs > a.wallMs ? b : a), { wallMs: 0, threadMs: 0 });
    expect(loop.wallMs, JSON.stringify(seenFirst)).toBeGreaterThanOrEqual(115);
    expect(loop.threadMs).toBeGreaterThan(0);
    expect(loop.threadMs).toBeLessThanOrEqual(loop.wallMs);

    const mainThread = await traceMainThread(page, server.origin);
    await page.goto(`${server.origin}/?shard=${encodeURIComponent(server.shardUrl!)}&backend=wasm&layout=umap&epochs=2`);
    const seen = new Set<string>();
    const stagesSeen = new Set<string>();
    let last: Snapshot | undefined;
    const started = Date.now();
    // A click before the net exists (while the map is laid out or the net trains) is answered by look.
    let early: Awaited<ReturnType<Window['__simage']['search']>> | undefined;
    let earlyId = '';
    for (let round = 0; ; round++) {
      const s = await snapshot(page);
      if (s.error) throw new Error(`app error: ${s.error}`);
      for (const [name, st] of Object.entries(s.stages)) if (st.status === 'running') stagesSeen.add(name);
      if (!early && (s.stages.embedding.status === 'running' || s.stages.train.status === 'running')) {
        earlyId = (await page.evaluate(() => window.__simage.imageIds()[3])) as string;
        early = await page.evaluate((id) => window.__simage.search(id), earlyId);
      }
      if (s.report) {
        last = s;
        break;
      }
      if (Date.now() - started > 25 * 60_000) throw new Error(`timed out; last state ${JSON.stringify(s.stages)}`);
      await interact(page, s, round, seen);
      await new Promise((r) => setTimeout(r, 250));
    }
    const report = last.report!;
    expect(report.shard.images).toBe(COUNT);
    expect(report.features.computed + report.features.cached).toBe(COUNT);
    // Every image went through extraction; one forward pass per distinct content.
    expect(last.runInfo.featurePlan).toEqual({ images: COUNT, cached: 0, toCompute: UNIQUE });
    expect(report.features).toMatchObject({ computed: COUNT, cached: 0, forward_passes: UNIQUE });
    expect(report.embedding).toMatchObject({ layout: 'umap', images: COUNT });
    expect(stagesSeen).toEqual(new Set(['load', 'features', 'embedding', 'train']));

    // That click's answer was by look, among every image (all have features by then); when the net was ready it
    // was answered again by the net, and the page says so.
    expect(early).toMatchObject({ ranking: 'look-alike', indexed: COUNT, error: null });
    expect(early!.results).toHaveLength(100);
    await page.getByTestId('reanswered').waitFor();
    expect(await page.getByTestId('ranking').getAttribute('data-ranking')).toBe('trained');
    expect(await page.getByTestId('selected-id').textContent()).toBe(earlyId);

    // After the run: the map coloured by a label, then searches by clicking gallery cells.
    await page.getByTestId('colour-by').selectOption({ index: 1 });
    for (let round = 0; round < 4; round++) await interact(page, last, round, seen);
    await page.getByTestId('view-grid').click();
    const gallery = page.getByTestId('gallery');
    await gallery.scrollIntoViewIfNeeded();
    for (let i = 0; i < 5; i++) {
      // Far down the grid each time (the scroll settles before the click).
      await gallery.evaluate((el, top) => (el.scrollTop = top), i * 40_000);
      await page.waitForTimeout(200);
      const cell = gallery.locator('button.cell').nth(8);
      const id = await cell.getAttribute('data-image-id');
      await cell.click();
      await expect.poll(() => page.getByTestId('selected-id').textContent()).toBe(id);
      await expect.poll(() => page.locator('[data-testid=results] button.result').count(), { timeout: 60_000 }).toBe(100);
    }
    seen.add('search');
    expect([...seen].sort()).toEqual(['gallery hover', 'gallery scroll', 'map', 'map while the layout runs', 'search'].sort());

    const tasks = await mainThread();
    const t = report.timings_s;
    console.info(
      `[load] ${COUNT} images (${report.features.forward_passes} forward passes, ${report.features.per_s.toFixed(2)}/s); load ${t.load.toFixed(1)} s, features ${t.features.toFixed(1)} s, umap ${(t.umap ?? 0).toFixed(1)} s, train ${(t.train ?? 0).toFixed(1)} s; ` +
        `main-thread tasks over 50 ms: ${tasks.length} (wall/thread ms: ${tasks.map((x) => `${x.wallMs}/${x.threadMs}`).join(', ')}), longest ${Math.max(0, ...tasks.map((x) => x.threadMs))} ms of thread time, ${Math.max(0, ...tasks.map((x) => x.wallMs))} ms wall`,
    );
    expect(Math.max(0, ...tasks.map((x) => x.threadMs))).toBeLessThan(200);
    expect(Math.max(0, ...tasks.map((x) => x.wallMs))).toBeLessThan(1000);
  });

  it('during an extraction of 10,000 distinct images the gallery scrolls, a click is answered by look, progress shows rate and ETA, and Cancel keeps what was computed', async () => {
    // Every file has its own bytes: 10,000 forward passes to do (about 40 minutes here), of which the test watches
    // the first 20 seconds while it works the gallery, then cancels.
    const shard = makeLoadShard(COUNT, UNIQUE, { distinctBytes: true, offset: 1400 });
    const server = await serve({ root: join(ROOT, 'dist'), shard: shard.dir });
    cleanups.push(() => server.close());
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    const mainThread = await traceMainThread(page, server.origin);
    await page.goto(`${server.origin}/?shard=${encodeURIComponent(server.shardUrl!)}&backend=wasm`);
    const seen = new Set<string>();
    const pings: number[] = [];
    let s = await snapshot(page);
    for (let round = 0; !(s.stages.features.status === 'running' && (s.stages.features.progress?.done ?? 0) > 0); round++) {
      if (s.error) throw new Error(`app error: ${s.error}`);
      await interact(page, s, round, seen);
      await new Promise((r) => setTimeout(r, 250));
      s = await snapshot(page);
    }
    expect(s.runInfo.featurePlan).toEqual({ images: COUNT, cached: 0, toCompute: COUNT });
    const watchUntil = Date.now() + 20_000;
    for (let round = 0; Date.now() < watchUntil; round++) {
      await interact(page, s, round, seen);
      const t0 = Date.now();
      s = await snapshot(page);
      pings.push(Date.now() - t0);
      expect(s.stages.features.status).toBe('running');
    }
    // Answers from the first feature: a click while features are computed ranks by look among those done so far.
    const first = (await page.evaluate(() => window.__simage.imageIds()[0])) as string;
    const early = (await page.evaluate((id) => window.__simage.search(id), first))!;
    expect(early).toMatchObject({ ranking: 'look-alike', error: null });
    expect(early.results.length).toBeGreaterThan(0);
    expect(early.indexed).toBeGreaterThan(early.results.length);
    await expect.poll(() => page.getByTestId('ranking').getAttribute('data-ranking')).toBe('look-alike');
    await page.getByTestId('early-note').waitFor();
    s = await snapshot(page);
    const progress = s.stages.features.progress as { done: number; total: number; perSec: number; etaS: number | null };
    expect(progress.total).toBe(COUNT);
    expect(progress.perSec).toBeGreaterThan(0);
    expect(progress.etaS).toBeGreaterThan(60);
    await page.getByTestId('cancel').click();
    await expect.poll(() => snapshot(page).then((x) => x.stages.features.status), { timeout: 60_000 }).toBe('cancelled');
    // What was computed is kept, and the page says how much.
    const stored = (await page.evaluate(() => window.__simage.cacheCounts())).features as number;
    expect(stored).toBeGreaterThanOrEqual(progress.done);
    await expect.poll(() => page.getByTestId('count-features').textContent()).toBe(String(stored));
    // The step itself says that its work is kept (a share, or a count below 1%).
    expect(await page.getByTestId('kept-features').textContent()).toMatch(/^(\d+%|\d[\d,]*) kept$/);
    expect(seen.has('gallery scroll')).toBe(true);

    const tasks = await mainThread();
    console.info(
      `[load, distinct] ${COUNT} images to extract; watched ${progress.done} computed at ${progress.perSec.toFixed(2)}/s (ETA ${Math.round(progress.etaS! / 60)} min), ${stored} stored after Cancel; ` +
        `slowest page round trip ${Math.max(...pings)} ms over ${pings.length}; main-thread tasks over 50 ms: ${tasks.length} (wall/thread ms: ${tasks.map((x) => `${x.wallMs}/${x.threadMs}`).join(', ')})`,
    );
    expect(Math.max(...pings)).toBeLessThan(1000);
    expect(Math.max(0, ...tasks.map((x) => x.threadMs))).toBeLessThan(200);
    expect(Math.max(0, ...tasks.map((x) => x.wallMs))).toBeLessThan(1000);
  });
});

// Any collection in, through the page as a person does it: a Roboflow COCO export picked as a .zip (with hostile
// entries that are listed, not loaded) trains a net and writes its labels back as COCO JSON; an unlabelled camera
// roll picked as a folder is mapped from its features, searched by look (no training), and its planted copy is
// found as a duplicate group and as the first answer to a query with that photo. A folder opened through its handle
// (File System Access) and interrupted by a reload mid-features opens again with one button, computing only the rest.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import { ROOT, listFiles, makeShardFolder, packZip } from '../fixtures/make-shard';
import { makeCameraRoll, makeCocoExport } from '../fixtures/collections';
import { openBrowser, waitFor } from './helpers';
import { serve } from '../../scripts/serve.mjs';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The load view, whether the page shows it (first visit) or it is behind the top bar's button. */
async function loadView(page: Page) {
  const open = page.getByTestId('open-shard');
  if (await open.isVisible()) await open.click();
}

const shot = async (page: Page, name: string) => {
  if (process.env.SIMAGE_SHOTS) await page.screenshot({ path: join(process.env.SIMAGE_SHOTS, `${name}.png`) });
};

describe('any collection in', () => {
  it('loads a COCO zip and an unlabelled camera roll through the page', async () => {
    const server = await serve({ root: join(ROOT, 'dist') });
    cleanups.push(() => server.close());
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    await page.goto(`${server.origin}/?backend=wasm&model=mobilenet-v2&epochs=6`);
    await page.waitForFunction(() => !!window.__simage);

    // COCO, as Roboflow exports it, zipped.
    const coco = makeCocoExport();
    const zip = join(mkdtempSync(join(tmpdir(), 'simage-coco-zip-')), 'emoji.v1i.coco.zip');
    writeFileSync(zip, await packZip(coco.dir));
    await loadView(page);
    await page.getByTestId('pick-archive').first().setInputFiles(zip);
    const done = await waitFor(page, (s) => s.report !== null, 5 * 60_000);
    const r = done.report!;
    expect(r.shard).toMatchObject({ format: 'coco', images: 24, labelled: 24, labels: 2, train: 16, validation: 8, test: 0 });
    const reasons = r.shard.skipped.map((x) => `${x.id}: ${x.reason}`).join('\n');
    expect(reasons).toMatch(/passwd.*leads out of the collection/);
    expect(reasons).toMatch(/missing\.jpg/);
    expect(reasons).toMatch(/unknown image/);
    expect(reasons).toMatch(/unknown categor/);
    expect(reasons).toMatch(/README\.roboflow\.txt: not used/);
    for (const [id, want] of [...coco.expected].slice(0, 6)) {
      const names = await page.evaluate((imageId) => window.__simage.imageLabels(imageId), id);
      expect([...new Set(names)].sort()).toEqual(want.labels);
    }
    expect(r.search).toMatchObject({ by: 'net' });
    await page.getByTestId('tab-details').click();
    await expect.poll(() => page.getByTestId('shard-format').textContent()).toMatch(/Read as COCO/);
    await shot(page, 'coco-details');
    // Labels back out as COCO JSON: the same images and categories, one whole-image annotation per label.
    const out = await page.evaluate(() => window.__simage.labelsInFormat());
    expect(out.written).toBe('coco');
    // (packZip wraps the collection in `shard/`.)
    expect(out.files.map((f) => f.path).sort()).toEqual(['shard/train/_annotations.coco.json', 'shard/valid/_annotations.coco.json']);
    const written = JSON.parse(out.files.find((f) => f.path.startsWith('shard/valid'))!.text);
    const original = JSON.parse(readFileSync(join(coco.dir, 'valid', '_annotations.coco.json'), 'utf8'));
    expect(written.images).toEqual(original.images);
    expect(written.categories).toEqual(original.categories);
    expect(written.info.description).toMatch(/image-level/i);
    const want = [...coco.expected.values()].filter((e) => e.split === 'validation').reduce((n, e) => n + e.labels.length, 0);
    expect(written.annotations).toHaveLength(want);

    // An unlabelled camera roll, picked as a folder.
    const roll = makeCameraRoll(20);
    await loadView(page);
    await page.getByTestId('pick-folder').first().setInputFiles(roll.dir);
    const rolled = await waitFor(page, (s) => s.report !== null && s.report.shard.format === 'none', 5 * 60_000);
    const rr = rolled.report!;
    expect(rr.shard).toMatchObject({ format: 'none', images: 21, labelled: 0 });
    expect(rr.shard.labels_unusable).toMatch(/no labels/);
    expect(rr.net).toBeUndefined();
    expect(rr.search).toMatchObject({ by: 'look', images: 21 });
    expect(rr.embedding).toMatchObject({ from: 'features', images: 21 });
    expect(rr.duplicates!.groups).toContainEqual({ ids: [roll.original, roll.copy], kind: 'exact', leak: expect.any(Boolean) });
    await page.waitForFunction(() => document.documentElement.dataset.stage === 'ready');
    // The photo itself, dropped as a query, comes back first (it or its copy: the same bytes).
    const b64 = readFileSync(roll.firstFile).toString('base64');
    const found = await page.evaluate(([name, data]) => window.__simage.searchFileBytes(name, data), ['dropped.png', b64] as const);
    expect([roll.original, roll.copy]).toContain(found!.results[0].imageId);
    expect(found!.results[0].score).toBeGreaterThan(0.999);
    // A click on the map answers by look; the Duplicates tab lists the copy with its thumbnails.
    await page.evaluate(() => window.__simage.search('IMG_1005'));
    await expect.poll(() => page.getByTestId('results').locator('[data-image-id]').count()).toBeGreaterThan(5);
    await shot(page, 'roll-results');
    await page.getByTestId('tab-duplicates').click();
    await expect.poll(() => page.getByTestId('duplicate-group').count()).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByTestId('duplicate-group').first().locator('img').count()).toBe(2);
    await shot(page, 'roll-duplicates');
    await page.getByTestId('tab-details').click();
    await expect.poll(() => page.getByTestId('model-summary').textContent()).toMatch(/Search by look/);
  });

  it('opens a folder again with one button after a reload in the middle of its features', async () => {
    // The folder is the browser's own (origin-private file system): its handle is the kind the directory picker
    // and a dropped folder give, which the page keeps.
    const shard = makeShardFolder(48, { withBad: false, offset: 600 });
    const files = listFiles(shard.dir).map((path) => ({ path, base64: readFileSync(join(shard.dir, path)).toString('base64') }));
    const server = await serve({ root: join(ROOT, 'dist') });
    cleanups.push(() => server.close());
    const { context, page } = await openBrowser();
    cleanups.push(() => context.close());
    await page.goto(`${server.origin}/?backend=wasm&epochs=2`);
    await page.waitForFunction(() => !!window.__simage);
    await page.evaluate(async (list) => {
      const root = await navigator.storage.getDirectory();
      const folder = await root.getDirectoryHandle('holiday photos', { create: true });
      for (const { path, base64 } of list) {
        let dir = folder;
        const parts = path.split('/');
        for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
        const w = await (await dir.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
        await w.write(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
        await w.close();
      }
      void window.__simage.openFolder(folder);
    }, files);
    await waitFor(page, (s) => s.stages.features.status === 'running' && (s.stages.features.progress?.done ?? 0) >= 4, 3 * 60_000);
    await page.reload();
    // The page shows what was stored and says so, with one button to go on.
    const again = page.getByTestId('open-again');
    await expect.poll(() => again.textContent(), { timeout: 60_000 }).toBe('Open “holiday photos” again');
    const hint = (await page.evaluate(() => window.__simage.snapshot().resumeHint))!;
    const [, stored] = hint.match(/Features are stored for (\d+) of 48 images of "holiday photos"\. Open it again/)!;
    await shot(page, 'open-again');
    await again.click();
    const done = await waitFor(page, (s) => s.report !== null, 5 * 60_000);
    expect(done.report!.shard.images).toBe(48);
    // Nothing stored was computed again.
    expect(done.runInfo.featurePlan).toEqual({ images: 48, cached: Number(stored), toCompute: 48 - Number(stored) });
    expect(await again.count()).toBe(0);
  });
});

// Remakes the README's screenshots (docs/img/) and the set of views at 1280 x 800, from the built app
// (`npm run build` first) on a 300-image subset of the demo shard, trained with the default settings (k = 20):
// the first visit, features running, a query with its results (grid, a result under the pointer, list), the map zoomed in to thumbnails, a lasso selection,
// the label review, a query minus a label word, a figure explained with the training curves, the per-label quality table, the settings panel, and the grid with
// a label filter at 1920 x 1080.
// Run: npx tsx scripts/screenshots.ts [out-dir] (default docs/img; the views the README does not show go to
// out-dir/more/, which git ignores).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';
import { makeDemoSubset, ROOT } from '../tests/fixtures/make-shard';

const out = process.argv[2] ?? join(ROOT, 'docs/img');
const more = join(out, 'more');
mkdirSync(more, { recursive: true });

const server = await serve({ root: join(ROOT, 'dist'), shard: makeDemoSubset(150).dir });
const { context } = await launch();
const page = context.pages()[0] ?? (await context.newPage());
await page.setViewportSize({ width: 1280, height: 800 });
try {
  await page.goto(`${server.origin}/?settings=defaults&backend=wasm`);
  await page.getByTestId('demo-small').waitFor();
  await page.screenshot({ path: join(out, 'first-visit.png') });

  await page.goto(`${server.origin}/?settings=defaults&backend=wasm&k=20&shard=${encodeURIComponent(server.shardUrl!)}`);
  await page.waitForFunction(() => document.documentElement.dataset.stage === 'features', null, { timeout: 120_000 });
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(more, 'features-running.png') });

  await page.waitForFunction(() => document.documentElement.dataset.stage === 'ready', null, { timeout: 600_000 });
  const id = await page.evaluate(() => window.__simageMap!.imageIdAt(7));
  const at = await page.evaluate((i) => window.__simageMap!.screenOf(i!), id);
  await page.mouse.click(at!.x, at!.y);
  await page.locator('[data-testid=results] [data-image-id]').first().waitFor();
  await page.mouse.move(5, 790); // off the map, so no hover card covers it
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(out, 'query.png') });
  // The result under the pointer, then the same results as a list.
  await page.locator('[data-testid=results] button.result').nth(2).hover();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(more, 'results-hover.png') });
  await page.getByTestId('results-list').click();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(more, 'results-list.png') });
  await page.getByTestId('results-grid').click();

  // Zoom in about the query until thumbnails replace the points.
  const map = page.getByTestId('map-canvas');
  for (let i = 0; i < 14 && (i < 3 || (await page.evaluate(() => window.__simageMap!.thumbnailsDrawn())) < 4); i++) {
    await page.mouse.move(at!.x, at!.y);
    await page.mouse.wheel(0, -400);
    await page.waitForTimeout(400);
  }
  await page.mouse.move(5, 790);
  await page.waitForTimeout(1200);
  await page.screenshot({ path: join(out, 'thumbnails.png') });

  // A lasso around the middle of the map.
  await map.press('0');
  const box = (await map.boundingBox())!;
  const cx = box.x + box.width / 2,
    cy = box.y + box.height / 2;
  await page.getByTestId('tool-lasso').click();
  await page.mouse.move(cx - 150, cy - 120);
  await page.mouse.down();
  for (let a = 0; a <= 2 * Math.PI; a += Math.PI / 16) await page.mouse.move(cx + 170 * Math.cos(a) - 20, cy + 140 * Math.sin(a));
  await page.mouse.up();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(more, 'lasso.png') });

  // Labels both ways: the review of the labels the model disagrees with (three decided by keyboard), then the
  // query refined by a label word, then the per-label quality table.
  await map.press('Escape');
  await page.getByTestId('tab-review').click();
  await page.getByTestId('review-list').waitFor({ timeout: 120_000 });
  await page.getByTestId('review-list').focus();
  for (const key of ['a', 'r', 'a']) await page.keyboard.press(key);
  await page.waitForTimeout(600);
  await page.screenshot({ path: join(out, 'review.png') });
  await page.getByTestId('tab-results').click();
  await page.mouse.click(at!.x, at!.y);
  await page.getByTestId('query-word').fill('flag');
  await page.getByTestId('query-word').press('Shift+Enter');
  await page.waitForTimeout(1500);
  await page.mouse.move(5, 790);
  await page.screenshot({ path: join(more, 'query-minus-word.png') });
  await page.getByTestId('tab-details').click();
  // A figure explained: the oracle row's name focused, its sentence and link shown; the curves with their axes.
  await page.getByTestId('curve-loss').scrollIntoViewIfNeeded();
  await page.locator('[data-testid=evaluation] [data-term=oracle] button').focus();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(more, 'figure-explained.png') });
  // A figure at the window's right edge: its meaning stays whole inside the window.
  await page.locator('[data-testid=evaluation] [data-term=map] button').first().hover();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(more, 'figure-explained-edge.png') });
  await page.getByTestId('curve-loss').scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(more, 'curves.png') });
  await page.getByTestId('label-quality').scrollIntoViewIfNeeded();
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(more, 'label-quality.png') });

  await page.getByTestId('settings-button').click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(more, 'settings.png') });
  await page.keyboard.press('Escape');

  // The same workspace on a large screen, in the grid with a label filter.
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.keyboard.press('Escape');
  await page.getByTestId('view-grid').click(); // the open query's results framed in the grid
  await page.waitForTimeout(1200);
  await page.screenshot({ path: join(more, 'grid-results.png') });
  await page.getByTestId('label-filter').fill('people');
  await page.getByTestId('label-filter').press('Enter');
  await page.getByTestId('view-grid').click();
  await page.waitForTimeout(1200);
  await page.screenshot({ path: join(more, 'grid-1920x1080.png') });
  console.log(`screenshots in ${out} and ${more}`);
} finally {
  await context.close();
  await server.close();
}

import { join } from 'node:path';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';
import { buildIfNeeded, ROOT } from './build-if-needed.mjs';
buildIfNeeded();
const shard = process.argv[2] ?? join(ROOT, 'public/shards/demo-small');
const profile = process.argv[3] ?? '/tmp/prof-small';
const out = '/tmp/look';
const server = await serve({ root: join(ROOT, 'dist'), shard, port: 4317 });
const { context } = await launch({ profile, serviceWorkers: 'block' });
const page = context.pages()[0] ?? (await context.newPage());
page.on('pageerror', (e) => console.log('[pageerror]', e.message));
page.on('console', (m) => { if (m.type() === 'error') console.log('[console]', m.text()); });
try {
  await page.goto(`${server.origin}/?settings=defaults&backend=wasm&shard=${encodeURIComponent(server.shardUrl!)}`);
  await page.waitForFunction(() => document.documentElement.dataset.stage === 'ready', null, { timeout: 600_000 });
  const id = await page.evaluate(() => window.__simageMap!.imageIdAt(7));
  const at = await page.evaluate((i) => window.__simageMap!.screenOf(i!), id);
  await page.mouse.click(at!.x, at!.y);
  await page.locator('[data-testid=results] [data-image-id]').first().waitFor();
  await page.mouse.move(5, 790);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(out, '1-query.png') });
  await page.getByTestId('query-word').fill('flag');
  await page.getByTestId('query-word').press('Enter');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(out, '2-query-plus.png') });
  await page.getByTestId('tab-review').click();
  await page.getByTestId('review-list').waitFor({ timeout: 120_000 });
  await page.getByTestId('review-list').focus();
  await page.keyboard.press('a');
  await page.keyboard.press('r');
  await page.keyboard.press('a');
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, '3-review.png') });
  await page.getByTestId('tab-details').click();
  await page.getByTestId('label-quality').scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, '4-details.png') });
  // labels-only query
  await page.getByTestId('tab-results').click();
  await page.keyboard.press('Escape');
  await page.waitForTimeout(1000);
  await page.screenshot({ path: join(out, '5-words-only.png') });
  console.log('tally', await page.getByTestId('review-tally').textContent());
} finally {
  await context.close();
  await server.close();
}

import { join } from 'node:path';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';
import { ROOT } from '../tests/fixtures/make-shard';
const server = await serve({ root: join(ROOT, 'dist'), shard: '/tmp/parts/part-1' });
const { context } = await launch();
const page = context.pages()[0] ?? (await context.newPage());
await page.setViewportSize({ width: 1280, height: 800 });
try {
  await page.goto(`${server.origin}/?settings=defaults&backend=wasm`);
  await page.getByTestId('demo-small').waitFor();
  await page.screenshot({ path: '/tmp/look-first.png' });
  await page.setInputFiles('[data-testid=open-project]', '/tmp/parts/whole.simage');
  await page.waitForFunction(
    () => {
      const p = window.__simage.snapshot().project;
      return p && !p.running;
    },
    null,
    { timeout: 60000 },
  );
  await page.waitForFunction(() => document.documentElement.dataset.stage === 'ready', null, { timeout: 60000 }).catch(() => {});
  await page.waitForTimeout(1500);
  await page.screenshot({ path: '/tmp/look-imported.png' });
  await page
    .getByRole('button', { name: /settings/i })
    .first()
    .click();
  await page.waitForTimeout(500);
  await page.getByText('Project file', { exact: true }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/look-settings.png' });
} finally {
  await context.close();
  await server.close();
}

// examples/query-page.html as a person uses it: a static page with simage/model's browser module (one ES module,
// tfjs inside) picks a model file and an image and lists the nearest images: the same ranking as Node's library.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { serve } from '../../scripts/serve.mjs';
import { openWith } from '../../src/lib/model/core';
import { nodePlatform } from '../../src/lib/model/node';
import { exportedFile, pageModel, randomImage } from '../fixtures/standalone-model';
import { pngBytes } from '../fixtures/reencode';
import { ROOT } from '../fixtures/make-shard';
import { openBrowser } from './helpers';

describe('the model file in any page (examples/query-page.html)', () => {
  it('answers a picked image with the ranking Node gives, and says why a damaged file cannot be opened', async () => {
    expect(spawnSync(process.execPath, ['scripts/build-model.mjs'], { cwd: ROOT, encoding: 'utf8' }).status).toBe(0);
    await tf.setBackend('cpu');
    const dir = mkdtempSync(join(tmpdir(), 'simage-model-page-'));
    const file = await exportedFile(await pageModel(), true);
    const modelPath = join(dir, 'test.simage-model.zip');
    writeFileSync(modelPath, new Uint8Array(await file.arrayBuffer()));
    // 30 x 20 to the tiny net's 16 x 16: no side shrinks by 2, where the page's resize and the library's agree.
    const imagePath = join(dir, 'photo.png');
    const png = await pngBytes(randomImage(30, 20, 21));
    writeFileSync(imagePath, png);
    const node = await openWith(file, nodePlatform);
    const want = (await node.query(png, { top: 10 })).neighbours.map((n) => n.id);
    node.dispose();

    const server = await serve({ root: ROOT });
    const { context, page } = await openBrowser();
    try {
      await page.goto(`${server.origin}/examples/query-page.html`);
      await page.setInputFiles('#model', modelPath);
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.includes('12 references'), null, {
        timeout: 60_000,
      });
      await page.setInputFiles('#image', imagePath);
      await page.waitForFunction(() => document.querySelectorAll('#out li').length === 10, null, { timeout: 60_000 });
      const got = await page.$$eval('#out li', (items) => items.map((li) => li.textContent!.split(' ')[0]));
      expect(got).toEqual(want);
      expect(await page.textContent('#status')).toMatch(/^Labels: (Apple|Bus|Cat|Dog)/);
      // A damaged file: the page's status is the library's sentence.
      const damaged = join(dir, 'damaged.zip');
      writeFileSync(damaged, new Uint8Array(await file.slice(0, 3000).arrayBuffer()));
      await page.setInputFiles('#model', damaged);
      await page.waitForFunction(() => /damaged|not a usable/.test(document.getElementById('status')!.textContent!), null, {
        timeout: 30_000,
      });
    } finally {
      await context.close();
      await server.close();
    }
  }, 180_000);
});

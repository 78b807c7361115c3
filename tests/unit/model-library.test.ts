import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { openWith, type Platform } from '../../src/lib/model/core';
import { nodePlatform } from '../../src/lib/model/node';
import { answerImage, answerWords } from '../../src/lib/retrieval/searcher';
import { unpackModelFile } from '../../src/lib/retrieval/modelfile';
import { exportedFile, pageModel, randomImage, type PageModel } from '../fixtures/standalone-model';
import { json, rewrite } from '../fixtures/model-files';

let page: PageModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  page = await pageModel();
}, 60_000);

/** A platform whose install holds these weights (the file does not embed them). */
const installed = (weights: Uint8Array): Platform => ({
  prepare: nodePlatform.prepare,
  extractor: async () => ({ modelJson: page.extractor.modelJson, weights }),
});

describe('a version-2 model file answers as the page does', () => {
  it('ranks, scores and tags exactly as the page engine for the same features, with and without label words', async () => {
    const model = await openWith(await exportedFile(page, true), nodePlatform);
    expect(model.manifest.version).toBe(2);
    expect(model.manifest.collection).toEqual({ predicted: 8, heldOut: 3, referenceFeatures: true, copies: 'phash-256' });
    for (const [w, h, seed] of [
      [20, 24, 1],
      [16, 16, 2],
      [9, 30, 3],
    ]) {
      const image = randomImage(w, h, seed);
      const x = await model.features(image);
      expect(x.length).toBe(6);
      for (const ask of [{ k: 5 }, { k: 8, includeHeldOut: true }, { k: 5, plus: ['/m/a'], minus: ['/m/b'] }]) {
        const want = await answerImage(page.engine, x, ask);
        const got = await model.queryFeatures(x, { top: ask.k, includeHeldOut: ask.includeHeldOut, plus: ask.plus, minus: ask.minus });
        expect(got.neighbours.length).toBe(ask.k);
        expect(got.neighbours).toEqual(want.results.map((f) => ({ id: f.imageId, score: f.score, by: f.by })));
        expect(got.labels.map((l) => [l.label, l.score])).toEqual(want.tags.map((t) => [t.labelName, t.score]));
      }
      // An image in, the same answer as its features (and hash) in.
      const prepared = await nodePlatform.prepare(image, 16);
      expect(await model.query(image, { top: 5 })).toEqual(await model.queryFeatures(x, { top: 5, phash: prepared!.phash }));
    }
    // A copy of a collection image (its hash within 28 bits) is answered with that image first, as in the page; a
    // held-out original only when held-out images are asked for; a hash far from all, or an image whose hash is not
    // known, changes nothing.
    const hashOf = (id: string) => {
      const i = page.engine.copies!.ids.indexOf(id);
      return Array.from(page.engine.copies!.words.subarray(i * 8, i * 8 + 8));
    };
    const flip = (h: number[], bits: number) => h.map((w, i) => (i === 0 ? (w ^ ((2 ** bits - 1) >>> 0)) >>> 0 : w));
    for (const [id, bits, includeHeldOut, first] of [
      ['u2', 0, false, true],
      ['r5', 12, false, true],
      ['v1', 3, true, true],
      ['v1', 3, false, false],
      ['r7', 31, false, false],
      ['u4', 0, false, false],
    ] as const) {
      const at = page.images.findIndex((im) => im.imageId === id);
      const x = page.x.slice(at * 6, at * 6 + 6);
      const phash = flip(hashOf(id), bits);
      const want = await answerImage(page.engine, x, { k: 5, includeHeldOut, phash });
      const got = await model.queryFeatures(x, { top: 5, includeHeldOut, phash });
      expect(got.neighbours).toEqual(
        want.results.map((f) => ({
          id: f.imageId,
          score: f.score,
          by: f.by,
          ...(f.copyBits === undefined ? {} : { copyBits: f.copyBits }),
        })),
      );
      if (first) expect(got.neighbours[0]).toMatchObject({ id, copyBits: bits });
      else expect(got.neighbours.some((n) => n.copyBits !== undefined)).toBe(false);
      if (id === 'v1' && !includeHeldOut) expect(got.neighbours.map((n) => n.id)).not.toContain('v1');
    }

    const words = await model.queryLabels(['/m/c'], ['/m/a'], { top: 6 });
    expect(words.map((n) => n.id)).toEqual(answerWords(page.engine, { k: 6, plus: ['/m/c'], minus: ['/m/a'] }).map((f) => f.imageId));
    const tags = await model.tag(randomImage(12, 12, 4), 3);
    expect(tags.length).toBeGreaterThan(0);
    expect(tags[0].name).toMatch(/Apple|Bus|Cat|Dog/);
    // Validation images come back only when asked, as in the page.
    const all = await model.queryFeatures(await model.features(randomImage(16, 16, 5)), { top: 20 });
    expect(all.neighbours.some((n) => n.id.startsWith('v'))).toBe(false);
    model.dispose();
  }, 60_000);

  it("uses the install's base network when the file does not embed it, and refuses other weights with a sentence", async () => {
    const file = await exportedFile(page, false);
    const model = await openWith(file, installed(page.extractor.weights));
    expect(model.manifest.extractor?.embedded).toBe(false);
    model.dispose();
    const other = page.extractor.weights.slice();
    other[100] ^= 0xff;
    await expect(openWith(file, installed(other))).rejects.toThrow(/made with other inception-v3 weights .* its answers would be wrong/);
  }, 60_000);

  it('refuses damaged and incomplete files with a sentence each', async () => {
    const file = await exportedFile(page, true);
    await expect(openWith(file.slice(0, Math.floor(file.size * 0.6)), nodePlatform)).rejects.toThrow(/damaged|not a usable/);
    const flipped = await rewrite(file, 'predicted.bin', (b) => ((b[0] ^= 1), b));
    await expect(openWith(flipped, nodePlatform)).rejects.toThrow(/checksum of predicted.bin does not match/);
    const noCollection = await rewrite(file, 'manifest.json', (b) => {
      const m = json(b);
      delete m.files['collection.json'];
      return JSON.stringify(m);
    });
    await expect(openWith(noCollection, nodePlatform)).rejects.toThrow(/collection.json is not listed/);
    const missing = await rewrite(file, 'predicted.bin', () => new Uint8Array(0));
    await expect(openWith(missing, nodePlatform)).rejects.toThrow(/checksum of predicted.bin/);
    const badWeights = await rewrite(file, 'extractor/weights.bin', (b) => ((b[3] ^= 1), b));
    await expect(openWith(badWeights, nodePlatform)).rejects.toThrow(/checksum of extractor\/weights.bin/);
    const badLabels = await rewrite(file, 'collection.json', (b) => {
      const c = json(b);
      c.referenceLabels.colIdx[0] = 99;
      return JSON.stringify(c);
    });
    await expect(unpackModelFile(badLabels)).rejects.toThrow(/checksum of collection.json|references' labels/);
    await expect(openWith(new Uint8Array([1, 2, 3]), nodePlatform)).rejects.toThrow(/damaged or not a zip/);
  }, 60_000);

  it('reads a version-1 file (the page still imports it) but says it cannot answer on its own', async () => {
    const v1 = await rewrite(await exportedFile(page, false), 'manifest.json', (b) => {
      const m = json(b);
      m.version = 1;
      for (const key of ['extractor', 'preprocess', 'collection']) delete m[key];
      return JSON.stringify(m);
    });
    expect((await unpackModelFile(v1)).manifest.version).toBe(1);
    await expect(openWith(v1, nodePlatform)).rejects.toThrow(/version-1 model file: .* still imports into simage/);
  }, 60_000);
});

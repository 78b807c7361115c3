// Faults met on purpose, through `npm run pipeline --inject` as a person would run it: a reload in the middle of
// each stage, a full disk, a lost or exhausted GPU. Each run must finish, recompute nothing it had stored, read no
// half-written record back, and say in its report what happened and how it was survived.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { makeLoadShard, makeShardFolder } from '../fixtures/make-shard';
import { parseArgs, runPipeline } from '../../scripts/pipeline';

interface FaultEntry {
  fault: string;
  met: boolean;
  survived: boolean;
  how: string;
  message?: string;
  stored_before?: { features: number; embeddings: number; models: number };
  after?: { featurePlan: { images: number; cached: number; toCompute: number } | null; embeddingCached: boolean; netReused: boolean };
}

async function run(shard: string, args: string[], inspect: ((page: Page) => Promise<void>) | null = null) {
  const lines: string[] = [];
  const report = await runPipeline(parseArgs([shard, '--port', '0', '--timeout-s', '600', ...args]), {
    onProgress: (l: string) => lines.push(l),
    inspect,
  });
  const faults = report.faults as FaultEntry[];
  const byName = Object.fromEntries(faults.map((f) => [f.fault, f]));
  return { report, faults: byName, lines };
}

describe('faults injected into a whole pipeline run', () => {
  it('the page closed during features, embedding and training: each reopening goes on from what was stored, nothing is computed twice', async () => {
    // 1,500 ImageIDs over 24 distinct images (24 forward passes), nearly every label row distinct: an embedding
    // and a training run long enough to be cut off in the middle.
    const shard = makeLoadShard(1500, 24, { tags: 499, offset: 200 });
    const { report, faults, lines } = await run(shard.dir, [
      '--backend',
      'wasm',
      '--batch',
      '4',
      '--epochs',
      '6',
      '--inject',
      'reload-during=features,reload-during=embedding,reload-during=train',
    ]);
    expect(lines.filter((l) => l.startsWith('[inject] closed the page during'))).toHaveLength(3);
    console.info(
      `[close during stages] ${lines.filter((l) => l.startsWith('[inject]')).join(' | ')}; last run's timings ${JSON.stringify(report.timings_s)}`,
    );
    const f = faults['reload-during=features'];
    expect(f.met).toBe(true);
    // Closed mid-extraction: the stored batches are found again (every image that shows one of those contents),
    // only the other contents are computed.
    expect(f.stored_before!.features).toBeGreaterThan(0);
    expect(f.stored_before!.features).toBeLessThan(24);
    expect(f.stored_before!.embeddings).toBe(0);
    expect(f.after!.featurePlan!.toCompute).toBe(24 - f.stored_before!.features);
    expect(f.after!.featurePlan!.cached).toBeGreaterThanOrEqual(f.stored_before!.features);
    const e = faults['reload-during=embedding'];
    expect(e.met).toBe(true);
    expect(e.stored_before!.features).toBe(24);
    expect(e.after!.featurePlan).toMatchObject({ images: 1500, cached: 1500, toCompute: 0 });
    // Cut off before it was stored: computed again from the stored features and labels.
    expect(e.stored_before!.embeddings).toBe(0);
    expect(e.after!.embeddingCached).toBe(false);
    const t = faults['reload-during=train'];
    expect(t.met).toBe(true);
    expect(t.after!.featurePlan).toMatchObject({ cached: 1500, toCompute: 0 });
    expect(t.stored_before!.embeddings).toBe(1);
    expect(t.after!.embeddingCached).toBe(true); // stored before training began: reused
    expect(t.stored_before!.models).toBe(0);
    expect(t.after!.netReused).toBe(false);
    for (const entry of [f, e, t]) {
      expect(entry.survived).toBe(true);
      expect(entry.how).toMatch(/^closed and reopened; the next run found \d+ of 1500 images' features stored/);
    }
    // The last run computed nothing already stored, finished, and every stored record reads back whole.
    expect(report.features).toMatchObject({ computed: 0, cached: 1500, forward_passes: 0 });
    expect(report.net).toMatchObject({ reused: false });
    expect(report.evaluation!.queries).toBeGreaterThan(0);
    expect(report.cache_check).toEqual({ features: 24, malformed: 0 });
  });

  it('a full disk: the person is told what is stored and what to do, what was stored stays, the next run resumes', async () => {
    const shard = makeShardFolder(16, { withBad: false, offset: 300 });
    const { report, faults } = await run(shard.dir, ['--backend', 'wasm', '--batch', '4', '--epochs', '2', '--inject', 'quota']);
    const q = faults.quota;
    expect(q.met).toBe(true);
    expect(q.message).toMatch(
      /^The browser refused to store more data \(storage quota reached\)\. This site stores [\d.]+ [MG]B of the [\d.]+ [MG]B the browser allows it\. Everything stored so far stays readable\./,
    );
    expect(q.stored_before!.features).toBe(8); // two batches of 4 written before the refusal
    expect(q.after!.featurePlan).toMatchObject({ images: 16, cached: 8, toCompute: 8 });
    expect(q.survived).toBe(true);
    expect(report.features).toMatchObject({ computed: 8, cached: 8 });
    expect(report.cache_check).toEqual({ features: 16, malformed: 0 });
  });

  for (const fault of ['device-lost', 'oom'] as const) {
    it(`the WebGPU device ${fault === 'oom' ? 'runs out of memory' : 'is lost'} mid-run: features and training go on on the next backend and the report says so`, async () => {
      const shard = makeShardFolder(6, { withBad: false, offset: fault === 'oom' ? 400 : 410 });
      let shown: string[] = [];
      const { report, faults } = await run(
        shard.dir,
        // MobileNetV2: an image takes about 3 s on the software WebGPU adapter, Inception v3 about 21 s; the
        // fallback is the backend session's, the same for either model.
        ['--backend', 'webgpu', '--model', 'mobilenet-v2', '--batch', '1', '--epochs', '3', '--inject', fault],
        async (page) => {
          // (as read: the markup's line breaks are spaces on the page)
          shown = (await page.getByTestId('fallback').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
        },
      );
      // The page says so too, under the load report.
      expect(shown).toHaveLength(2);
      expect(shown[0]).toMatch(/^features: webgpu gave out after 1 image \(.+\); wasm finished the work$/);
      expect(shown[1]).toMatch(/^train: webgpu gave out after 1 epoch \(.+\); wasm finished the work$/);
      const reason = fault === 'oom' ? /WebGPU ran out of memory/ : /the WebGPU device was lost/;
      expect(report.backend_fallbacks).toHaveLength(2);
      const [feat, train] = report.backend_fallbacks;
      expect(feat).toMatchObject({ stage: 'features', from: 'webgpu', to: 'wasm', after: 1 });
      expect(feat.reason).toMatch(reason);
      expect(train).toMatchObject({ stage: 'train', from: 'webgpu', to: 'wasm', after: 1 });
      expect(train.reason).toMatch(reason);
      expect(faults[fault]).toMatchObject({ met: true, survived: true });
      expect(faults[fault].how).toMatch(/features: webgpu -> wasm after 1 image .*train: webgpu -> wasm after 1 epoch /);
      // Finished: every image has features (the first batch's, from WebGPU, kept), the net trained and was scored.
      expect(report.features.computed + report.features.cached).toBe(6);
      expect(report.net).toMatchObject({ reused: false });
      expect(report.evaluation!.queries).toBeGreaterThan(0);
      expect(report.cache_check).toEqual({ features: 6, malformed: 0 });
    });
  }
});

// Shared helpers for browser tests: a fresh Chromium profile per test, and waits on the app's own state.
import type { BrowserContext, Page } from 'playwright-core';
// @ts-expect-error plain JS module
import { launch } from '../../scripts/browser.mjs';

export interface Snapshot {
  stages: Record<'load' | 'features' | 'embedding' | 'train', { status: string; progress: { done: number; total: number | null } | null }>;
  report: null | {
    shard: { images: number; labelled: number; labels: number; train: number; validation: number; skipped: { id: string; reason: string }[] };
    backend: string;
    model: string;
    timings_s: { load: number; features: number; svd?: number; tsne?: number; umap?: number; train?: number; evaluate?: number };
    features: { computed: number; cached: number; per_s: number };
    embedding?: { layout: string; k: number; cached: boolean; unique_label_rows: number };
    net?: { head: string; layer: string; target: string; references: number; epochs: number; best_epoch: number; reused: boolean };
    evaluation?: {
      similar_set_score: number;
      k?: number;
      queries?: number;
      score?: Record<'trained' | 'feature_knn' | 'random' | 'oracle', number>;
      precision_at_k?: Record<'trained' | 'feature_knn' | 'random' | 'oracle', number>;
      map?: Record<'trained' | 'feature_knn' | 'random' | 'oracle', number>;
    };
  };
  error: string | null;
  images: number;
  featureCount: number;
}

export async function openBrowser(profile: string | null = null): Promise<{ context: BrowserContext; page: Page }> {
  const { context } = await launch({ profile });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err: Error) => console.error('[pageerror]', err.message));
  return { context, page };
}

export const snapshot = (page: Page) => page.evaluate(() => (window as unknown as { __simage: { snapshot(): unknown } }).__simage.snapshot()) as Promise<Snapshot>;

/** Polls the app until `done(snapshot)` holds; fails fast with the app's own error sentence. */
export async function waitFor(page: Page, done: (s: Snapshot) => boolean, timeoutMs: number): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await snapshot(page).catch(() => null);
    if (s?.error) throw new Error(`app error: ${s.error}`);
    if (s && done(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out; last state ${JSON.stringify(s?.stages)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export const reportReady = (s: Snapshot) => s.report !== null;

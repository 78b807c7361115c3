// Shared helpers for browser tests: a fresh Chromium profile per test, and waits on the app's own state.
import type { BrowserContext, Page } from 'playwright-core';
import type { Snapshot } from '../../src/hook';
import { launch } from '../../scripts/browser.mjs';

export type { Snapshot };

export async function openBrowser(profile: string | null = null): Promise<{ context: BrowserContext; page: Page }> {
  const { context } = await launch({ profile });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err: Error) => console.error('[pageerror]', err.message));
  return { context, page };
}

export const snapshot = (page: Page) => page.evaluate(() => window.__simage.snapshot());

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

/** JPEGs (from the demo's emoji) and a 10,000 x 10,000 PNG, encoded by the browser itself (no binaries in git). */
export async function encodeTestImages(page: Page): Promise<{ jpegs: Uint8Array[]; huge: Uint8Array }> {
  const b64 = await page.evaluate(async () => {
    const toB64 = async (blob: Blob) => {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };
    const m = await (await fetch('shards/demo-small/manifest.json')).json();
    const pngs = (m.files as string[]).filter((f) => f.endsWith('.png')).slice(0, 3);
    const jpegs: string[] = [];
    for (const f of pngs) {
      const bitmap = await createImageBitmap(await (await fetch(`shards/demo-small/${f}`)).blob());
      const canvas = new OffscreenCanvas(256, 256);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, 256, 256);
      ctx.drawImage(bitmap, 0, 0, 256, 256);
      jpegs.push(await toB64(await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })));
    }
    const big = new OffscreenCanvas(10_000, 10_000);
    const g = big.getContext('2d')!;
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, 10_000, 10_000);
    g.fillStyle = '#e0402a';
    g.beginPath();
    g.arc(5_000, 5_000, 4_000, 0, 2 * Math.PI);
    g.fill();
    return { jpegs, huge: await toB64(await big.convertToBlob({ type: 'image/png' })) };
  });
  const dec = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
  return { jpegs: b64.jpegs.map(dec), huge: dec(b64.huge) };
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: {
    name?: string;
    frame?: string;
    data?: { frame?: string; processId?: number; url?: string; frames?: { frame?: string; processId?: number; url?: string }[] };
  };
}

/** The page's main-thread tasks over 50 ms, each with its wall time and its thread (CPU) time, from the DevTools
 *  timeline trace, for pages of `origin`. On two shared cores, while the page's own workers keep both cores busy,
 *  a task's wall time was 3 to 10 times its thread time (the main thread waits for a core; a trace of the
 *  10,000-image run: 173 ms wall, 40 ms thread), so the thread time is what measures the page's own work; the
 *  wall time says how long a person waited. */
export async function traceMainThread(page: Page, origin: string) {
  const cdp = await page.context().newCDPSession(page);
  const kept: TraceEvent[] = [];
  // Which process drew each frame, from any event that names a frame (a commit names its renderer's pid in Chromium
  // 156; in the bundled headless Chromium 153 a cross-origin-isolated navigation's commit does not, but the new
  // renderer's own events, such as SetLayerTreeId, name the frame).
  const framePids = new Map<string, Set<number>>();
  cdp.on('Tracing.dataCollected', ({ value }) => {
    for (const e of value as unknown as TraceEvent[]) {
      const frame = e.args?.frame ?? e.args?.data?.frame;
      if (frame) framePids.set(frame, (framePids.get(frame) ?? new Set()).add(e.pid));
      if (e.ph === 'M' || /FrameCommittedInBrowser|TracingStartedInBrowser/.test(e.name) || (e.name === 'RunTask' && (e.dur ?? 0) > 50_000))
        kept.push(e);
    }
  });
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['disabled-by-default-devtools.timeline', '__metadata'], excludedCategories: ['*'] },
    transferMode: 'ReportEvents',
  });
  return async (): Promise<{ wallMs: number; threadMs: number }[]> => {
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await done;
    await cdp.detach();
    // The renderer processes that showed a page of the origin, and their main threads.
    const pids = new Set<number>();
    for (const e of kept) {
      const frames = [...(e.args?.data?.frames ?? []), ...(e.args?.data ? [e.args.data] : [])];
      for (const f of frames) {
        if (!f.url?.startsWith(origin)) continue;
        if (f.processId) pids.add(f.processId);
        for (const pid of (f.frame && framePids.get(f.frame)) || []) pids.add(pid);
      }
    }
    const main = new Set(
      kept.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && pids.has(e.pid)).map((e) => `${e.pid}:${e.tid}`),
    );
    if (main.size === 0) throw new Error(`no main thread of a page of ${origin} in the trace`);
    return kept
      .filter((e) => e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`))
      .sort((a, b) => a.ts - b.ts)
      .map((e) => ({ wallMs: Math.round((e.dur ?? 0) / 1000), threadMs: Math.round((e.tdur ?? e.dur ?? 0) / 1000) }));
  };
}

/** Every dialog (alert, confirm, prompt) the page opens: an injected script would open one. Dismissed at once. */
export function watchDialogs(page: Page): string[] {
  const seen: string[] = [];
  page.on('dialog', (d) => {
    seen.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return seen;
}

// The CLI's watch over the browser (scripts/watch.ts, scripts/pipeline.ts) with a fake browser: a browser that
// disconnects, a page that crashes and a worker that died twice each end the run at once with a BrowserDiedError
// (the CLI's exit 3) instead of a wait for the timeout; --retries opens the browser again on the same profile and
// the report lists each restart with what the profile held.
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, runPipeline, type RunHooks } from '../../scripts/pipeline';
import { BrowserDiedError, diedLine, EXIT_DIED } from '../../scripts/watch';

type Snap = Record<string, unknown>;
const running = (stage: string): Snap => ({
  stages: Object.fromEntries(
    ['load', 'features', 'embedding', 'train'].map((name) => [
      name,
      { status: name === stage ? 'running' : 'idle', progress: name === stage ? { done: 3, total: 10, perSec: 1, etaS: 7 } : null },
    ]),
  ),
  report: null,
  error: null,
  failure: null,
  backend: null,
});

/** A browser whose page answers the driver's snapshots with `snap()`; `die` ends it as the test says. */
function fakeBrowser(snap: () => Snap, die?: (context: EventEmitter, page: EventEmitter) => void) {
  const page = Object.assign(new EventEmitter(), {
    goto: async () => null,
    // The driver's two questions: the app's snapshot, and (after a restart) what IndexedDB holds.
    evaluate: async (fn: () => unknown) => (String(fn).includes('indexedDB') ? { features: 7, embeddings: 1, models: 0 } : snap()),
  });
  const context = Object.assign(new EventEmitter(), {
    pages: () => [page],
    close: async () => undefined,
  });
  if (die) setTimeout(() => die(context, page), 300);
  return { context };
}

/** A browser whose page runs `stage` until the browser disconnects, or (crash) its renderer crashes. */
const dying = (stage: string, how: 'disconnect' | 'crash' = 'disconnect') =>
  fakeBrowser(
    () => running(stage),
    (context, page) => (how === 'crash' ? page.emit('crash') : context.emit('close')),
  );

function run(browsers: ReturnType<typeof fakeBrowser>[], retries = 0) {
  const launched: string[] = [];
  const hooks: RunHooks = {
    onProgress: () => {},
    build: () => {},
    launchBrowser: async ({ profile }) => {
      launched.push(profile);
      return browsers.shift() as never;
    },
  };
  const shard = mkdtempSync(join(tmpdir(), 'simage-fake-shard-'));
  const opts = parseArgs([shard, '--port', '0', '--retries', String(retries)]);
  const started = Date.now();
  return { launched, done: runPipeline(opts, hooks), elapsed: () => Date.now() - started };
}

const report = { shard: 'x', timings_s: {}, faults_met: [], backend_fallbacks: [] };

describe('the CLI watches the browser', () => {
  it('ends at once, with what died and during which stage, when Chromium disconnects', async () => {
    const r = run([dying('features')]);
    const err = await r.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserDiedError);
    expect(err).toMatchObject({ what: 'browser', stage: 'features', restarts: 0, profile: r.launched[0] });
    expect(r.elapsed()).toBeLessThan(5_000); // the driver polls twice a second; the timeout is an hour
    expect(existsSync(r.launched[0])).toBe(true); // the sentence names it, to resume from
    const line = diedLine(err as BrowserDiedError, r.launched[0], 0);
    expect(line).toMatch(/^Chromium died during features: .*run again with --profile .* to resume from the cache/);
    expect(line.split('\n')).toHaveLength(1);
    expect(EXIT_DIED).toBe(3);
  });

  it('names a crashed page and a worker that died twice', async () => {
    const crashed = run([
      fakeBrowser(
        () => running('embedding'),
        (_context, page) => page.emit('crash'),
      ),
    ]);
    await expect(crashed.done).rejects.toMatchObject({ what: 'page', stage: 'embedding' });
    let dead = false;
    const worker = run([
      fakeBrowser(
        () =>
          dead ? { ...running('train'), error: 'The training worker stopped twice (abort).', failure: 'worker-died' } : running('train'),
        () => (dead = true),
      ),
    ]);
    await expect(worker.done).rejects.toMatchObject({ what: 'worker', stage: 'train', message: expect.stringMatching(/stopped twice/) });
  });

  it('an ordinary failure of the app is not a death: no exit 3, no restart', async () => {
    const r = run([fakeBrowser(() => ({ ...running('features'), error: 'The shard has no labels.' }))], 2);
    const err = await r.done.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(BrowserDiedError);
    expect((err as Error).message).toBe('The shard has no labels.');
    expect(r.launched).toHaveLength(1);
    expect(existsSync(r.launched[0])).toBe(false); // a temporary profile does not outlive its run
  });

  it('with --retries, opens the browser again on the same profile and lists each restart in the report', async () => {
    let n = 0;
    const r = run(
      [dying('features'), dying('embedding', 'crash'), fakeBrowser(() => (++n > 2 ? { ...running('train'), report } : running('train')))],
      2,
    );
    const done = await r.done;
    expect(r.launched).toHaveLength(3);
    expect(new Set(r.launched).size).toBe(1); // one profile throughout: each attempt goes on from the cache
    expect(existsSync(r.launched[0])).toBe(false); // and removed once the run is done (no --profile was given)
    expect(done.restarts).toEqual([
      { died: 'browser', stage: 'features', message: expect.any(String), stored: { features: 7, embeddings: 1, models: 0 } },
      { died: 'page', stage: 'embedding', message: expect.any(String), stored: { features: 7, embeddings: 1, models: 0 } },
    ]);
  });

  it('gives up after the last retry', async () => {
    const r = run([dying('features'), dying('features')], 1);
    await expect(r.done).rejects.toMatchObject({ what: 'browser', restarts: 1 });
    const err = (await r.done.catch((e: unknown) => e)) as BrowserDiedError;
    expect(diedLine(err, 'p', err.restarts)).toMatch(/\(after 1 restart\)/);
  });
});

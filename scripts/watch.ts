// The CLI's watch over the browser it drives (scripts/pipeline.ts): Chromium gone (killed, crashed, its
// connection lost), the page's renderer crashed or closed, or a worker of the app that died twice without a reply
// (src/lib/rpc.ts restarts it once; the second death is a `JobError` of kind 'worker-died', which the page's
// snapshot reports as its `failure`) each end the attempt at once with a `BrowserDiedError`, rather than leaving
// the driver polling a page that will never answer. What the run had stored survives in the profile, so
// `--retries N` opens the browser again on it and goes on.

/** What died under the run, in the words the CLI prints. */
export type DiedWhat = 'browser' | 'page' | 'worker';

export class BrowserDiedError extends Error {
  constructor(
    readonly what: DiedWhat,
    /** The stage that was running when it died (as the page last said), or null before the app reported one. */
    readonly stage: string | null,
    detail: string,
  ) {
    super(detail);
    this.name = 'BrowserDiedError';
  }
  /** The profile the run used (a temporary one when none was given): the next run resumes from it. */
  profile: string | null = null;
  /** Restarts already made (`--retries`) before this death ended the run. */
  restarts = 0;
}

/** The CLI's exit status when the browser, the page or a worker died: the next run resumes from the cache. */
export const EXIT_DIED = 3;

/** The parts of a Playwright persistent context and page that the watch listens to. */
export interface Watched {
  context: { on(event: 'close', listener: () => void): unknown; off(event: 'close', listener: () => void): unknown };
  page: {
    on(event: 'crash' | 'close', listener: () => void): unknown;
    off(event: 'crash' | 'close', listener: () => void): unknown;
  };
}

export interface Watch {
  /** Rejects with a BrowserDiedError when something died; never resolves. */
  died: Promise<never>;
  /** Whether something died (polling loops stop on it). */
  readonly dead: boolean;
  /** The page's running stage, as the driver last saw it: the error names it. */
  stage: string | null;
  /** Reports a death the driver found itself (the page said a worker died twice). */
  fail(what: DiedWhat, detail: string): void;
  /** Stops listening: the driver is closing the browser itself. */
  stop(): void;
}

export function watchBrowser({ context, page }: Watched): Watch {
  let reject!: (err: BrowserDiedError) => void;
  const died = new Promise<never>((_, r) => (reject = r));
  // A rejection nobody awaits yet (the driver races it only while it waits) must not end the process.
  died.catch(() => undefined);
  let dead = false;
  let stopped = false;
  const watch: Watch = {
    died,
    get dead() {
      return dead;
    },
    stage: null,
    fail(what, detail) {
      if (dead || stopped) return;
      dead = true;
      reject(new BrowserDiedError(what, watch.stage, detail));
      unlisten();
    },
    stop() {
      stopped = true;
      unlisten();
    },
  };
  const onBrowser = () => watch.fail('browser', 'Chromium exited or lost its connection');
  const onCrash = () => watch.fail('page', "the page's renderer process crashed (out of memory, or killed)");
  // The browser's death closes its pages first: a page close is the page's own only if the browser outlives it.
  const onClose = () => setTimeout(() => watch.fail('page', 'the page was closed'), 250);
  context.on('close', onBrowser);
  page.on('crash', onCrash);
  page.on('close', onClose);
  function unlisten() {
    context.off('close', onBrowser);
    page.off('crash', onCrash);
    page.off('close', onClose);
  }
  return watch;
}

/** Runs `work` until it settles or the watch sees a death, whichever is first; the work's own later failure (its
 *  calls into a dead browser) is then ignored. */
export function raced<T>(work: Promise<T>, watch: Watch): Promise<T> {
  work.catch(() => undefined);
  return Promise.race([work, watch.died]);
}

/** The one line the CLI prints when the browser, the page or a worker died. */
export function diedLine(err: BrowserDiedError, profile: string, retried: number): string {
  const what = { browser: 'Chromium', page: 'The page', worker: 'A worker of the app' }[err.what];
  const during = err.stage ? ` during ${err.stage}` : '';
  const after = retried > 0 ? ` (after ${retried} restart${retried > 1 ? 's' : ''})` : '';
  return `${what} died${during}${after}: ${err.message}. What was stored is kept; run again with --profile ${profile} to resume from the cache (or pass --retries N to restart by itself).`;
}

// Tabs of one origin share one computation. A run of a shard holds a Web Lock named by its source
// (`simage-run:<source key>`); a second tab that opens the same shard finds the lock held, shows the first tab's
// progress from its BroadcastChannel messages, and runs once the lock is free: by then everything the first tab
// stored is reused (features by content hash, the embedding and the net by settings key), so nothing is computed
// twice; if the first tab closed (or crashed) mid-way, the browser releases its lock and the waiting tab goes on
// from what was stored. Web Locks rather than a BroadcastChannel election: the browser itself releases a closed
// or crashed tab's lock, which no message can promise.
import type { StageName, StageState } from './state';

/** What the tab running a shard tells the others, on every change of its stages (throttled). */
export interface TabMessage {
  kind: 'progress';
  /** The source key (src/lib/ingest/source-key.ts) the run holds the lock of. */
  key: string;
  /** The shard's id once its load is stored (a waiting tab can show it, and need not load it again). */
  shardId: string | null;
  stages: Record<StageName, StageState>;
  featureCount: number;
  /** The run ended with its report (its last message); a lock freed without it means the tab stopped short. */
  finished: boolean;
}

export interface Tabs {
  /** Runs `work` holding the lock `name`. If another tab holds it, `waiting()` is called, then `work(true)` once it
   *  is free; aborting `signal` gives up the wait (the promise rejects with an AbortError). */
  exclusive<T>(name: string, signal: AbortSignal, waiting: () => void, work: (waited: boolean) => Promise<T>): Promise<T>;
  post(message: TabMessage): void;
  listen(listener: (message: TabMessage) => void): () => void;
}

/** A page alone (no Web Locks, as in a page that is not a secure context): every run goes ahead at once. */
export const soloTabs: Tabs = {
  exclusive: (_name, _signal, _waiting, work) => work(false),
  post: () => undefined,
  listen: () => () => undefined,
};

/** The browser's: navigator.locks and a BroadcastChannel of the origin. */
export function browserTabs(): Tabs {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks || typeof BroadcastChannel === 'undefined') return soloTabs;
  const channel = new BroadcastChannel('simage-tabs');
  return {
    async exclusive(name, signal, waiting, work) {
      const now = await locks.request(name, { ifAvailable: true }, async (lock) => (lock ? { value: await work(false) } : null));
      if (now) return now.value;
      waiting();
      return locks.request(name, { signal }, () => work(true));
    },
    post: (message) => channel.postMessage(message),
    listen(listener) {
      const on = (event: MessageEvent<TabMessage>) => listener(event.data);
      channel.addEventListener('message', on);
      return () => channel.removeEventListener('message', on);
    },
  };
}

/** The lock a run of this source holds. */
export const runLockName = (key: string) => `simage-run:${key}`;

// Progress arithmetic shared by every long job: done, total, rate and ETA. Pure; time is passed in.

/** The event every long job streams across a worker boundary. */
export type ProgressEvent = { type: 'progress'; progress: Progress };

export interface Progress {
  stage: string;
  done: number;
  /** null while the total is unknown (a streamed archive). */
  total: number | null;
  perSec: number;
  etaS: number | null;
  detail?: string;
  /** Work of the same stage found done before this job began (features stored by an earlier run): counted in the
   *  stage's share done (`shareDone`), not in the rate. */
  before?: number;
}

/** The percentage of a stage that is done, counting what earlier runs stored (null while the total is unknown). */
export function shareDone(p: Progress): number | null {
  if (p.total === null) return null;
  const before = p.before ?? 0;
  const all = before + p.total;
  return all > 0 ? Math.min(100, Math.floor((100 * (before + p.done)) / all)) : null;
}

/** Rate over the whole run so far (stable for batch-wise jobs), and the ETA that follows from it. */
export function measureProgress(
  stage: string,
  done: number,
  total: number | null,
  startMs: number,
  nowMs: number,
  detail?: string,
): Progress {
  const elapsedS = Math.max((nowMs - startMs) / 1000, 1e-3);
  const perSec = done / elapsedS;
  const etaS = total === null || perSec <= 0 ? null : Math.max(total - done, 0) / perSec;
  return { stage, done, total, perSec, etaS, detail };
}

/** Calls `emit` at most every `intervalMs`, and always for the final value. */
export function throttle<T>(emit: (value: T) => void, intervalMs: number, now: () => number = Date.now) {
  let last = -Infinity;
  return (value: T, force = false) => {
    const t = now();
    if (force || t - last >= intervalMs) {
      last = t;
      emit(value);
    }
  };
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

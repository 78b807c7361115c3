// Settings are data: one typed object with defaults, limits and validation, read by the UI and (through the
// page's query string) by the CLI. Pure; persistence is the caller's.
import { BACKENDS, type BackendChoice } from './features/backend';

export interface Settings {
  backend: BackendChoice;
  /** Images per forward pass. */
  batchSize: number;
  /** WASM threads; 0 = all cores. */
  threads: number;
  /** Longest side of a gallery thumbnail. */
  thumbnailPx: number;
}

export const DEFAULT_SETTINGS: Settings = { backend: 'auto', batchSize: 8, threads: 0, thumbnailPx: 96 };

const LIMITS = { batchSize: [1, 64], threads: [0, 64], thumbnailPx: [32, 256] } as const;

function clampInt(value: unknown, [lo, hi]: readonly [number, number], fallback: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
}

/** Anything in, a valid Settings out: unknown keys dropped, bad values replaced by defaults. */
export function validateSettings(raw: Record<string, unknown>, base: Settings = DEFAULT_SETTINGS): Settings {
  const backend = raw.backend;
  return {
    backend: backend === 'auto' || (BACKENDS as readonly unknown[]).includes(backend) ? (backend as BackendChoice) : base.backend,
    batchSize: clampInt(raw.batchSize ?? raw.batch, LIMITS.batchSize, base.batchSize),
    threads: clampInt(raw.threads, LIMITS.threads, base.threads),
    thumbnailPx: clampInt(raw.thumbnailPx, LIMITS.thumbnailPx, base.thumbnailPx),
  };
}

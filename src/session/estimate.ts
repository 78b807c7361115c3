// Time told before it is spent (src/lib/features/estimate.ts): on the load view, a short probe times a few images
// through each feature model in the features worker, once per machine and backend choice (kept in localStorage),
// so the demo buttons and the model choice can say how long the features will take. A run stops the probe first:
// the worker holds one model at a time.
import { get, writable } from 'svelte/store';
import { PROBE_IMAGES, PROBE_WARMUP_IMAGES, probeImage, probeKey, type SpeedProbe } from '../lib/features/estimate';
import { MODEL_SPECS, type FeatureModelName } from '../lib/features/model';
import type { Session } from './session';

const KEY = 'simage.featureSpeed';
/** The fewest images a run must compute for its rate to replace the probe's. */
export const LEARN_MIN_IMAGES = 32;

export interface SpeedState {
  probe: SpeedProbe | null;
  probing: boolean;
}

export class FeatureSpeed {
  readonly state = writable<SpeedState>({ probe: null, probing: false });
  private running: { stop: AbortController; done: Promise<void> } | null = null;
  /** Other calls of the features worker in flight (a probe does not start beside them). */
  private others = 0;

  constructor(private readonly s: Session) {}

  private key() {
    const { backend, threads } = get(this.s.settings);
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number; userAgent?: string } }).navigator;
    return probeKey(backend, threads, nav?.hardwareConcurrency ?? 0, nav?.userAgent ?? '');
  }

  /** The stored probe for this machine and backend choice, if any. */
  private stored(): SpeedProbe | null {
    try {
      const p = JSON.parse(this.s.env.storage.getItem(KEY) ?? 'null') as SpeedProbe | null;
      return p && p.key === this.key() ? p : null;
    } catch {
      return null;
    }
  }

  /** Shows the stored probe, or times each model now (unless a run is going on, or the page is still opening what
   *  it opens by itself: a run from the address must not wait behind a probe); never throws. */
  async start(): Promise<void> {
    await this.s.restored?.catch(() => undefined);
    // A collection on show (the address opened one): the person is past the load view; a stored probe still shows.
    if (get(this.s.shard) && !this.stored()) return;
    return this.begin();
  }

  private begin(): Promise<void> {
    const stored = this.stored();
    if (stored) {
      this.state.set({ probe: stored, probing: false });
      return Promise.resolve();
    }
    if (this.running || this.others > 0 || get(this.s.running)) return this.running?.done ?? Promise.resolve();
    const stop = new AbortController();
    const done = this.measure(stop.signal)
      .catch((err: unknown) => {
        if (!stop.signal.aborted) console.warn('[simage] the speed probe failed:', (err as Error).message);
      })
      .finally(() => {
        this.running = null;
        this.state.update((st) => ({ ...st, probing: false }));
      });
    this.running = { stop, done };
    return done;
  }

  /** Runs another call of the features worker alone: a probe in flight stops first, and none starts meanwhile. */
  async alone<T>(call: () => Promise<T>): Promise<T> {
    this.others++;
    try {
      await this.stop();
      return await call();
    } finally {
      this.others--;
    }
  }

  /** What a finished run measured: its features' wall time per image (each forward pass with the decoding,
   *  thumbnails and storing around it) replaces the probe's figure for that model, so the next estimate on this
   *  machine is the rate a collection really got. Runs of fewer than LEARN_MIN_IMAGES images are too short to say. */
  learn(model: FeatureModelName, images: number, computeMs: number): void {
    if (images < LEARN_MIN_IMAGES || !(computeMs > 0)) return;
    const key = this.key();
    const probe: SpeedProbe = this.stored() ?? { key, msPerImage: {}, backend: '' };
    probe.msPerImage = { ...probe.msPerImage, [model]: computeMs / images };
    probe.measuredOn = { ...probe.measuredOn, [model]: images };
    try {
      this.s.env.storage.setItem(KEY, JSON.stringify(probe));
    } catch {
      return; // storage full or refused: the estimate stays the probe's
    }
    if (!this.running) this.state.set({ probe, probing: false });
  }

  /** Stops a probe in flight; the promise settles when the worker is free of it (null: none was running). */
  stop(): Promise<void> | null {
    const r = this.running;
    if (!r) return null;
    r.stop.abort();
    return r.done;
  }

  private async measure(signal: AbortSignal) {
    const key = this.key();
    const { backend, threads, batchSize } = get(this.s.settings);
    const probe: SpeedProbe = { key, msPerImage: {}, backend: '' };
    this.state.set({ probe: null, probing: true });
    for (const model of Object.keys(MODEL_SPECS) as FeatureModelName[]) {
      const images = (n: number, seed: number) => Array.from({ length: n }, (_, i) => probeImage(320, 240, seed + i));
      const call = (buffers: ArrayBuffer[]) =>
        this.s.env.workers.features.call(
          'embed',
          { images: buffers, model, backend, batchSize: Math.min(batchSize, PROBE_IMAGES), threads },
          { transfer: buffers, signal },
        );
      await call(images(PROBE_WARMUP_IMAGES, 1)); // loads the model and warms its kernels
      const timed = await call(images(PROBE_IMAGES, 11));
      probe.msPerImage[model] = timed.msPerImage;
      probe.backend = timed.backend;
      this.state.set({ probe: { ...probe, msPerImage: { ...probe.msPerImage } }, probing: true });
    }
    this.s.env.storage.setItem(KEY, JSON.stringify(probe));
  }
}

// The TensorFlow.js backend session shared by the workers that run nets (features, training): the backend plan and
// its fallbacks (which to try is src/lib/features/backend.ts), the WebGPU device-loss and out-of-memory watch, and
// the faults injected on purpose (src/lib/faults.ts).
// Invariant: a backend lost in the middle of a job (device lost, out of memory) is never tried again in this worker;
// the work that was running when it went is run again on the next backend of the plan.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { isSoftwareAdapter, planBackends, type BackendChoice, type BackendName, type PlatformFacts } from '../src/lib/features/backend';
import type { BackendInfo } from '../src/lib/features/protocol';
import { BackendLostError, isBackendLoss, type WorkerFault } from '../src/lib/faults';
import { QuotaError, injectQuotaFault } from '../src/lib/store/db';
import { watchWebGpu, type GpuWatch } from './gpu-watch';

export async function probePlatform(): Promise<PlatformFacts> {
  const facts: PlatformFacts = {
    webgpu: 'absent',
    crossOriginIsolated: self.crossOriginIsolated === true,
    threads: navigator.hardwareConcurrency || 1,
  };
  type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  // (`adapter.info` is newer than this TypeScript's WebGPU types.)
  const { gpu } = navigator as { gpu?: { requestAdapter(): Promise<{ info?: AdapterInfo; isFallbackAdapter?: boolean } | null> } };
  if (!gpu) return facts;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return facts;
    const info: AdapterInfo = adapter.info ?? {};
    facts.webgpu = isSoftwareAdapter({ ...info, isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter })
      ? 'software'
      : 'hardware';
    facts.adapterName = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || undefined;
  } catch {
    /* no adapter: WebGPU absent */
  }
  return facts;
}

async function initBackend(name: BackendName, threads: number, base: string): Promise<number | null> {
  if (name === 'wasm') {
    setWasmPaths(new URL('tfjs-wasm/', base).href);
    const n = threads > 0 ? threads : navigator.hardwareConcurrency || 1;
    if (n <= 1 || !self.crossOriginIsolated) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    else {
      // tfjs-backend-wasm caps XNNPACK's pool at navigator.hardwareConcurrency / 2 (it assumes two hardware threads
      // per core), which on a 2-core machine means one thread. The emscripten runtime reads the value from this
      // worker's navigator when the backend starts, so this worker reports 2n to get the n threads asked for.
      Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * n, configurable: true });
      setThreadsCount(n);
    }
    if (!(await tf.setBackend('wasm'))) throw new Error('WASM backend did not start');
    return getThreadsCount();
  }
  if (!(await tf.setBackend(name))) throw new Error(`${name} backend did not start`);
  return null;
}

export interface BackendSessionOptions {
  /** The app's base URL (where tfjs-wasm/ lives). */
  base: string;
  /** Readies a freshly started backend (loads and warms the model, say); a throw moves on to the next backend. */
  prepare?: (backend: BackendName, gpu: GpuWatch | null) => Promise<void>;
  /** Frees what `prepare` made, before a switch of backend. */
  release?: () => void;
  /** Keep the first backend that started even when a later job asks for another (the trained net lives on it). */
  keepFirst?: boolean;
}

export interface BackendSwitch {
  from: BackendName;
  to: BackendName;
  reason: string;
}

export class BackendSession {
  private readonly lost = new Map<BackendName, string>();
  private current: { key: string; info: Omit<BackendInfo, 'modelId'>; gpu: GpuWatch | null } | null = null;

  constructor(private readonly options: BackendSessionOptions) {}

  get backend(): BackendName | null {
    return this.current?.info.backend ?? null;
  }

  get info(): Omit<BackendInfo, 'modelId'> | null {
    return this.current?.info ?? null;
  }

  get gpu(): GpuWatch | null {
    return this.current?.gpu ?? null;
  }

  /** The started backend for this choice; `onStart` hears of a backend only when it starts fresh. */
  async ensure(choice: BackendChoice, threads: number, onStart?: (info: Omit<BackendInfo, 'modelId'>) => void | Promise<void>) {
    const key = `${choice}/${threads}`;
    if (this.current && (this.current.key === key || this.options.keepFirst)) return this.current.info;
    this.drop();
    const plan = planBackends(choice, await probePlatform());
    const fallbacks: BackendInfo['fallbacks'] = [];
    for (const backend of plan.order) {
      const lostWhy = this.lost.get(backend);
      if (lostWhy) {
        fallbacks.push({ backend, reason: `left after ${lostWhy}` });
        continue;
      }
      try {
        const usedThreads = await initBackend(backend, threads, this.options.base);
        const gpu = backend === 'webgpu' ? watchWebGpu(tf.backend()) : null;
        await this.options.prepare?.(backend, gpu);
        const reason = fallbacks.length ? `${plan.reason}; fell back to ${backend}` : plan.reason;
        this.current = { key, info: { backend, reason, fallbacks, threads: usedThreads }, gpu };
        await onStart?.(this.current.info);
        return this.current.info;
      } catch (err) {
        fallbacks.push({ backend, reason: (err as Error).message ?? String(err) });
      }
    }
    throw new Error(`No TensorFlow.js backend could run the model: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
  }

  /**
   * Runs `work` on the backend for this choice. If the backend is lost meanwhile (device lost, out of memory), it is
   * left for good, the next one of the plan starts, `onSwitch` hears of it, and `work` runs again there.
   */
  async surviving<T>(
    choice: BackendChoice,
    threads: number,
    work: (gpu: GpuWatch | null) => Promise<T>,
    hooks: { onSwitch?: (change: BackendSwitch) => void; onStart?: (info: Omit<BackendInfo, 'modelId'>) => void | Promise<void> } = {},
  ): Promise<T> {
    for (;;) {
      const { backend } = await this.ensure(choice, threads, hooks.onStart);
      const gpu = this.gpu;
      try {
        const value = await work(gpu);
        const failure = gpu?.failure();
        if (failure) throw new BackendLostError(failure);
        return value;
      } catch (err) {
        if (!isBackendLoss(err)) throw err;
        const reason = (err as Error).message;
        this.lost.set(backend, reason);
        this.drop();
        const next = await this.ensure(choice, threads, hooks.onStart);
        hooks.onSwitch?.({ from: backend, to: next.backend, reason });
      }
    }
  }

  private drop() {
    if (!this.current) return;
    try {
      this.options.release?.();
    } catch {
      /* a lost device cannot free its buffers; they went with it */
    }
    this.current = null;
  }
}

/** The faults a job was asked to cause (tests, `npm run pipeline -- --inject`), and those it met. */
export class InjectedFaults {
  readonly met: WorkerFault[] = [];
  private readonly asked: Set<WorkerFault>;

  constructor(inject: WorkerFault[] = []) {
    this.asked = new Set(inject);
  }

  /** Feature writes fail as if the disk were full, after 2 batches; `noteWriteError` records it when it strikes. */
  armQuota() {
    injectQuotaFault(this.asked.has('quota') ? 2 : null);
  }

  noteWriteError(err: unknown) {
    if (this.asked.has('quota') && err instanceof QuotaError && !this.met.includes('quota')) this.met.push('quota');
  }

  /** Injected GPU faults strike once each, on a WebGPU device only (call it after work is safely stored). */
  strikeGpu(gpu: GpuWatch | null) {
    if (!gpu) return;
    for (const fault of ['device-lost', 'oom'] as const) {
      if (this.asked.has(fault) && !this.met.includes(fault)) {
        this.met.push(fault);
        gpu.cause(fault);
      }
    }
  }
}

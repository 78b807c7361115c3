// TensorFlow.js backend start-up shared by the workers that run nets (features, training): probe WebGPU's adapter
// (hardware or software), start a backend with its settings. Which backend to try is src/lib/features/backend.ts.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { isSoftwareAdapter, type BackendName, type PlatformFacts } from '../src/lib/features/backend';
import { BackendLostError } from '../src/lib/faults';

export async function probePlatform(): Promise<PlatformFacts> {
  const facts: PlatformFacts = {
    webgpu: 'absent',
    crossOriginIsolated: self.crossOriginIsolated === true,
    threads: navigator.hardwareConcurrency || 1,
  };
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<any> } }).gpu;
  if (!gpu) return facts;
  try {
    type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
    const adapter = (await gpu.requestAdapter()) as { info?: AdapterInfo; isFallbackAdapter?: boolean } | null;
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

export async function initBackend(name: BackendName, threads: number, base: string): Promise<number | null> {
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

/**
 * Watches the WebGPU device TensorFlow.js is using: a lost device or an out-of-memory error is remembered as a
 * sentence, and `guard` turns a pending GPU read into a BackendLostError instead of a hang. `cause` makes either
 * fault happen for real (fault injection): the device is destroyed, or an out-of-memory error is dispatched.
 */
export interface GpuWatch {
  failure(): string | null;
  guard<T>(work: Promise<T>): Promise<T>;
  cause(fault: 'device-lost' | 'oom'): void;
}

export function watchWebGpu(): GpuWatch | null {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const device = (tf.backend() as any)?.device as any;
  if (!device || typeof device.destroy !== 'function') return null;
  let failure: string | null = null;
  let onLost: (reason: string) => void = () => {};
  const lost = new Promise<string>((resolve) => (onLost = resolve));
  const fail = (reason: string) => {
    if (failure) return;
    failure = reason;
    onLost(reason);
  };
  device.lost.then((info: { reason?: string; message?: string }) =>
    fail(`the WebGPU device was lost (${info?.reason ?? 'unknown'}${info?.message ? `: ${info.message}` : ''})`),
  );
  device.addEventListener('uncapturederror', (event: { error?: { constructor?: { name?: string }; message?: string } }) => {
    if (event.error?.constructor?.name === 'GPUOutOfMemoryError') fail(`WebGPU ran out of memory (${event.error.message ?? ''})`);
  });
  return {
    failure: () => failure,
    guard: <T>(work: Promise<T>) =>
      Promise.race([
        work.then((value) => {
          if (failure) throw new BackendLostError(failure);
          return value;
        }),
        lost.then((reason) => {
          throw new BackendLostError(reason);
        }),
      ]),
    cause(fault) {
      if (fault === 'device-lost') device.destroy();
      else {
        const G = globalThis as unknown as {
          GPUUncapturedErrorEvent: new (t: string, i: unknown) => Event;
          GPUOutOfMemoryError: new (m: string) => Error;
        };
        device.dispatchEvent(
          new G.GPUUncapturedErrorEvent('uncapturederror', { error: new G.GPUOutOfMemoryError('injected fault: out of memory') }),
        );
      }
    },
  };
}

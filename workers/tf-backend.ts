// TensorFlow.js backend start-up shared by the workers that run nets (features, training): probe WebGPU's adapter
// (hardware or software), start a backend with its settings. Which backend to try is src/lib/features/backend.ts.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { isSoftwareAdapter, type BackendName, type PlatformFacts } from '../src/lib/features/backend';

export async function probePlatform(): Promise<PlatformFacts> {
  const facts: PlatformFacts = { webgpu: 'absent', crossOriginIsolated: self.crossOriginIsolated === true, threads: navigator.hardwareConcurrency || 1 };
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<any> } }).gpu;
  if (!gpu) return facts;
  try {
    type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
    const adapter = (await gpu.requestAdapter()) as { info?: AdapterInfo; isFallbackAdapter?: boolean } | null;
    if (!adapter) return facts;
    const info: AdapterInfo = adapter.info ?? {};
    facts.webgpu = isSoftwareAdapter({ ...info, isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter }) ? 'software' : 'hardware';
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


// Which TensorFlow.js backend runs the feature model. Pure: the worker probes the platform, this decides.
// Order: WebGPU on a hardware adapter; else WASM (SIMD, threads when cross-origin isolated); then WebGL; then CPU.
// A software WebGPU adapter (SwiftShader, isFallbackAdapter) is skipped in auto mode: on the reference machine it
// ran Inception v3 about 50 times slower than WASM. A person's explicit choice is tried first, with fallbacks after.

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
export type BackendChoice = 'auto' | BackendName;
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

export interface PlatformFacts {
  webgpu: 'hardware' | 'software' | 'absent';
  adapterName?: string;
  crossOriginIsolated: boolean;
  threads: number;
}

export interface BackendPlan {
  order: BackendName[];
  reason: string;
}

export function planBackends(choice: BackendChoice, facts: PlatformFacts): BackendPlan {
  const fallback: BackendName[] = ['wasm', 'webgl', 'cpu'];
  if (choice !== 'auto') {
    return {
      order: [choice, ...BACKENDS.filter((b) => b !== choice && (b !== 'webgpu' || facts.webgpu === 'hardware'))],
      reason: `chosen by you (${choice}${choice === 'webgpu' && facts.adapterName ? ` on ${facts.webgpu === 'software' ? 'the software adapter ' : ''}${facts.adapterName}` : ''})`,
    };
  }
  if (facts.webgpu === 'hardware') {
    return { order: ['webgpu', ...fallback], reason: `WebGPU on a hardware adapter${facts.adapterName ? ` (${facts.adapterName})` : ''}` };
  }
  const why =
    facts.webgpu === 'software'
      ? `the WebGPU adapter is a software one${facts.adapterName ? ` (${facts.adapterName})` : ''}, slower than WASM`
      : 'WebGPU is not available';
  const threads = facts.crossOriginIsolated ? `${facts.threads} threads` : '1 thread (page not cross-origin isolated)';
  return { order: fallback, reason: `${why}; WASM with SIMD and ${threads}` };
}

/** A software adapter, by the WebGPU flag or by the names SwiftShader and llvmpipe report. */
export function isSoftwareAdapter(info: {
  isFallbackAdapter?: boolean;
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}): boolean {
  if (info.isFallbackAdapter) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/.test(text);
}

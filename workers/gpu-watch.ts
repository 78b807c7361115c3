// Watches the WebGPU device TensorFlow.js is using: a lost device or an out-of-memory error is remembered as a
// sentence, and `guard` turns a pending GPU read into a BackendLostError instead of a hang. `cause` makes either
// fault happen for real (fault injection): the device is destroyed, or an out-of-memory error is dispatched.
import { BackendLostError } from '../src/lib/faults';

export interface GpuWatch {
  failure(): string | null;
  guard<T>(work: Promise<T>): Promise<T>;
  cause(fault: 'device-lost' | 'oom'): void;
}

/** The parts of a GPUDevice this watch uses (tfjs's WebGPU backend keeps its device as `device`). */
interface WatchedDevice extends EventTarget {
  lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
}

export function watchWebGpu(backend: unknown): GpuWatch | null {
  const device = (backend as { device?: WatchedDevice } | null)?.device;
  if (!device || typeof device.destroy !== 'function') return null;
  let failure: string | null = null;
  let onLost: (reason: string) => void = () => {};
  const lost = new Promise<string>((resolve) => (onLost = resolve));
  const fail = (reason: string) => {
    if (failure) return;
    failure = reason;
    onLost(reason);
  };
  void device.lost.then((info) =>
    fail(`the WebGPU device was lost (${info?.reason ?? 'unknown'}${info?.message ? `: ${info.message}` : ''})`),
  );
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as Event & { error?: { constructor?: { name?: string }; message?: string } }).error;
    if (error?.constructor?.name === 'GPUOutOfMemoryError') fail(`WebGPU ran out of memory (${error.message ?? ''})`);
  });
  return {
    failure: () => failure,
    guard: <T>(work: Promise<T>) =>
      Promise.race([
        work.then((value) => {
          if (failure) throw new BackendLostError(failure);
          return value;
        }),
        lost.then((reason): never => {
          throw new BackendLostError(reason);
        }),
      ]),
    cause(fault) {
      if (fault === 'device-lost') device.destroy();
      else {
        const G = globalThis as typeof globalThis & {
          GPUUncapturedErrorEvent: new (type: string, init: unknown) => Event;
          GPUOutOfMemoryError: new (message: string) => Error;
        };
        device.dispatchEvent(
          new G.GPUUncapturedErrorEvent('uncapturederror', { error: new G.GPUOutOfMemoryError('injected fault: out of memory') }),
        );
      }
    },
  };
}

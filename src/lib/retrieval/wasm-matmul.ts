// A workaround for TensorFlow.js's WASM backend (4.22): BatchMatMul with transposeA runs about 40 times, and with
// transposeB about 5 times, slower than transposing first and multiplying plainly (measured on this machine: a
// 2048 x 128 by 128 x 512 product, 529 ms against 13 ms). Training hits exactly those products (the gradients of a
// dense layer) and cosine ranking the second, so the WASM kernel is wrapped: transposes are done by the backend's
// own Transpose kernel, then the fast path runs. Results are identical up to float rounding order.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
const PATCHED = Symbol.for('simage.batchMatMulPatched');

/** Wraps the WASM BatchMatMul kernel once; call after the WASM backend has started. Returns whether it did. */
export function speedUpWasmMatMul(): boolean {
  const config = tf.getKernel('BatchMatMul', 'wasm') as (tf.KernelConfig & { [PATCHED]?: boolean }) | undefined;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!config || !transpose || config[PATCHED]) return false;
  const original = config.kernelFunc;
  const wrapped: tf.KernelFunc = (args: KernelArgs) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original(args);
    const temporaries: tf.TensorInfo[] = [];
    const flip = (x: tf.TensorInfo) => {
      const rank = x.shape.length;
      const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
      const out = transpose.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
      temporaries.push(out);
      return out;
    };
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    try {
      return original({
        ...args,
        inputs: { a: transposeA ? flip(a) : a, b: transposeB ? flip(b) : b },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temporaries) (args.backend as { disposeData(id: object): void }).disposeData(t.dataId);
    }
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...config, kernelFunc: wrapped, [PATCHED]: true } as tf.KernelConfig);
  return true;
}

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { speedUpWasmMatMul } from '../../src/lib/retrieval/wasm-matmul';

describe('WASM BatchMatMul with transposes', () => {
  it('gives the same products as the CPU backend, for every transpose combination and rank 3, without leaking', async () => {
    await tf.setBackend('cpu');
    const a = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 1).arraySync() as number[][][];
    const b = tf.randomNormal([2, 6, 4], 0, 1, 'float32', 2).arraySync() as number[][][];
    const c = tf.randomNormal([2, 4, 5], 0, 1, 'float32', 3).arraySync() as number[][][];
    const d = tf.randomNormal([2, 4, 6], 0, 1, 'float32', 4).arraySync() as number[][][];
    // a^T b, b c, c a^T, a^T d^T.
    const cases: [number[][][], number[][][], boolean, boolean][] = [
      [a, b, true, false],
      [b, c, false, false],
      [c, a, false, true],
      [a, d, true, true],
    ];
    const want = cases.map(([x, y, ta, tb]) => tf.matMul(tf.tensor3d(x), tf.tensor3d(y), ta, tb).arraySync());
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(speedUpWasmMatMul()).toBe(true);
    expect(speedUpWasmMatMul()).toBe(false); // once only
    const before = tf.memory().numTensors;
    cases.forEach(([x, y, ta, tb], i) => {
      const got = tf.tidy(() => tf.matMul(tf.tensor3d(x), tf.tensor3d(y), ta, tb).arraySync()) as number[][][];
      const flat = (got as number[][][]).flat(2),
        ref = (want[i] as number[][][]).flat(2);
      expect(flat.length).toBe(ref.length);
      flat.forEach((v, t) => expect(v).toBeCloseTo(ref[t], 4));
    });
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
  });
});

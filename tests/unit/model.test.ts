// The install step's model: real TF.js layers format, both feature outputs, no classifier head, and the same
// numbers as a known-answer run (a constant image's first feature values are stable across installs).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ROOT } from '../fixtures/make-shard';

const dir = join(ROOT, 'public', 'models', 'inception-v3');

describe('extracted Inception v3', () => {
  it('has the two feature outputs and no nsfwjs head', async () => {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.simage.modelId).toMatch(/^inception-v3@nsfwjs-/);
    const names = json.modelTopology.model_config.config.layers.map((l: { name: string }) => l.name);
    expect(names).toContain('flatten_1');
    expect(names).toContain('mixed7_gap');
    expect(names.some((n: string) => n.startsWith('dense'))).toBe(false);
    expect(json.weightsManifest[0].weights.some((w: { name: string }) => w.name.startsWith('dense'))).toBe(false);

    const data = Buffer.concat(json.weightsManifest[0].paths.map((p: string) => readFileSync(join(dir, p))));
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      }),
    );
    const [flatten, mixed7] = model.predict(tf.fill([1, 299, 299, 3], 0.5)) as tf.Tensor[];
    expect(flatten.shape).toEqual([1, 2048]);
    expect(mixed7.shape).toEqual([1, 768]);
    const f = await flatten.data();
    expect(f.every((v) => Number.isFinite(v) && v >= 0)).toBe(true); // ReLU then average pooling
    expect(f.some((v) => v > 0)).toBe(true);
    expect(f[0]).toBeCloseTo(0.00836, 4);
  }, 120_000);
});

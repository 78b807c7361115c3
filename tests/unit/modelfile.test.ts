import { describe, expect, it } from 'vitest';
import { json, rewrite } from '../fixtures/model-files';
import { incompatibility, packModelFile, unpackModelFile, validateManifest, type ModelManifest } from '../../src/lib/retrieval/modelfile';

const refs = ['img_a', 'img_b', 'img_c'];
function parts(overrides: Partial<ModelManifest> = {}) {
  // An 'embedding' head: 4 -> 2 (kernel 4x2 + bias 2) with 3 references of 2-d vectors.
  const weightsManifest = [
    {
      paths: ['weights.bin'],
      weights: [
        { name: 'dense/kernel', shape: [4, 2], dtype: 'float32' },
        { name: 'dense/bias', shape: [2], dtype: 'float32' },
      ],
    },
  ];
  const manifest: Omit<ModelManifest, 'files'> = {
    format: 'simage-model',
    version: 1,
    head: 'embedding',
    layer: 'flatten',
    target: 'svd',
    k: 2,
    featureModelId: 'inception-v3@test/p1',
    featureDim: 4,
    targetDim: 2,
    shard: { id: 'url:x', name: 'demo', labelsHash: 'abc' },
    references: refs,
    vocabulary: ['/m/a', '/m/b'],
    embedding: { key: 'v2/tsne', layout: 'tsne', components: 50, perplexity: 30, iterations: 1000, k: 2, seed: 1 },
    training: { epochs: 3, bestEpoch: 2, validationScore: 0.1, settings: {} },
    createdAt: '2026-11-24T00:00:00.000Z',
    ...overrides,
  };
  return {
    manifest,
    modelJson: { modelTopology: { class_name: 'Sequential' }, weightsManifest, format: 'layers-model' },
    weights: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 0.5, -0.5]).buffer),
    references: new Uint8Array(new Float32Array([1, 0, 0, 1, 0.6, 0.8]).buffer),
  };
}

describe('model file', () => {
  it('round-trips: manifest with checksums, net, weights and reference vectors', async () => {
    const p = parts();
    const file = await packModelFile(p);
    const back = await unpackModelFile(file);
    expect(back.manifest).toMatchObject(p.manifest);
    expect(Object.keys(back.manifest.files).sort()).toEqual(['model.json', 'references.bin', 'weights.bin']);
    expect(Array.from(back.weights)).toEqual(Array.from(p.weights));
    expect(Array.from(back.references!)).toEqual(Array.from(p.references));
    expect(back.modelJson).toEqual(p.modelJson);
  });

  it('carries the label space when there is one, and refuses one of the wrong size', async () => {
    const basis = new Uint8Array(new Float32Array([1, 0, 0, 0, 1, 0]).buffer); // 2 labels x 3 components
    const p = { ...parts({ labelSpace: { components: 3 }, tagger: { method: 'hybrid', k: 10, alpha: 0.5 } }), labelSpace: basis };
    const back = await unpackModelFile(await packModelFile(p));
    expect(Array.from(back.labelSpace!)).toEqual(Array.from(basis));
    expect(back.manifest.tagger).toEqual({ method: 'hybrid', k: 10, alpha: 0.5 });
    const wrong = { ...parts({ labelSpace: { components: 4 } }), labelSpace: basis };
    await expect(unpackModelFile(await packModelFile(wrong))).rejects.toThrow(/label-space.bin does not hold one row per label/);
    // A file without it imports as before.
    expect((await unpackModelFile(await packModelFile(parts()))).labelSpace).toBeNull();
  });

  it('refuses a truncated file, a wrong checksum, oversized or mismatched shapes, and a malformed manifest', async () => {
    const file = await packModelFile(parts());
    await expect(unpackModelFile(file.slice(0, Math.floor(file.size * 0.7)))).rejects.toThrow(/damaged|not a usable/);
    await expect(unpackModelFile(new Blob(['plain text']))).rejects.toThrow(/damaged or not a zip/);
    const flipped = await rewrite(file, 'weights.bin', (b) => Uint8Array.from(b, (v, i) => (i === 3 ? v ^ 1 : v)));
    await expect(unpackModelFile(flipped)).rejects.toThrow(/checksum of weights.bin/);
    // Oversized shapes: re-checksummed, so only the shape check can catch it.
    const huge = parts();
    huge.modelJson.weightsManifest[0].weights[0].shape = [4, 1e9];
    await expect(unpackModelFile(await packModelFile(huge))).rejects.toThrow(/unsupported type or shape|oversized/);
    const wrongOut = parts({ targetDim: 3 });
    await expect(unpackModelFile(await packModelFile(wrongOut))).rejects.toThrow(/output size|references.bin/);
    const noRefs = await rewrite(file, 'manifest.json', (b) => JSON.stringify({ ...json(b), references: [] }));
    await expect(unpackModelFile(noRefs)).rejects.toThrow(/reference list/);
    const notJson = await rewrite(file, 'manifest.json', () => '{"format": "simage-model",');
    await expect(unpackModelFile(notJson)).rejects.toThrow(/not valid JSON/);
  });

  it('validates manifests field by field, hostile strings included', () => {
    const good = { ...parts().manifest, files: { 'model.json': 'a', 'weights.bin': 'b', 'references.bin': 'c' } };
    expect(validateManifest(good)).toBeTruthy();
    expect(() => validateManifest(null)).toThrow(/not an object/);
    expect(() => validateManifest({ ...good, format: 'other' })).toThrow(/format/);
    expect(() => validateManifest({ ...good, version: 99 })).toThrow(/version 99/);
    expect(() => validateManifest({ ...good, head: '<img src=x onerror=alert(1)>' })).toThrow(/unknown head/);
    expect(() => validateManifest({ ...good, references: ['ok', 'x'.repeat(10_000)] })).toThrow(/reference list/);
    expect(() => validateManifest({ ...good, references: ['ok', 7] })).toThrow(/reference list/);
    expect(() => validateManifest({ ...good, k: -1 })).toThrow(/k is out of range/);
    expect(() => validateManifest({ ...good, files: { 'model.json': 'a' } })).toThrow(/checksums/);
    expect(() => validateManifest({ ...good, files: { 'model.json': 'a', 'weights.bin': 'b' } })).toThrow(/no reference vectors/);
  });

  it('says why a valid model does not fit: other features, another shard', () => {
    const m = { ...parts().manifest, files: {} } as ModelManifest;
    const here = { featureModelId: 'inception-v3@test/p1', shardLabelsHash: 'abc', shardName: 'demo', imageIds: new Set(refs) };
    expect(incompatibility(m, here)).toBeNull();
    expect(incompatibility(m, { ...here, featureModelId: 'other' })).toMatch(/made for other features/);
    expect(incompatibility(m, { ...here, shardLabelsHash: 'zzz', imageIds: new Set(['img_a']) })).toMatch(
      /another shard .*2 of its 3 reference images are not in this one/,
    );
  });
});

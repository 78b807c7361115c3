import { describe, expect, it } from 'vitest';
import { fitInside, rgbaToInput } from '../../src/lib/features/preprocess';
import { isSoftwareAdapter, planBackends } from '../../src/lib/features/backend';
import { featureModelId, PREPROCESS_VERSION } from '../../src/lib/features/model';
import { formatBytes, formatDuration, measureProgress, shareDone, throttle } from '../../src/lib/progress';
import { DEFAULT_SETTINGS, validateSettings } from '../../src/lib/settings';

describe('preprocessing', () => {
  it('scales RGB to [0,1], drops alpha by compositing over white, keeps pixel order', () => {
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 0, 0, 0, 255, 0, 255, 0, 0, 0, 128]);
    const out = new Float32Array(3 + 12);
    rgbaToInput(rgba, 2, out, 3);
    expect(Array.from(out.slice(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(out.slice(3, 9))).toEqual([1, 0, 0, 1, 1, 1]);
    expect(Array.from(out.slice(9, 12))).toEqual([0, 1, 0]);
    for (const v of out.slice(12)) expect(v).toBeCloseTo(1 - 128 / 255, 5);
  });
  it('refuses wrong sizes', () => {
    expect(() => rgbaToInput(new Uint8ClampedArray(15), 2, new Float32Array(12), 0)).toThrow();
    expect(() => rgbaToInput(new Uint8ClampedArray(16), 2, new Float32Array(11), 0)).toThrow();
  });
  it('fits thumbnails inside a box keeping the aspect ratio', () => {
    expect(fitInside(1000, 500, 96)).toEqual({ width: 96, height: 48 });
    expect(fitInside(10, 20, 96)).toEqual({ width: 10, height: 20 });
    expect(fitInside(10000, 1, 96)).toEqual({ width: 96, height: 1 });
  });
  it('versions the feature model id with the preprocessing', () => {
    expect(featureModelId('inception-v3@x')).toBe(`inception-v3@x/${PREPROCESS_VERSION}`);
  });
});

describe('backend plan', () => {
  const facts = { crossOriginIsolated: true, threads: 2 };
  it('uses WebGPU only on a hardware adapter in auto mode', () => {
    expect(planBackends('auto', { ...facts, webgpu: 'hardware' }).order).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    const soft = planBackends('auto', { ...facts, webgpu: 'software', adapterName: 'Google SwiftShader' });
    expect(soft.order).toEqual(['wasm', 'webgl', 'cpu']);
    expect(soft.reason).toMatch(/software.*SwiftShader.*2 threads/);
    expect(planBackends('auto', { ...facts, webgpu: 'absent', crossOriginIsolated: false }).reason).toMatch(/1 thread/);
  });
  it('tries an explicit choice first, then the fallbacks', () => {
    expect(planBackends('webgpu', { ...facts, webgpu: 'software' }).order).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(planBackends('cpu', { ...facts, webgpu: 'absent' }).order).toEqual(['cpu', 'wasm', 'webgl']);
  });
  it('recognizes software adapters', () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper' })).toBe(false);
  });
});

describe('progress', () => {
  it('computes rate and ETA', () => {
    const p = measureProgress('features', 10, 110, 0, 5000);
    expect(p.perSec).toBe(2);
    expect(p.etaS).toBe(50);
    expect(measureProgress('load', 3, null, 0, 1000).etaS).toBeNull();
    // A resumed stage counts what earlier runs stored in its share done, not in its rate.
    expect(shareDone(measureProgress('features', 0, 96, 0, 1000))).toBe(0);
    expect(shareDone({ ...measureProgress('features', 0, 96, 0, 1000), before: 32 })).toBe(25);
    expect(shareDone({ ...measureProgress('features', 48, 96, 0, 1000), before: 32 })).toBe(62);
    expect(shareDone(measureProgress('load', 3, null, 0, 1000))).toBeNull();
  });
  it('throttles but always emits forced values', () => {
    let t = 0;
    const seen: number[] = [];
    const emit = throttle(
      (v: number) => seen.push(v),
      100,
      () => t,
    );
    emit(1);
    t = 50;
    emit(2);
    emit(3, true);
    t = 200;
    emit(4);
    expect(seen).toEqual([1, 3, 4]);
  });
  it('formats durations and sizes', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(null)).toBe('–');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
  });
});

describe('settings', () => {
  it('validates and falls back to defaults', () => {
    expect(validateSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(validateSettings({ backend: 'wasm', batch: '4', threads: '1' })).toMatchObject({ backend: 'wasm', batchSize: 4, threads: 1 });
    expect(validateSettings({ backend: 'tpu', batchSize: 1000, threads: -1, layout: 'pca', k: 0, perplexity: 1, iterations: 5 })).toEqual(
      DEFAULT_SETTINGS,
    );
    expect(validateSettings({ layout: 'umap', k: '60', perplexity: '15', iterations: '500' })).toMatchObject({
      layout: 'umap',
      k: 60,
      perplexity: 15,
      iterations: 500,
    });
  });
});

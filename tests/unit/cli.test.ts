import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../scripts/pipeline';
import { BACKENDS } from '../../src/lib/features/backend';
import { LAYOUTS } from '../../src/lib/embedding/run';
import { WORKER_FAULTS } from '../../src/lib/faults';

describe('pipeline CLI arguments', () => {
  it('reads the shard and options', () => {
    expect(parseArgs(['shard/', '--backend', 'wasm', '--profile', 'p', '--out', 'r.json', '--batch', '4', '--threads', '1'])).toMatchObject(
      { shard: 'shard/', backend: 'wasm', profile: 'p', out: 'r.json', batch: 4, threads: 1 },
    );
    expect(parseArgs(['http://x/s.tar.gz']).backend).toBe('auto');
    expect(parseArgs(['s', '--layout', 'umap', '--k', '60', '--perplexity', '20', '--iterations', '500'])).toMatchObject({
      layout: 'umap',
      k: 60,
      perplexity: 20,
      iterations: 500,
    });
    expect(parseArgs(['s', '--predicted-labels', 'p.csv', '--suggestions', 's.csv'])).toMatchObject({
      predictedLabels: 'p.csv',
      suggestions: 's.csv',
    });
    expect(parseArgs(['s'])).toMatchObject({ predictedLabels: null, suggestions: null, model: null });
    expect(parseArgs(['s', '--model', 'mobilenet-v2']).model).toBe('mobilenet-v2');
    expect(parseArgs(['s', '--head', 'sets', '--layer', 'mixed7', '--target', 'layout', '--epochs', '12'])).toMatchObject({
      head: 'sets',
      layer: 'mixed7',
      target: 'layout',
      epochs: 12,
    });
  });
  it('refuses what it does not know, with one line', () => {
    expect(() => parseArgs([])).toThrow(/usage/);
    expect(() => parseArgs(['s', '--head', 'knn'])).toThrow(/unknown head knn/);
    expect(() => parseArgs(['s', '--layer', 'mixed6'])).toThrow(/unknown layer/);
    expect(() => parseArgs(['s', '--model', 'resnet50'])).toThrow(/unknown model resnet50 \(inception-v3, mobilenet-v2\)/);
    expect(() => parseArgs(['s', '--epochs', '1.5'])).toThrow(/--epochs needs a whole number/);
    expect(parseArgs(['s', '--plant-errors', '0.05']).plantErrors).toBe(0.05);
    expect(parseArgs(['s']).plantErrors).toBeNull();
    expect(() => parseArgs(['s', '--plant-errors', '0.8'])).toThrow(/--plant-errors needs a share above 0 and at most 0.5/);
    expect(() => parseArgs(['s', '--backend', 'tpu'])).toThrow(/unknown backend/);
    expect(() => parseArgs(['s', '--nope'])).toThrow(/unknown option/);
    expect(() => parseArgs(['s', '--out'])).toThrow(/needs a value/);
    expect(() => parseArgs(['s', '--layout', 'pca'])).toThrow(/unknown layout/);
    expect(() => parseArgs(['s', '--k', 'ten'])).toThrow(/whole number/);
    // A setting's range is the page's (src/lib/settings.ts): out of it, a sentence, not the default in silence.
    expect(() => parseArgs(['s', '--batch', '0'])).toThrow(/--batch needs a whole number from 1 to 64/);
    expect(() => parseArgs(['s', '--iterations', '10'])).toThrow(/--iterations needs a whole number from 50 to 10000/);
    expect(parseArgs(['s', '--batch', '64', '--threads', '0']).batch).toBe(64);
    expect(() => parseArgs(['s', '--inject', 'disk-full'])).toThrow(
      /unknown fault "disk-full" \(one of quota, device-lost, oom, reload-during=features/,
    );
    expect(() => parseArgs(['s', '--inject', 'reload-during=ingest'])).toThrow(/unknown stage "ingest" for reload-during/);
  });
  it('collects --inject faults, repeated or comma-separated', () => {
    expect(parseArgs(['s']).inject).toEqual([]);
    expect(parseArgs(['s', '--inject', 'quota', '--inject', 'reload-during=features, reload-during=train']).inject).toEqual([
      'quota',
      'reload-during=features',
      'reload-during=train',
    ]);
  });
  it('takes its choices from src/lib, so the CLI and the page accept the same values', () => {
    for (const layout of LAYOUTS) expect(parseArgs(['s', '--layout', layout]).layout).toBe(layout);
    for (const backend of BACKENDS) expect(parseArgs(['s', '--backend', backend]).backend).toBe(backend);
    for (const fault of WORKER_FAULTS) expect(parseArgs(['s', '--inject', fault]).inject).toEqual([fault]);
    expect(() => parseArgs(['--help'])).toThrow(new RegExp(`--layout ${LAYOUTS.join('\\|')}`));
  });
});

import { describe, expect, it } from 'vitest';
import { BackendLostError, FaultSpecError, isBackendLoss, parseFaults, workBefore } from '../../src/lib/faults';
import { CSP, CSP_DIRECTIVES } from '../../scripts/csp.mjs';

describe('fault plan (?inject=)', () => {
  it('splits worker faults from the reloads the driver causes, once each', () => {
    expect(parseFaults(null)).toEqual({ worker: [], reloadDuring: [] });
    expect(parseFaults(' quota , reload-during=features,quota,,reload-during=train ')).toEqual({
      worker: ['quota'],
      reloadDuring: ['features', 'train'],
    });
    expect(parseFaults('device-lost,oom,reload-during=embedding')).toEqual({ worker: ['device-lost', 'oom'], reloadDuring: ['embedding'] });
  });
  it('refuses an unknown fault or stage and lists the known ones', () => {
    expect(() => parseFaults('disk-full')).toThrow(FaultSpecError);
    expect(() => parseFaults('disk-full')).toThrow(/unknown fault "disk-full" \(one of quota, device-lost, oom, reload-during=features/);
    expect(() => parseFaults('reload-during=ingest')).toThrow(
      /unknown stage "ingest" for reload-during \(one of features, embedding, train\)/,
    );
  });
});

describe('backend loss', () => {
  it('tells a lost or exhausted GPU from an ordinary error', () => {
    expect(isBackendLoss(new BackendLostError('x'))).toBe(true);
    expect(isBackendLoss(new Error('the WebGPU device was lost (destroyed: Device was destroyed.)'))).toBe(true);
    expect(isBackendLoss(new Error('WebGPU ran out of memory (GPUOutOfMemoryError)'))).toBe(true);
    expect(isBackendLoss(new Error('WebGL context lost'))).toBe(true);
    expect(isBackendLoss(new Error('Unexpected token < in JSON'))).toBe(false);
    expect(isBackendLoss(new Error('shape mismatch: [2, 3] vs [3, 2]'))).toBe(false);
    expect(isBackendLoss(null)).toBe(false);
  });
});

describe('Content Security Policy', () => {
  it("keeps every fetch on the page's own origin and allows no eval", () => {
    const tokens: string[] = Object.values(CSP_DIRECTIVES as Record<string, string[]>).flat();
    expect(tokens).not.toContain("'unsafe-eval'");
    expect(CSP).not.toMatch(/'unsafe-eval'/);
    // WebAssembly may compile (TensorFlow.js WASM backend) without allowing eval.
    expect(CSP_DIRECTIVES['script-src']).toContain("'wasm-unsafe-eval'");
    // No host, scheme wildcard or https: source anywhere: nothing can be sent off the origin.
    for (const t of tokens) expect(t).toMatch(/^('self'|'none'|'unsafe-inline'|'wasm-unsafe-eval'|blob:|data:)$/);
    expect(CSP_DIRECTIVES['connect-src']).toContain("'self'");
    expect(CSP_DIRECTIVES['object-src']).toEqual(["'none'"]);
    expect(CSP).toMatch(/^default-src 'self'; /);
  });
});

describe('fallback wording', () => {
  it('counts the work kept in images or epochs, singular for one', () => {
    expect(workBefore({ stage: 'features', after: 1 })).toBe('1 image');
    expect(workBefore({ stage: 'features', after: 12 })).toBe('12 images');
    expect(workBefore({ stage: 'train', after: 1 })).toBe('1 epoch');
    expect(workBefore({ stage: 'train', after: 0 })).toBe('0 epochs');
  });
});

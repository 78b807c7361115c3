import { describe, expect, it } from 'vitest';
import { countText } from '../../src/lib/format';

describe('countText', () => {
  it('writes numbers as toLocaleString("en") does, without loading locale data', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 1_234_567, 100_000, -4321, 1234.5, 0.1234, 98_765.4321, -0.0004, 2 ** 40])
      expect(countText(n)).toBe(n.toLocaleString('en').replace(/^-0$/, '0'));
    expect(countText(NaN)).toBe('NaN');
    expect(countText(Infinity)).toBe('Infinity');
  });
});

import { describe, expect, it } from 'vitest';
import { fft2dScrambled, ifft2dScrambled } from '../../src/lib/embedding/fft';
import { FftRepulsion } from '../../src/lib/embedding/interpolation';
import { QuadTree } from '../../src/lib/embedding/sptree';
import { gaussian, seededRandom } from '../../src/lib/random';

describe('FFT for convolutions', () => {
  it.each([8, 16, 32])(
    'a pointwise product of scrambled spectra is the circular convolution (m = %i), and the inverse undoes the forward',
    (m) => {
      const random = seededRandom(m);
      const half = m / 2;
      // Two real signals packed as real and imaginary parts, non-zero only in the first half of the columns (as the
      // charges are), and a real, even kernel (as the t-SNE kernel is), whose spectrum is then real.
      const xr = Float64Array.from({ length: m * m }, (_, t) => (t % m < half ? random() - 0.5 : 0));
      const xi = Float64Array.from({ length: m * m }, (_, t) => (t % m < half ? random() - 0.5 : 0));
      const k = new Float64Array(m * m);
      for (let a = 0; a < m; a++)
        for (let b = 0; b < m; b++) {
          const da = Math.min(a, m - a),
            db = Math.min(b, m - b);
          k[a * m + b] = 1 / (1 + da * da + 2 * db * db);
        }
      const direct = (x: Float64Array) => {
        const out = new Float64Array(m * m);
        for (let a = 0; a < m; a++)
          for (let b = 0; b < m; b++) {
            let s = 0;
            for (let c = 0; c < m; c++) for (let d = 0; d < m; d++) s += x[c * m + d] * k[((a - c + m) % m) * m + ((b - d + m) % m)];
            out[a * m + b] = s;
          }
        return out;
      };
      const wantR = direct(xr),
        wantI = direct(xi);
      const kr = Float64Array.from(k),
        ki = new Float64Array(m * m);
      fft2dScrambled(kr, ki, m);
      for (const v of ki) expect(Math.abs(v)).toBeLessThan(1e-9);
      const gr = Float64Array.from(xr),
        gi = Float64Array.from(xi);
      fft2dScrambled(gr, gi, m, half);
      for (let t = 0; t < m * m; t++) {
        gr[t] *= kr[t];
        gi[t] *= kr[t];
      }
      ifft2dScrambled(gr, gi, m, half);
      for (let t = 0; t < m * m; t++) {
        if (t % m >= half) continue; // only the first columns are asked for
        expect(gr[t] / (m * m)).toBeCloseTo(wantR[t], 9);
        expect(gi[t] / (m * m)).toBeCloseTo(wantI[t], 9);
      }
      // Round trip without a kernel.
      const rr = Float64Array.from(xr),
        ri = Float64Array.from(xi);
      fft2dScrambled(rr, ri, m, half);
      ifft2dScrambled(rr, ri, m);
      for (let t = 0; t < m * m; t++) expect(rr[t] / (m * m)).toBeCloseTo(xr[t], 12);
    },
  );

  it('refuses sizes that are not powers of two', () => {
    expect(() => fft2dScrambled(new Float64Array(36), new Float64Array(36), 6)).toThrow(/power of two/);
  });
});

function exactRepulsion(y: Float32Array, n: number) {
  const force = new Float64Array(2 * n);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const dx = y[2 * i] - y[2 * j],
        dy = y[2 * i + 1] - y[2 * j + 1];
      const q = 1 / (1 + dx * dx + dy * dy);
      z += q;
      force[2 * i] += q * q * dx;
      force[2 * i + 1] += q * q * dy;
    }
  }
  return { force, z };
}

describe('t-SNE repulsion', () => {
  const n = 600;
  const normal = gaussian(seededRandom(4));
  const y = Float32Array.from({ length: 2 * n }, (_, i) => normal() * 6 + (i % 4 < 2 ? 15 : -15));
  const exact = exactRepulsion(y, n);
  const maxF = Math.max(...exact.force.map(Math.abs));

  it('FFT interpolation (FIt-SNE) matches the exact sums', () => {
    const force = new Float64Array(2 * n);
    const z = new FftRepulsion().compute(y, n, force);
    let worst = 0;
    for (let t = 0; t < 2 * n; t++) worst = Math.max(worst, Math.abs(force[t] - exact.force[t]) / maxF);
    console.info(
      `[FIt-SNE repulsion, 600 points] relative error: Z ${(Math.abs(z - exact.z) / exact.z).toExponential(2)}, forces ${worst.toExponential(2)}`,
    );
    // The same order of accuracy as FIt-SNE's defaults (3 nodes per box, about one box per unit)...
    expect(Math.abs(z - exact.z) / exact.z).toBeLessThan(5e-3);
    expect(worst).toBeLessThan(5e-2);
    // ...and it converges: twice the boxes per unit, about ten times less error (third-order interpolation).
    const fine = new Float64Array(2 * n);
    const zFine = new FftRepulsion({ boxesPerUnit: 2, minBoxes: 50, maxGrid: 2048 }).compute(y, n, fine);
    let worstFine = 0;
    for (let t = 0; t < 2 * n; t++) worstFine = Math.max(worstFine, Math.abs(fine[t] - exact.force[t]) / maxF);
    expect(Math.abs(zFine - exact.z) / exact.z).toBeLessThan(5e-4);
    expect(worstFine).toBeLessThan(5e-3);
  });

  it('Barnes-Hut matches the exact sums within its theta error', () => {
    const tree = new QuadTree(16);
    tree.build(y, n);
    const out = new Float64Array(2);
    const stack = new Int32Array(400);
    let z = 0;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      z += tree.repulsion(i, y[2 * i], y[2 * i + 1], 0.25, out, stack);
      worst = Math.max(worst, Math.abs(out[0] - exact.force[2 * i]) / maxF, Math.abs(out[1] - exact.force[2 * i + 1]) / maxF);
    }
    expect(Math.abs(z - exact.z) / exact.z).toBeLessThan(1e-2);
    expect(worst).toBeLessThan(5e-2);
  });
});

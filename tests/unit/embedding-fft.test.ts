import { describe, expect, it } from 'vitest';
import { fft1d, fft2d } from '../../src/lib/embedding/fft';
import { FftRepulsion } from '../../src/lib/embedding/interpolation';
import { QuadTree } from '../../src/lib/embedding/sptree';
import { gaussian, seededRandom } from '../../src/lib/random';

describe('FFT', () => {
  it('matches the direct DFT and inverts', () => {
    const n = 16;
    const random = seededRandom(1);
    const re = Float64Array.from({ length: n }, () => random());
    const im = Float64Array.from({ length: n }, () => random());
    const [r0, i0] = [Float64Array.from(re), Float64Array.from(im)];
    fft1d(re, im, n);
    for (let k = 0; k < n; k++) {
      let sr = 0, si = 0;
      for (let t = 0; t < n; t++) {
        const a = (-2 * Math.PI * k * t) / n;
        sr += r0[t] * Math.cos(a) - i0[t] * Math.sin(a);
        si += r0[t] * Math.sin(a) + i0[t] * Math.cos(a);
      }
      expect(re[k]).toBeCloseTo(sr, 9);
      expect(im[k]).toBeCloseTo(si, 9);
    }
    const m = 8;
    const gr = Float64Array.from({ length: m * m }, () => random());
    const gi = new Float64Array(m * m);
    const copy = Float64Array.from(gr);
    fft2d(gr, gi, m);
    fft2d(gr, gi, m, true);
    for (let t = 0; t < m * m; t++) expect(gr[t] / (m * m)).toBeCloseTo(copy[t], 9);
    expect(() => fft1d(new Float64Array(6), new Float64Array(6), 6)).toThrow(/power of two/);
  });
});

function exactRepulsion(y: Float32Array, n: number) {
  const force = new Float64Array(2 * n);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
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
    console.info(`[FIt-SNE repulsion, 600 points] relative error: Z ${(Math.abs(z - exact.z) / exact.z).toExponential(2)}, forces ${worst.toExponential(2)}`);
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

// Uncertainty of the evaluation's figures: percentile bootstrap intervals over queries (Efron & Tibshirani 1993,
// "An Introduction to the Bootstrap", ch. 13). Every figure is a mean over queries (or, for label queries, over
// labels); a resample draws that many queries with replacement and takes the mean again. Paired intervals (the
// trained net minus raw-feature kNN) draw the same queries for both, so the queries' own difficulty cancels out.
// One draw of resamples serves every series of the same queries, so all intervals of one table are consistent.
// Pure and seeded: the same per-query values and seed give the same intervals.
import { seededRandom } from '../random';
import { countText } from '../format';

/** 95% intervals from 1,000 resamples: the percentile interval's end points are stable to about 0.1 of its width. */
export const BOOTSTRAP_RESAMPLES = 1000;
export const BOOTSTRAP_LEVEL = 0.95;

/** [low, high] of a 95% interval. */
export type Interval = [number, number];

/** A paired difference: its mean over the queries and the interval of that mean. */
export interface Difference {
  mean: number;
  ci: Interval;
  /** The interval excludes 0: at this many queries the difference is more than noise. */
  significant: boolean;
}

export class Bootstrap {
  /** counts[b * n + i]: how often query i is drawn in resample b. */
  private readonly counts: Uint16Array;
  constructor(
    readonly n: number,
    seed: number,
    readonly resamples = BOOTSTRAP_RESAMPLES,
  ) {
    const random = seededRandom(seed ^ 0x5eed);
    this.counts = new Uint16Array(n * resamples);
    for (let b = 0; b < resamples; b++) for (let j = 0; j < n; j++) this.counts[b * n + Math.floor(random() * n)]++;
  }

  /** The resampled means of per-query values (length n). */
  private means(values: ArrayLike<number>): Float64Array {
    const { n, counts } = this;
    if (values.length !== n) throw new Error(`bootstrap over ${n} queries given ${values.length} values`);
    const out = new Float64Array(this.resamples);
    for (let b = 0; b < this.resamples; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += counts[b * n + i] * values[i];
      out[b] = n ? s / n : 0;
    }
    return out;
  }

  /** The 95% percentile interval of the mean of per-query values. */
  interval(values: ArrayLike<number>): Interval {
    return percentiles(this.means(values));
  }

  /** The mean of a - b (per query, paired) and its 95% interval. */
  difference(a: ArrayLike<number>, b: ArrayLike<number>): Difference {
    const d = Float64Array.from(a, (v, i) => v - b[i]);
    const mean = d.reduce((s, v) => s + v, 0) / Math.max(d.length, 1);
    const ci = this.interval(d);
    return { mean, ci, significant: d.length > 0 && (ci[0] > 0 || ci[1] < 0) };
  }
}

function percentiles(sample: Float64Array): Interval {
  if (sample.length === 0) return [0, 0];
  const sorted = Float64Array.from(sample).sort();
  const tail = (1 - BOOTSTRAP_LEVEL) / 2;
  const at = (q: number) => {
    // Linear interpolation between order statistics (numpy's default), so a few resamples give a sane interval.
    const x = q * (sorted.length - 1);
    const lo = Math.floor(x);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
  };
  return [at(tail), at(1 - tail)];
}

const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;

/** One sentence on a paired difference, as the Details tab says it: the gain, its interval, and whether it is more
 *  than noise at this many queries. */
export function differenceSentence(what: string, d: Difference, queries: number, unit = 'queries', digits = 3): string {
  const range = `95% interval ${signed(d.ci[0], digits)} to ${signed(d.ci[1], digits)}`;
  const verdict = d.significant
    ? `more than noise at ${countText(queries)} ${unit}`
    : `the interval holds 0, so at ${countText(queries)} ${unit} this difference is noise`;
  return `${what}: ${signed(d.mean, digits)} (${range}); ${verdict}.`;
}

/** An interval as the tables show it: "0.181–0.212". */
export const intervalText = (i: Interval | undefined, digits = 3) => (i ? `${i[0].toFixed(digits)}–${i[1].toFixed(digits)}` : '');

// Synthetic label matrices shaped like real image labels: each image draws most of its ~8 labels from one of
// `topics` topic pools and a few at random, confidences in [0.5, 1]. Seeded, so every run measures the same data.
import { csrFromRows, type CsrMatrix } from '../src/lib/sparse';
import { seededRandom } from '../src/lib/random';

export function syntheticLabels(
  rows: number,
  cols: number,
  perRow: number,
  topics: number,
  seed = 1,
): { matrix: CsrMatrix; topic: Int32Array } {
  const random = seededRandom(seed);
  const poolSize = Math.max(perRow * 4, Math.floor(cols / topics));
  const pools = Array.from({ length: topics }, () => Array.from({ length: poolSize }, () => Math.floor(random() * cols)));
  const topic = new Int32Array(rows);
  const lists = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const t = Math.floor(random() * topics);
    topic[i] = t;
    const row = [];
    for (let j = 0; j < perRow; j++) {
      const col = random() < 0.8 ? pools[t][Math.floor(random() * poolSize)] : Math.floor(random() * cols);
      row.push({ col, value: 0.5 + 0.5 * random() });
    }
    lists[i] = row;
  }
  return { matrix: csrFromRows(lists, cols), topic };
}

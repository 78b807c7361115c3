// Out-of-fold nets for the label review (cross-fitting, as cleanlab does: Northcutt et al. 2021, "Confident
// learning: estimating uncertainty in dataset labels"). The net that places a training image for the review was
// fitted on that very image's labels, so a wrong label pulls the image's prediction towards itself and hides. Here
// the references are split into seeded folds, and each fold's images are placed by a net trained, with the model's
// settings and its chosen number of epochs, on the other folds only; every net ranks all references. Runs the net
// through heads.ts; no DOM.
import { seededRandom } from '../random';
import { setReferences, trainHead, type Retriever, type TrainSettings } from './heads';

/** Folds of the review's cross-fitting. */
export const CROSSFIT_FOLDS = 4;
/** Above this many references the review is scored in-sample: each fold trains on three quarters of them, and four
 *  such trainings at 100,000 images would take several times the training itself. */
export const CROSSFIT_MAX_REFERENCES = 20_000;

export type ReviewMethod = 'cross-fitted' | 'in-sample';

/** How a model's review is scored: out of fold for an 'embedding' head with enough references to split. */
export function reviewMethod(head: string, references: number): ReviewMethod {
  return head === 'embedding' && references >= 2 * CROSSFIT_FOLDS && references <= CROSSFIT_MAX_REFERENCES ? 'cross-fitted' : 'in-sample';
}

/** Each of n references' fold (0..folds-1): a seeded shuffle dealt round, so folds differ in size by at most one. */
export function foldsOf(n: number, folds: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out = new Int32Array(n);
  order.forEach((ref, rank) => (out[ref] = rank % folds));
  return out;
}

export interface FoldData {
  dim: number;
  /** Every reference's features (R x dim), in reference order. */
  x: Float32Array;
  /** Every reference's label vector (R x targetDim), as the model's loss wants it. */
  targets: Float32Array;
  targetDim: number;
}

/**
 * An 'embedding' net trained on the references outside fold `f` for exactly `epochs` epochs, ranking every
 * reference. The caller disposes it (`model.dispose()`, `refs.dispose()`). Null when cancelled.
 */
export async function trainOutOfFold(
  data: FoldData,
  folds: Int32Array,
  f: number,
  settings: TrainSettings,
  epochs: number,
  hooks: { shouldStop?: () => boolean; onEpoch?: (epoch: number) => void | Promise<void> } = {},
): Promise<Retriever | null> {
  const { dim, targetDim } = data;
  const rows: number[] = [];
  folds.forEach((g, i) => {
    if (g !== f) rows.push(i);
  });
  const x = new Float32Array(rows.length * dim);
  const targets = new Float32Array(rows.length * targetDim);
  rows.forEach((row, j) => {
    x.set(data.x.subarray(row * dim, (row + 1) * dim), j * dim);
    targets.set(data.targets.subarray(row * targetDim, (row + 1) * targetDim), j * targetDim);
  });
  const outcome = await trainHead(
    {
      dim,
      trainX: x,
      sets: new Int32Array(0),
      setK: 0,
      targets,
      targetDim,
      valX: new Float32Array(0),
      task: {
        labels: { rows: 0, cols: 0, rowPtr: new Int32Array(1), colIdx: new Int32Array(0), values: new Float32Array(0) },
        refRows: new Int32Array(0),
        queryRows: new Int32Array(0),
      },
    },
    { ...settings, epochs: Math.max(1, epochs), patience: Math.max(1, epochs) + 1 },
    {
      random: seededRandom(settings.seed + 7919 * (f + 1)),
      shouldStop: hooks.shouldStop,
      onEpoch: (report) => hooks.onEpoch?.(report.epoch),
    },
  );
  if (outcome.cancelled) {
    outcome.retriever.model.dispose();
    outcome.retriever.refs?.dispose();
    return null;
  }
  setReferences(outcome.retriever, data.targets, targetDim);
  return outcome.retriever;
}

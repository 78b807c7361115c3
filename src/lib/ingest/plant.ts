// Planted label errors, to measure the label review as label-error finders are measured (cleanlab's benchmarks,
// Northcutt et al. 2021, "Confident learning"): in a copy of a collection's labels, a seeded share of the given
// labels is removed and as many wrong labels are added, and the review's suggestions are then scored against that
// list (src/lib/retrieval/review-eval.ts). `npm run pipeline -- --plant-errors RATE` (the page's `?plant=RATE`).
// Pure: the images' labels are changed in place and the planted errors are returned.
import { seededRandom } from '../random';
import type { ShardImage } from './assemble';

export interface PlantedError {
  imageId: string;
  labelName: string;
  /** 'removed': a true label taken away (the review should suggest adding it back); 'added': a wrong label given
   *  (the review should suggest removing it). */
  kind: 'removed' | 'added';
}

export interface Planted {
  rate: number;
  seed: number;
  errors: PlantedError[];
}

/** The largest share that may be planted: beyond it the labels no longer say much that is right. */
export const MAX_PLANT_RATE = 0.5;

/**
 * Removes round(rate * given) given labels (never an image's last one: an unlabelled image is not reviewed) and adds
 * as many wrong ones (a label of the collection the image neither carries nor is marked without), seeded.
 */
export function plantLabelErrors(images: ShardImage[], rate: number, seed = 1): Planted {
  if (!(rate > 0 && rate <= MAX_PLANT_RATE)) throw new RangeError(`plant rate ${rate} is not in (0, ${MAX_PLANT_RATE}]`);
  const random = seededRandom(seed * 7919 + 3);
  const pairs: [number, number][] = [];
  images.forEach((im, i) => im.labels.forEach((_, j) => pairs.push([i, j])));
  const count = Math.round(rate * pairs.length);
  const vocabulary = [...new Set(images.flatMap((im) => im.labels.map((l) => l.labelName)))].sort();
  const errors: PlantedError[] = [];
  // Removals: a seeded shuffle of the given labels, taken in order while the image keeps another label.
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
  }
  const removed = new Map<number, Set<string>>();
  for (const [i, j] of pairs) {
    if (errors.length >= count) break;
    const im = images[i];
    const gone = removed.get(i) ?? new Set<string>();
    if (im.labels.length - gone.size < 2) continue;
    gone.add(im.labels[j].labelName);
    removed.set(i, gone);
    errors.push({ imageId: im.imageId, labelName: im.labels[j].labelName, kind: 'removed' });
  }
  for (const [i, gone] of removed) images[i].labels = images[i].labels.filter((l) => !gone.has(l.labelName));
  // Additions: a random labelled image, a random label it does not carry (nor had, nor is marked without).
  const labelled = images.map((im, i) => (im.labels.length ? i : -1)).filter((i) => i >= 0);
  let added = 0;
  for (let tries = 0; added < count && tries < count * 20 && vocabulary.length > 1 && labelled.length; tries++) {
    const i = labelled[Math.floor(random() * labelled.length)];
    const im = images[i];
    const name = vocabulary[Math.floor(random() * vocabulary.length)];
    if (im.labels.some((l) => l.labelName === name) || im.negatives.includes(name) || removed.get(i)?.has(name)) continue;
    im.labels.push({ labelName: name, confidence: 1 });
    errors.push({ imageId: im.imageId, labelName: name, kind: 'added' });
    added++;
  }
  return { rate, seed, errors };
}

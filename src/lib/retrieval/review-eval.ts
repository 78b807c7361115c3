// The label review measured on planted errors (src/lib/ingest/plant.ts), as label-error finders are measured: the
// precision of the first 50 and 200 suggestions (the share that undo a planted error: "remove" a planted wrong
// label, "add" back a removed one) and the recall of the planted errors over the whole list; the same for the
// baseline, a raw-feature kNN vote with the same suggestion rule. Report key evaluation.review. Pure.
import type { PlantedError } from '../ingest/plant';
import type { Suggestion } from './tagging';

export interface ReviewScores {
  precision_at_50: number;
  precision_at_200: number;
  recall: number;
  suggestions: number;
}

export interface ReviewEvaluation extends ReviewScores {
  planted: number;
  /** Planted errors the review could find at all: on a labelled image, a label at least 5 other training images carry. */
  findable: number;
  rate: number;
  baseline: ReviewScores;
  /** How the suggestions' scores were made: 'in-sample', by the net that was fitted on those very images. */
  method: string;
  /** The same review with each training image scored by a net trained without it (crossfit.ts), at most
   *  CROSSFIT_MAX_REFERENCES references: measured, not shown. */
  cross_fitted?: ReviewScores;
}

const key = (imageId: string, labelName: string) => `${imageId}\u0000${labelName}`;

/** Precision of the first 50 and 200 suggestions and the recall of the planted errors. A list shorter than N is
 *  scored over N (a finder that says less is not more precise for it). */
export function scoreSuggestions(suggestions: Suggestion[], planted: PlantedError[]): ReviewScores {
  const wrong = new Map(planted.map((e) => [key(e.imageId, e.labelName), e.kind]));
  const hit = suggestions.map((s) => {
    const kind = wrong.get(key(s.imageId, s.labelName));
    return (s.kind === 'remove' && kind === 'added') || (s.kind === 'add' && kind === 'removed');
  });
  const hitsIn = (n: number) => hit.slice(0, n).filter(Boolean).length;
  return {
    precision_at_50: hitsIn(50) / 50,
    precision_at_200: hitsIn(200) / 200,
    recall: planted.length ? hitsIn(hit.length) / planted.length : 0,
    suggestions: suggestions.length,
  };
}

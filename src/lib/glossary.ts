// What each figure the page shows means, in one plain sentence, and the section of docs/METHODS.md that says how it
// is measured. The page shows the sentence on hover or focus (views/Explain.svelte) with a link to the section in
// methods.html, which the build renders from docs/METHODS.md (vite.config.ts); a unit test checks that every
// section named here is a heading there.

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export interface GlossaryEntry {
  /** One plain-language sentence. */
  line: string;
  /** A heading of docs/METHODS.md, as written there. */
  section: string;
}

const SCORE = 'The 2017 retrieval score';
const FIGURES = 'The figures the page shows';
const NET = 'Retrieval net: heads and training';
const UNCERTAINTY = 'Every figure with its uncertainty';
const LABELS = 'Labels both ways';
const HUBS = 'Hubs, and images placed by prediction competing fairly';

export const GLOSSARY = {
  score: {
    line: 'The 2017 script’s own figure: how much the labels of the k results overlap the query’s, weighted by confidence, averaged over the queries (0 to about 1; higher is better).',
    section: SCORE,
  },
  precision: {
    line: 'The share of the k results that are truly similar to the query (in its similar set by labels), averaged over the queries.',
    section: FIGURES,
  },
  map: {
    line: 'Mean average precision: like precision@k, but a truly similar result counts more the higher it ranks.',
    section: FIGURES,
  },
  trained: {
    line: 'The retrieval net trained on your labels: an image’s features are mapped to a point in label space, and results are the nearest points.',
    section: FIGURES,
  },
  feature_knn: {
    line: 'The baseline: the images whose raw features (what the base network sees) are most alike by cosine, without your labels.',
    section: FIGURES,
  },
  random: {
    line: 'k images drawn at random: the floor any method must beat.',
    section: FIGURES,
  },
  oracle: {
    line: 'The query’s own similar set, read from its labels: the best any method could do, and the cap on every other row.',
    section: FIGURES,
  },
  capped: {
    line: 'A query has at most k truly similar references, often fewer: no method can beat the oracle’s row, so read a figure against it, not against 1.',
    section: FIGURES,
  },
  interval: {
    line: 'The small figures: a 95% bootstrap interval over the queries. Two figures whose intervals overlap may differ by chance alone.',
    section: UNCERTAINTY,
  },
  similar_set: {
    line: 'How well the map’s neighbourhoods agree with the labels: the 2017 score of each training image’s k nearest images in label space (these sets are what “truly similar” means).',
    section: FIGURES,
  },
  tagging: {
    line: 'Labels predicted for held-out images as if they had none, scored against their real labels: MAP over the ranked labels, and the share right among the first 1 and 5.',
    section: LABELS,
  },
  hybrid: {
    line: 'Predicted labels come from a vote of the image’s neighbours: partly its neighbours in label space, partly those that look most alike (raw features); the share by look was chosen on the hold-out.',
    section: LABELS,
  },
  label_words: {
    line: 'Label words as a query: the share of the top results that carry the word (with a minus word: carry A and not B).',
    section: 'Minus words',
  },
  design: {
    line: 'The net’s input and output: which layer of the base network it reads, and the label space it predicts a point in.',
    section: NET,
  },
  hubs: {
    line: 'A hub is an image that turns up in the results of many queries it shares no label with; the calibration lowers such images’ scores.',
    section: HUBS,
  },
  selection: {
    line: 'The figure training watched to choose its epoch: the 2017 score on training images kept out of training (the hold-out), never on the reported queries.',
    section: NET,
  },
  loss: {
    line: 'How far the net’s predicted points are from the images’ label points (mean cosine distance), on the training images; it should fall.',
    section: FIGURES,
  },
} satisfies Record<string, GlossaryEntry>;

export type GlossaryTerm = keyof typeof GLOSSARY;

/** The link to a term's section in the rendered methods page. */
export function methodsLink(term: GlossaryTerm): string {
  return `methods.html#${headingSlug(GLOSSARY[term].section)}`;
}

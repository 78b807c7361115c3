// How the map colours its points, pure: by the most frequent labels (each point takes the colour of the first of
// them it carries) or by split, with a legend; and how it marks the label filter's matches, the selection, and
// everything else (dimmed) when either narrows the view.
import { categoryOf, PALETTE } from './geometry';

export type ColourBy = 'labels' | 'split';

export interface LegendEntry {
  /** A LabelName, a split, or '' for "other". */
  key: string;
  label: string;
  colour: string;
  count: number;
}

export interface PointColours {
  rgba: Uint8Array;
  /** 0 dimmed, 1 normal, 2 highlighted (matches the filter), 3 selected. */
  style: Uint8Array;
  legend: LegendEntry[];
}

const OTHER: [number, number, number] = [148, 163, 184];
const DIM: [number, number, number] = [186, 194, 205];
const SPLITS: Record<string, [number, number, number]> = { train: [37, 99, 235], validation: [234, 88, 12], test: [22, 163, 74] };
const css = ([r, g, b]: readonly number[]) => `rgb(${r} ${g} ${b})`;

/** The labels to colour by: greedily, the label carried by the most points not yet coloured, up to `max`, so the
 *  colours split the map (the most frequent labels alone often all sit on the same images). Labels as integer ids
 *  and counts in a typed array: at 10,000 points of 8 labels each, 12 rounds take a few milliseconds. */
export function coverLabels<T extends { name: string }>(
  pointLabels: readonly (readonly string[])[],
  vocabulary: readonly T[],
  max: number,
): T[] {
  const idOf = new Map(vocabulary.map((v, i) => [v.name, i]));
  const offsets = new Int32Array(pointLabels.length + 1);
  pointLabels.forEach((list, p) => (offsets[p + 1] = offsets[p] + list.length));
  const ids = new Int32Array(offsets[pointLabels.length]);
  pointLabels.forEach((list, p) => list.forEach((l, j) => (ids[offsets[p] + j] = idOf.get(l) ?? -1)));
  const covered = new Uint8Array(pointLabels.length);
  const counts = new Int32Array(vocabulary.length);
  const chosen: T[] = [];
  while (chosen.length < max) {
    counts.fill(0);
    for (let p = 0; p < pointLabels.length; p++) {
      if (covered[p]) continue;
      for (let j = offsets[p]; j < offsets[p + 1]; j++) if (ids[j] >= 0) counts[ids[j]]++;
    }
    // Ties go to the earlier label of the vocabulary (the more frequent one overall).
    let best = -1;
    for (let v = 0; v < counts.length; v++) if (counts[v] > (best < 0 ? 0 : counts[best])) best = v;
    if (best < 0) break;
    chosen.push(vocabulary[best]);
    for (let p = 0; p < pointLabels.length; p++) {
      if (covered[p]) continue;
      for (let j = offsets[p]; j < offsets[p + 1]; j++) if (ids[j] === best) covered[p] = 1;
    }
  }
  return chosen;
}

export interface PointFacts {
  labels: readonly (readonly string[])[];
  splits: readonly string[];
}

/** Colours for every point. `top`: the labels to colour by, most frequent first, with display names. `match` and
 *  `selected` (per point, 1 = yes), when given, narrow the view: points outside them are dimmed. */
export function colourPoints(
  facts: PointFacts,
  by: ColourBy,
  top: readonly { name: string; display: string }[],
  match: Uint8Array | null,
  selected: Uint8Array | null,
): PointColours {
  const n = facts.splits.length;
  const rgba = new Uint8Array(4 * n);
  const style = new Uint8Array(n);
  const legend: LegendEntry[] = [];
  const counts = new Map<string, number>();
  const paint = (i: number, c: readonly number[]) => {
    rgba[4 * i] = c[0];
    rgba[4 * i + 1] = c[1];
    rgba[4 * i + 2] = c[2];
    rgba[4 * i + 3] = 255;
  };
  const category = by === 'labels' ? categoryOf(facts.labels, top.map((t) => t.name).slice(0, PALETTE.length)) : null;
  const narrowed = match !== null || selected !== null;
  for (let i = 0; i < n; i++) {
    const key = category ? (category[i] >= 0 ? top[category[i]].name : '') : facts.splits[i];
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const shown = (!match || match[i] === 1) && (!selected || selected[i] === 1);
    style[i] = !narrowed ? 1 : !shown ? 0 : selected ? 3 : 2;
    if (style[i] === 0) paint(i, DIM);
    else if (category) paint(i, category[i] >= 0 ? PALETTE[category[i]] : OTHER);
    else paint(i, SPLITS[facts.splits[i]] ?? OTHER);
  }
  if (category) {
    top.slice(0, PALETTE.length).forEach((t, c) => {
      const count = counts.get(t.name) ?? 0;
      if (count) legend.push({ key: t.name, label: t.display, colour: css(PALETTE[c]), count });
    });
    if (counts.get('')) legend.push({ key: '', label: 'other labels or none', colour: css(OTHER), count: counts.get('')! });
  } else {
    for (const [split, c] of Object.entries(SPLITS))
      if (counts.get(split)) legend.push({ key: split, label: split, colour: css(c), count: counts.get(split)! });
  }
  return { rgba, style, legend };
}

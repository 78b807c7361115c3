// How the map colours its points, pure: by the most frequent labels (each point takes the colour of the first of
// them it carries) or by split, with a legend; and how it marks the label filter's matches, the selection, and
// everything else (dimmed) when either narrows the view.
import { categoryOf, PALETTE } from './geometry';
import type { ImageLabels } from '../workspace/labels';
import { transposePattern } from '../sparse';

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

/** Per point, the labels its image carries (vocabulary positions, compressed rows as in `ImageLabels`) and its split. */
export interface PointFacts {
  labelOffsets: Int32Array;
  labelIds: Int32Array;
  splits: readonly string[];
}

/** The facts of every point from its image (`imageOfPoint[p]`, -1 for none) and the images' labels: typed arrays
 *  gathered in one pass, no per-point objects (at 100,000 points the per-point label lists took about 150 ms). */
export function pointFacts(imageOfPoint: Int32Array, imageLabels: ImageLabels, splitOf: (image: number) => string): PointFacts {
  const n = imageOfPoint.length;
  const { offsets, ids } = imageLabels;
  const labelOffsets = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) {
    const i = imageOfPoint[p];
    labelOffsets[p + 1] = labelOffsets[p] + (i >= 0 && i + 1 < offsets.length ? offsets[i + 1] - offsets[i] : 0);
  }
  const labelIds = new Int32Array(labelOffsets[n]);
  const splits = new Array<string>(n);
  for (let p = 0; p < n; p++) {
    const i = imageOfPoint[p];
    splits[p] = i >= 0 ? splitOf(i) : '';
    if (labelOffsets[p + 1] > labelOffsets[p]) labelIds.set(ids.subarray(offsets[i], offsets[i + 1]), labelOffsets[p]);
  }
  return { labelOffsets, labelIds, splits };
}

/** The labels to colour by, as vocabulary positions: greedily, the label carried by the most points not yet
 *  coloured, up to `max`, so the colours split the map (the most frequent labels alone often all sit on the same
 *  images). `vocabularySize` bounds the ids; ties go to the lower id (the more frequent label overall). Counts are
 *  kept as points get covered, through each label's list of points, so the whole is one pass over the labels. */
export function coverLabels(facts: Pick<PointFacts, 'labelOffsets' | 'labelIds'>, vocabularySize: number, max: number): number[] {
  const { labelOffsets: offsets, labelIds: ids } = facts;
  const n = offsets.length - 1;
  // Each label's points; a label's count is how many of them are not yet covered.
  const { start, rows: pointsOf } = transposePattern(offsets, ids, vocabularySize);
  const counts = Int32Array.from({ length: vocabularySize }, (_, v) => start[v + 1] - start[v]);
  const covered = new Uint8Array(n);
  const chosen: number[] = [];
  while (chosen.length < max) {
    let best = -1;
    for (let v = 0; v < vocabularySize; v++) if (counts[v] > (best < 0 ? 0 : counts[best])) best = v;
    if (best < 0) break;
    chosen.push(best);
    for (let k = start[best]; k < start[best + 1]; k++) {
      const p = pointsOf[k];
      if (covered[p]) continue;
      covered[p] = 1;
      for (let j = offsets[p]; j < offsets[p + 1]; j++) counts[ids[j]]--;
    }
  }
  return chosen;
}

/** Colours for every point. `top`: the labels to colour by, most frequent first, with their vocabulary positions
 *  (`id`) and display names. `match` and `selected` (per point, 1 = yes), when given, narrow the view: points
 *  outside them are dimmed. */
export function colourPoints(
  facts: PointFacts,
  by: ColourBy,
  top: readonly { id: number; name: string; display: string }[],
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
  const category =
    by === 'labels'
      ? categoryOf(
          facts.labelOffsets,
          facts.labelIds,
          top.slice(0, PALETTE.length).map((t) => t.id),
        )
      : null;
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

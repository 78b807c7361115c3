// The shard's label vocabulary as the workspace uses it: every label in use with its display name (classes.csv) and
// how many images carry it, completion for the label search box, and the images that carry all chosen labels.
// Pure: built from the image records once per shard, then each keystroke is a scan of the vocabulary only.

export interface LabelEntry {
  /** The LabelName (for example a /m/ id), as in labels.csv. */
  name: string;
  /** Its display name from classes.csv, or the name itself when it has none. */
  display: string;
  /** Images carrying it (confidence above zero). */
  count: number;
}

export interface LabelIndex {
  /** Every label in use, most frequent first (ties by display name). */
  vocabulary: LabelEntry[];
  byName: Map<string, LabelEntry>;
  /** LabelName -> indices of the images carrying it, ascending. */
  postings: Map<string, Int32Array>;
  images: number;
}

interface Labelled {
  labels: { labelName: string }[];
}

export function buildLabelIndex(images: readonly Labelled[], classes: ReadonlyMap<string, string>): LabelIndex {
  const lists = new Map<string, number[]>();
  images.forEach((im, i) => {
    for (const l of im.labels) {
      const list = lists.get(l.labelName);
      if (list) {
        if (list[list.length - 1] !== i) list.push(i);
      } else lists.set(l.labelName, [i]);
    }
  });
  const postings = new Map<string, Int32Array>();
  const vocabulary: LabelEntry[] = [];
  for (const [name, list] of lists) {
    postings.set(name, Int32Array.from(list));
    vocabulary.push({ name, display: classes.get(name) ?? name, count: list.length });
  }
  vocabulary.sort((a, b) => b.count - a.count || a.display.localeCompare(b.display));
  return { vocabulary, byName: new Map(vocabulary.map((e) => [e.name, e])), postings, images: images.length };
}

/** How well a label answers what was typed: 0 exact, 1 prefix of the display name, 2 prefix of one of its words,
 *  3 substring, 4 the LabelName matches; -1 not at all. */
function rank(entry: LabelEntry, text: string): number {
  const display = entry.display.toLowerCase();
  if (display === text || entry.name.toLowerCase() === text) return 0;
  if (display.startsWith(text)) return 1;
  if (display.split(/[^\p{L}\p{N}]+/u).some((w) => w.startsWith(text))) return 2;
  if (display.includes(text)) return 3;
  if (entry.name.toLowerCase().includes(text)) return 4;
  return -1;
}

/** Labels for what was typed, best first: by how they match, then by how many images carry them. `exclude`
 *  (labels already chosen) are left out. An empty text lists the most frequent labels. */
export function completeLabels(index: LabelIndex, typed: string, limit = 8, exclude: readonly string[] = []): LabelEntry[] {
  const text = typed.trim().toLowerCase();
  const skip = new Set(exclude);
  if (!text) return index.vocabulary.filter((e) => !skip.has(e.name)).slice(0, limit);
  const hits: { entry: LabelEntry; rank: number }[] = [];
  for (const entry of index.vocabulary) {
    if (skip.has(entry.name)) continue;
    const r = rank(entry, text);
    if (r >= 0) hits.push({ entry, rank: r });
  }
  // The vocabulary is already by count, and sort is stable.
  hits.sort((a, b) => a.rank - b.rank);
  return hits.slice(0, limit).map((h) => h.entry);
}

/** The label a typed text names: an exact display name or LabelName (any case), else the best completion. */
export function resolveLabel(index: LabelIndex, typed: string, exclude: readonly string[] = []): LabelEntry | null {
  return completeLabels(index, typed, 1, exclude)[0] ?? null;
}

/** Indices of the images that carry every one of `labels` (ascending), or null when no label is chosen. A label
 *  the shard does not use matches nothing. */
export function imagesWithAll(index: LabelIndex, labels: readonly string[]): Int32Array | null {
  if (labels.length === 0) return null;
  const lists = labels.map((l) => index.postings.get(l) ?? new Int32Array(0)).sort((a, b) => a.length - b.length);
  let out = lists[0];
  for (const next of lists.slice(1)) {
    const kept: number[] = [];
    let j = 0;
    for (const i of out) {
      while (j < next.length && next[j] < i) j++;
      if (j < next.length && next[j] === i) kept.push(i);
    }
    out = Int32Array.from(kept);
  }
  return out;
}

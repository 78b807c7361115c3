// The shard's label vocabulary as the workspace uses it: every label in use with its display name (classes.csv) and
// how many images carry it, completion for the label search box, and the images that carry all chosen labels.
// Pure: built from the image records once per shard, then each keystroke is a scan of the vocabulary only.
import { transposePattern } from '../sparse';

export interface LabelEntry {
  /** The LabelName (for example a /m/ id), as in labels.csv. */
  name: string;
  /** Its display name from classes.csv, or the name itself when it has none. */
  display: string;
  /** Images carrying it (confidence above zero). */
  count: number;
}

/** Per image, the labels it carries as vocabulary positions (compressed rows: image i's are
 *  `ids[offsets[i]] .. ids[offsets[i + 1] - 1]`, each once). Typed arrays, so per-point work at 100,000 images
 *  (the map's colours) reads numbers, not strings. */
export interface ImageLabels {
  offsets: Int32Array;
  ids: Int32Array;
}

export interface LabelIndex {
  /** Every label in use, most frequent first (ties by display name). */
  vocabulary: LabelEntry[];
  byName: Map<string, LabelEntry>;
  /** LabelName -> indices of the images carrying it, ascending (views of one array: read-only). */
  postings: Map<string, Int32Array>;
  /** Each image's labels by vocabulary position. */
  imageLabels: ImageLabels;
  images: number;
}

interface Labelled {
  labels: { labelName: string }[];
}

/** The index of `images` before any is read (nothing matches a filter yet): what the workspace shows while a large
 *  shard's index is built in slices. */
export function emptyLabelIndex(images: number): LabelIndex {
  return {
    vocabulary: [],
    byName: new Map(),
    postings: new Map(),
    imageLabels: { offsets: new Int32Array(images + 1), ids: new Int32Array(0) },
    images,
  };
}

// Made on first use: a collator's first construction loads the browser's locale data (tens of ms).
let collator: Intl.Collator | undefined;

/** Builds the index a slice of images at a time (`add`), then `finish`. Labels get ids in the order first seen,
 *  and each image's ids go into one growing typed array; finishing sorts the vocabulary, renumbers the ids to
 *  vocabulary positions, and makes the postings from them by transposing (views of one array: no list per label). */
export class LabelIndexBuilder {
  private readonly idOf = new Map<string, number>();
  private readonly names: string[] = [];
  private counts = new Int32Array(256);
  /** Per label id, the last image that carried it (a label twice on one image counts once). */
  private lastSeen = new Int32Array(256).fill(-1);
  private readonly offsets: Int32Array;
  private ids = new Int32Array(1024);
  private used = 0;
  private next = 0;

  constructor(
    private readonly images: readonly Labelled[],
    private readonly classes: ReadonlyMap<string, string>,
  ) {
    this.offsets = new Int32Array(images.length + 1);
  }

  get done(): number {
    return this.next;
  }

  private newLabel(name: string): number {
    const id = this.names.length;
    this.idOf.set(name, id);
    this.names.push(name);
    if (id === this.counts.length) {
      const counts = new Int32Array(id * 2);
      counts.set(this.counts);
      this.counts = counts;
      const seen = new Int32Array(id * 2).fill(-1);
      seen.set(this.lastSeen);
      this.lastSeen = seen;
    }
    return id;
  }

  /** Reads the next `count` images. */
  add(count: number) {
    const end = Math.min(this.images.length, this.next + count);
    for (let i = this.next; i < end; i++) {
      for (const l of this.images[i].labels) {
        const id = this.idOf.get(l.labelName) ?? this.newLabel(l.labelName);
        if (this.lastSeen[id] === i) continue;
        this.lastSeen[id] = i;
        this.counts[id]++;
        if (this.used === this.ids.length) {
          const grown = new Int32Array(this.ids.length * 2);
          grown.set(this.ids);
          this.ids = grown;
        }
        this.ids[this.used++] = id;
      }
      this.offsets[i + 1] = this.used;
    }
    this.next = end;
  }

  finish(): LabelIndex {
    this.add(this.images.length - this.next);
    const order = this.names.map((name, id) => ({ id, entry: { name, display: this.classes.get(name) ?? name, count: this.counts[id] } }));
    // Two labels in use with one display name (a group and a subgroup both called "activities") are told apart by
    // their LabelNames, everywhere the page names them.
    const uses = new Map<string, number>();
    for (const o of order) uses.set(o.entry.display, (uses.get(o.entry.display) ?? 0) + 1);
    for (const o of order) if (uses.get(o.entry.display)! > 1 && o.entry.display !== o.entry.name) o.entry.display += ` (${o.entry.name})`;
    collator ??= new Intl.Collator();
    const c = collator;
    order.sort((a, b) => b.entry.count - a.entry.count || c.compare(a.entry.display, b.entry.display));
    const position = new Int32Array(order.length);
    order.forEach((o, p) => (position[o.id] = p));
    const ids = this.ids.slice(0, this.used);
    for (let j = 0; j < ids.length; j++) ids[j] = position[ids[j]];
    // Postings: the images of each label, ascending (the transpose of the images' label ids).
    const { start, rows: all } = transposePattern(this.offsets, ids, order.length);
    const vocabulary = order.map((o) => o.entry);
    const postings = new Map<string, Int32Array>();
    vocabulary.forEach((e, p) => postings.set(e.name, all.subarray(start[p], start[p + 1])));
    return {
      vocabulary,
      byName: new Map(vocabulary.map((e) => [e.name, e])),
      postings,
      imageLabels: { offsets: this.offsets, ids },
      images: this.images.length,
    };
  }
}

export function buildLabelIndex(images: readonly Labelled[], classes: ReadonlyMap<string, string>): LabelIndex {
  return new LabelIndexBuilder(images, classes).finish();
}

/** Images read per slice by `buildLabelIndexInSlices`: about 25 ms of main-thread work here. */
export const LABEL_INDEX_SLICE = 2_500;

/** The index built `slice` images at a time with a yield to the event loop between slices, so a large shard's index
 *  never holds the page for long; null when `stopped()` said so between slices. */
export async function buildLabelIndexInSlices(
  images: readonly Labelled[],
  classes: ReadonlyMap<string, string>,
  stopped: () => boolean,
  slice = LABEL_INDEX_SLICE,
): Promise<LabelIndex | null> {
  const builder = new LabelIndexBuilder(images, classes);
  const pause = () => new Promise((resolve) => setTimeout(resolve, 0));
  while (builder.done < images.length) {
    await pause();
    if (stopped()) return null;
    builder.add(slice);
  }
  await pause();
  if (stopped()) return null;
  const index = builder.finish();
  // The caller's use of the index (every view that reads it) starts a task of its own.
  await pause();
  return stopped() ? null : index;
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

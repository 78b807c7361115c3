// The workspace's state over the run's: the label filter, the selection made on the map, which main view shows,
// and what follows from them (the label index, the images the grid shows). Views read these;
// the actions below write them. A selection or filter names images by ImageID, so it survives a re-embedding.
import { derived, get, writable, type Readable } from 'svelte/store';
import {
  buildLabelIndex,
  buildLabelIndexInSlices,
  emptyLabelIndex,
  imagesWithAll,
  LABEL_INDEX_SLICE,
  type LabelIndex,
} from '../lib/workspace/labels';
import type { ImageRecord, ShardRecord } from '../lib/store/db';

export type MainView = 'map' | 'grid';
/** How the results are laid out: thumbnails to scan (many in view), or a detailed list (score and labels on each). */
export type ResultsLayout = 'grid' | 'list';

export interface Shown {
  /** The images the filter and the selection let through, in the shard's order. */
  images: ImageRecord[];
  /** Whether anything narrows them (a label filter or a selection). */
  narrowed: boolean;
  /** Images carrying every filter label (null: no filter). */
  matches: number | null;
}

export class WorkspaceState {
  /** Chosen labels (LabelNames): an image is shown when it carries every one. */
  readonly filter = writable<string[]>([]);
  /** Images selected on the map (box or lasso), by ImageID; null when nothing is selected. */
  readonly selection = writable<string[] | null>(null);
  readonly mainView = writable<MainView>('map');
  /** The inspector's tab: the query and its results, the label review, or the run's full report. */
  readonly inspectorTab = writable<'results' | 'review' | 'duplicates' | 'details'>('results');
  /** Label words added to (plus) or taken from (minus) the query; with no image selected, the words alone are it. */
  readonly queryWords = writable<{ plus: string[]; minus: string[] }>({ plus: [], minus: [] });
  /** Whether validation and test images take part in results (placed by prediction, like unlabelled ones). */
  readonly includeHeldOut = writable(false);
  /** The results' layout, the person's choice kept across reloads (resume.ts). */
  readonly resultsLayout = writable<ResultsLayout>('grid');
  /** The image under the pointer (map or grid), for the status line. */
  readonly hovered = writable<ImageRecord | null>(null);

  readonly labelIndex: Readable<LabelIndex>;
  readonly shown: Readable<Shown>;

  constructor(shard: Readable<ShardRecord | null>, images: Readable<ImageRecord[]>) {
    // Up to a slice of images the index is built at once; past it, in slices with yields (at 100,000 images it
    // took about 250 ms in one task), the empty index standing in meanwhile (nothing matches a filter for that moment).
    this.labelIndex = derived<[Readable<ShardRecord | null>, Readable<ImageRecord[]>], LabelIndex>(
      [shard, images],
      ([$shard, $images], set) => {
        const classes = new Map($shard?.classes ?? []);
        if ($images.length <= LABEL_INDEX_SLICE) {
          set(buildLabelIndex($images, classes));
          return;
        }
        set(emptyLabelIndex($images.length));
        let stale = false;
        void buildLabelIndexInSlices($images, classes, () => stale).then((index) => {
          if (index && !stale) set(index);
        });
        return () => {
          stale = true;
        };
      },
      emptyLabelIndex(0),
    );
    this.shown = derived([images, this.labelIndex, this.filter, this.selection], ([$images, index, filter, selection]) => {
      const hits = imagesWithAll(index, filter);
      let list = hits ? Array.from(hits, (i) => $images[i]) : $images;
      if (selection) {
        const chosen = new Set(selection);
        list = list.filter((im) => chosen.has(im.imageId));
      }
      return { images: list, narrowed: hits !== null || selection !== null, matches: hits ? hits.length : null };
    });
  }

  addLabel(name: string) {
    if (!get(this.filter).includes(name)) this.filter.update((f) => [...f, name]);
  }
  removeLabel(name: string) {
    this.filter.update((f) => f.filter((l) => l !== name));
  }

  addWord(name: string, sign: 'plus' | 'minus') {
    this.queryWords.update((w) => {
      const other = sign === 'plus' ? 'minus' : 'plus';
      return {
        ...w,
        [other]: w[other].filter((l) => l !== name),
        [sign]: w[sign].includes(name) ? w[sign] : [...w[sign], name],
      } as typeof w;
    });
  }
  removeWord(name: string) {
    this.queryWords.update((w) => ({ plus: w.plus.filter((l) => l !== name), minus: w.minus.filter((l) => l !== name) }));
  }

  clearWorkspace() {
    this.filter.set([]);
    this.selection.set(null);
    this.queryWords.set({ plus: [], minus: [] });
  }
}

// Export of what the person is looking at (loaded on first use: zip.js and Papa Parse stay out of the page's
// first bundle): the images the grid shows (the label filter's matches, narrowed by the
// map selection) or the current query's results, as CSV or as a zip of the images with that CSV. The zip holds the
// original files where the page can still read them (a folder shard opened by URL, or the folder or archive
// picked in this page), else the stored thumbnails, and its README says which.
import { get } from 'svelte/store';
import { exportCsv, exportZip, type ExportRow } from '../lib/workspace/export';
import { openSimageDb } from '../lib/store/db';
import { originalReader } from './originals';
import type { Session } from './session';

export type ExportWhat = 'shown' | 'results';
export type ExportFormat = 'csv' | 'zip';

const slug = (text: string) =>
  text
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'shard';

/** The rows to export: the grid's images, or the results with their rank and score (the similarity a result shows). */
export function exportRows(s: Session, what: ExportWhat): ExportRow[] {
  if (what === 'shown') return get(s.workspace.shown).images.map((image) => ({ image }));
  const byId = new Map(get(s.images).map((im) => [im.imageId, im]));
  return (get(s.search)?.results ?? []).flatMap((r, i) => {
    const image = byId.get(r.imageId);
    return image ? [{ image, score: r.similarity ?? r.score, rank: i + 1 }] : [];
  });
}

/** The file's name: the shard, what it holds, how many. */
function fileName(s: Session, what: ExportWhat, n: number, ext: string) {
  const shard = slug(get(s.shard)?.name ?? 'shard');
  const query = get(s.search)?.query;
  const part =
    what === 'results'
      ? `results-${slug(
          query?.kind === 'image'
            ? query.imageId
            : query?.kind === 'file'
              ? query.name
              : [...(get(s.search)?.words?.plus ?? []), ...(get(s.search)?.words?.minus ?? []).map((l) => `minus-${l}`)].join('-') ||
                'query',
        )}`
      : get(s.workspace.selection)
        ? 'selection'
        : get(s.workspace.filter).length
          ? 'matches'
          : 'all';
  return `${shard}-${part}-${n}.${ext}`;
}

/** Builds the export file; resolves with it and its name, and how many images the zip lacks. */
export async function exportImages(s: Session, what: ExportWhat, format: ExportFormat, signal?: AbortSignal) {
  const rows = exportRows(s, what);
  const classes = new Map(get(s.shard)?.classes ?? []);
  if (format === 'csv') {
    return { file: new Blob([exportCsv(rows, classes)], { type: 'text/csv' }), name: fileName(s, what, rows.length, 'csv'), missing: 0 };
  }
  const original = originalReader(s);
  const db = await openSimageDb();
  let thumbs = 0;
  try {
    const { zip, missing } = await exportZip(
      rows,
      classes,
      async (image) => {
        const blob = original ? await original(image.path).catch(() => null) : null;
        if (blob) return { bytes: new Uint8Array(await blob.arrayBuffer()), type: blob.type };
        const t = image.hash ? await db.get('thumbs', image.hash) : undefined;
        if (!t) return null;
        thumbs++;
        return { bytes: new Uint8Array(t.bytes), type: t.type };
      },
      [
        `simage export of "${get(s.shard)?.name ?? ''}": ${rows.length} images (${fileName(s, what, rows.length, 'zip')}).`,
        'images.csv lists each image (ImageID, split, labels, rank and score for results) and its file in images/.',
        original
          ? 'The files are the originals; where one could not be read, its stored thumbnail is there instead.'
          : 'The files are the stored thumbnails: the originals stay where the collection came from (pick its folder in the page before exporting to include them).',
      ].join('\n'),
      signal,
    );
    return { file: zip, name: fileName(s, what, rows.length, 'zip'), missing, thumbs };
  } finally {
    db.close();
  }
}

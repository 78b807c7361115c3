// The label exports of a review, in the collection's own format (lib/ingest/label-export.ts): its labels with only
// the accepted changes made, and every image's predicted labels (predicted-labels.csv for Open Images; a COCO JSON,
// metadata.jsonl or tags CSV of the predictions for those formats). Loaded on first use (Papa Parse stays out of
// the page's first bundle).
import { get } from 'svelte/store';
import Papa from 'papaparse';
import type { LabelFile } from '../lib/ingest/review';
import { exportLabels, labelExportFormat } from '../lib/ingest/label-export';
import { getLabelFiles, openSimageDb } from '../lib/store/db';
import { acceptedChanges } from './review';
import type { Session } from './session';

/** The shard's label files with the accepted changes made (only the files that changed). */
export async function correctedLabelFiles(s: Session) {
  const shard = get(s.shard);
  if (!shard) throw new Error('No collection is loaded.');
  const changes = acceptedChanges(s);
  if (changes.length === 0) throw new Error('Accept at least one suggestion first (A or the ✓ button).');
  const db = await openSimageDb();
  let files: LabelFile[] | undefined;
  try {
    files = (await getLabelFiles(db, shard.shardId))?.files;
  } finally {
    db.close();
  }
  const format = shard.summary.format;
  if (!files?.length && labelExportFormat(format) !== 'open-images')
    throw new Error('The label file of this collection was not kept when it was loaded; load the collection again, then export.');
  const images = get(s.images).map((im) => ({ imageId: im.imageId, path: im.path, labels: im.labels.map((l) => l.labelName) }));
  return exportLabels(format, files ?? [], images, changes).files.map((f) => ({
    file: new Blob([f.text], { type: f.type }),
    name: f.path.split('/').pop() || 'labels.csv',
  }));
}

/** Every image's predicted labels (top 10 scoring at least 0.1) as predicted-labels.csv: ImageID, Source (simage),
 *  LabelName, Confidence, the shard's own format, so it can be loaded back beside labels.csv. */
export async function predictedLabelsCsv(s: Session) {
  const shard = get(s.shard);
  if (!shard || !get(s.model)) throw new Error('Train (or import) a model first.');
  const r = await s.env.workers.train.call('predictedLabels', { shardId: shard.shardId, max: 10, min: 0.1 });
  const own = labelExportFormat(shard.summary.format);
  if (own === 'coco' || own === 'hf' || own === 'csv') {
    // The predictions as the collection's own format: each image's predicted labels in place of its labels.
    const predicted = new Map<string, string[]>();
    for (const [id, label] of r.rows) predicted.set(id, [...(predicted.get(id) ?? []), label]);
    const db = await openSimageDb();
    const files = await getLabelFiles(db, shard.shardId).finally(() => db.close());
    const images = get(s.images).map((im) => ({ imageId: im.imageId, path: im.path, labels: predicted.get(im.imageId) ?? [] }));
    const out = exportLabels(shard.summary.format, files?.files ?? [], images, []);
    if (out.written === own && out.files.length === 1) {
      const f = out.files[0];
      const name = `predicted-${f.path.split('/').pop()}`;
      return { file: new Blob([f.text], { type: f.type }), name, rows: r.rows.length, images: r.images };
    }
  }
  const text = Papa.unparse({
    fields: ['ImageID', 'Source', 'LabelName', 'Confidence'],
    data: r.rows.map(([id, label, c]) => [id, 'simage', label, c]),
  });
  return { file: new Blob([text + '\n'], { type: 'text/csv' }), name: 'predicted-labels.csv', rows: r.rows.length, images: r.images };
}

/** The collection's labels after the accepted review decisions (none: as loaded), whole, in its own format (the
 *  CLI's --export-labels). */
export async function labelsInFormat(s: Session) {
  const shard = get(s.shard);
  if (!shard) throw new Error('No collection is loaded.');
  const db = await openSimageDb();
  const files = await getLabelFiles(db, shard.shardId).finally(() => db.close());
  const kept = files?.files ?? [];
  const images = get(s.images).map((im) => ({ imageId: im.imageId, path: im.path, labels: im.labels.map((l) => l.labelName) }));
  const out = exportLabels(shard.summary.format, kept, images, acceptedChanges(s));
  if (out.written === 'open-images' || out.written === 'seed-text') {
    // Those give only the files that changed: the others as they were read.
    const changed = new Set(out.files.map((f) => f.path));
    for (const f of kept)
      if (!changed.has(f.path) && (f.kind === 'labels-csv' || f.kind === 'labels-txt'))
        out.files.push({ path: f.path, text: f.text, type: f.kind === 'labels-csv' ? 'text/csv' : 'text/plain' });
  }
  return out;
}

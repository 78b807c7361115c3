// The label exports of a review: the shard's own label files with only the accepted changes made
// (lib/ingest/review.ts), and every image's predicted labels as predicted-labels.csv in the shard's format. Loaded
// on first use (Papa Parse stays out of the page's first bundle).
import { get } from 'svelte/store';
import Papa from 'papaparse';
import { applyLabelChanges, type LabelFile } from '../lib/ingest/review';
import { getLabelFiles, openSimageDb } from '../lib/store/db';
import { acceptedChanges } from './review';
import type { Session } from './session';

/** The shard's label files with the accepted changes made (only the files that changed). */
export async function correctedLabelFiles(s: Session) {
  const shard = get(s.shard);
  if (!shard) throw new Error('No shard is loaded.');
  const changes = acceptedChanges(s);
  if (changes.length === 0) throw new Error('Accept at least one suggestion first (A or the ✓ button).');
  const db = await openSimageDb();
  let files: LabelFile[] | undefined;
  try {
    files = (await getLabelFiles(db, shard.shardId))?.files;
  } finally {
    db.close();
  }
  if (!files?.length) throw new Error('The label file of this shard was not kept when it was loaded; load the shard again, then export.');
  return applyLabelChanges(files, changes).map((f) => ({
    file: new Blob([f.text], { type: f.kind === 'labels-csv' ? 'text/csv' : 'text/plain' }),
    name: f.path.split('/').pop() || 'labels.csv',
  }));
}

/** Every image's predicted labels (top 10 scoring at least 0.1) as predicted-labels.csv: ImageID, Source (simage),
 *  LabelName, Confidence, the shard's own format, so it can be loaded back beside labels.csv. */
export async function predictedLabelsCsv(s: Session) {
  const shard = get(s.shard);
  if (!shard || !get(s.model)) throw new Error('Train (or import) a model first.');
  const r = await s.env.workers.train.call('predictedLabels', { shardId: shard.shardId, max: 10, min: 0.1 });
  const text = Papa.unparse({
    fields: ['ImageID', 'Source', 'LabelName', 'Confidence'],
    data: r.rows.map(([id, label, c]) => [id, 'simage', label, c]),
  });
  return { file: new Blob([text + '\n'], { type: 'text/csv' }), name: 'predicted-labels.csv', rows: r.rows.length, images: r.images };
}

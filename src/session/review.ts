// The label review: the labels the model most strongly disagrees with (given labels it predicts near zero, strong
// predictions that are missing), one decision each (accept the change or reject it), kept in IndexedDB so a
// reload keeps them; and the two label exports: the shard's own label files with only the accepted changes made
// (lib/ingest/review.ts), and every image's predicted labels as predicted-labels.csv in the shard's format.
import { get } from 'svelte/store';
import Papa from 'papaparse';
import { applyLabelChanges, type LabelChange, type LabelFile } from '../lib/ingest/review';
import { getLabelFiles, getReview, openSimageDb, putReview } from '../lib/store/db';
import { reviewKey } from '../lib/retrieval/tagging';
import type { Session } from './session';

/** Computes (in the training worker) the review list of the shard's model and restores stored decisions. */
export async function openReview(s: Session) {
  const shard = get(s.shard);
  if (!shard || !get(s.model)) return;
  const current = get(s.review);
  if (current?.status === 'busy' || current?.status === 'ready') return;
  s.review.set({ status: 'busy', result: null, decisions: new Map(), cursor: 0, progress: null, error: null });
  try {
    const result = await s.env.workers.train.call(
      'review',
      { shardId: shard.shardId },
      { onEvent: (e) => s.review.update((r) => r && { ...r, progress: e.progress }) },
    );
    const stored = await readDecisions(shard.shardId);
    const decisions = new Map(stored.filter(([key]) => result.suggestions.some((x) => reviewKey(x) === key)));
    const cursor = Math.max(
      0,
      result.suggestions.findIndex((x) => !decisions.has(reviewKey(x))),
    );
    s.review.set({ status: 'ready', result, decisions, cursor, progress: null, error: null });
  } catch (err) {
    s.review.set({ status: 'error', result: null, decisions: new Map(), cursor: 0, progress: null, error: (err as Error).message });
  }
}

async function readDecisions(shardId: string): Promise<[string, 'accept' | 'reject'][]> {
  try {
    const db = await openSimageDb();
    try {
      return (await getReview(db, shardId))?.decisions ?? [];
    } finally {
      db.close();
    }
  } catch {
    return []; // no IndexedDB (Node tests): decisions live in the page only
  }
}

async function writeDecisions(s: Session) {
  const shard = get(s.shard);
  const review = get(s.review);
  if (!shard || !review) return;
  try {
    const db = await openSimageDb();
    try {
      await putReview(db, { shardId: shard.shardId, decisions: [...review.decisions], updatedAt: Date.now() });
    } finally {
      db.close();
    }
  } catch (err) {
    if (typeof indexedDB !== 'undefined')
      s.errorMessage.set(`Your review decisions could not be stored (${(err as Error).message}); they stay in this page until you reload.`);
  }
}

/** Decides the suggestion at `index` (accept: make the change; reject: keep the label as given; null: undecided)
 *  and moves to the next undecided one. */
export function decide(s: Session, index: number, decision: 'accept' | 'reject' | null) {
  s.review.update((r) => {
    const x = r?.result?.suggestions[index];
    if (!r || !x) return r;
    const decisions = new Map(r.decisions);
    if (decision) decisions.set(reviewKey(x), decision);
    else decisions.delete(reviewKey(x));
    const list = r.result!.suggestions;
    let next = index;
    if (decision) {
      next = list.findIndex((y, i) => i > index && !decisions.has(reviewKey(y)));
      if (next < 0) next = Math.min(index + 1, list.length - 1);
    }
    return { ...r, decisions, cursor: next };
  });
  void writeDecisions(s);
}

export function moveCursor(s: Session, to: number) {
  s.review.update((r) => r && r.result && { ...r, cursor: Math.max(0, Math.min(r.result.suggestions.length - 1, to)) });
}

/** The accepted changes, as label-file edits. */
export function acceptedChanges(s: Session): LabelChange[] {
  const r = get(s.review);
  if (!r?.result) return [];
  return r.result.suggestions
    .filter((x) => r.decisions.get(reviewKey(x)) === 'accept')
    .map((x) => ({ imageId: x.imageId, labelName: x.labelName, kind: x.kind }));
}

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

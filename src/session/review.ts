// The label review: the labels the model most strongly disagrees with (given labels it predicts near zero, strong
// predictions that are missing), one decision each (accept the change or reject it), kept in IndexedDB so a
// reload keeps them. Synchronous where keys land (a decision and the next key must see the same cursor); the
// label exports are review-exports.ts, loaded on first use.
import { get } from 'svelte/store';
import type { LabelChange } from '../lib/ingest/review';
import { getReview, openSimageDb, putReview } from '../lib/store/db';
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

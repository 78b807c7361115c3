// The duplicate groups as the person works with them: which image of each group to keep (the first by default, a
// click chooses another), the groups as CSV, and the list of the others to remove (the page cannot delete a
// person's files; it says which, by path, for their own tools). The CSV writers load on first use (Papa Parse and
// the kernel stay out of the page's first bundle).
import { get } from 'svelte/store';
import type { DuplicateGroup } from '../lib/duplicates/groups';
import type { Session } from './session';

export const keeperOf = (group: DuplicateGroup, index: number, chosen: Map<number, string>) => chosen.get(index) ?? group.ids[0];

export function keep(s: Session, index: number, imageId: string) {
  s.duplicateKeepers.update((m) => new Map(m).set(index, imageId));
}

/** Every group, one row per image (group, kind, leak, image_id). */
export async function groupsCsv(s: Session): Promise<Blob> {
  const { duplicatesCsv } = await import('../lib/duplicates/groups');
  const report = get(s.duplicates);
  return new Blob([duplicatesCsv(report ?? { groups: [], threshold: 0 })], { type: 'text/csv' });
}

/** The images to remove so that one of each group is left: image_id, path (in the collection), group, kind, leak,
 *  kept (the ImageID kept in its place). */
export async function removalCsv(s: Session): Promise<Blob> {
  const { default: Papa } = await import('papaparse');
  const groups = get(s.duplicates)?.groups ?? [];
  const chosen = get(s.duplicateKeepers);
  const byId = get(s.imageById);
  const rows: (string | number | boolean)[][] = [];
  groups.forEach((g, i) => {
    const kept = keeperOf(g, i, chosen);
    for (const id of g.ids) if (id !== kept) rows.push([id, byId(id)?.path ?? '', i + 1, g.kind, g.leak, kept]);
  });
  return new Blob([Papa.unparse({ fields: ['image_id', 'path', 'group', 'kind', 'leak', 'kept'], data: rows }) + '\n'], {
    type: 'text/csv',
  });
}

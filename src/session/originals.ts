// Where the original file of an image can still be read in this page: the inspector shows the query from it, and
// the zip export packs it.
import { get } from 'svelte/store';
import { sourceKey } from '../lib/ingest/source-key';
import type { Session } from './session';

/** Where the original file of an image can still be read in this page, if anywhere: a folder shard opened by URL
 *  (fetched beside its manifest), or the folder picked in this page. Archives are not reopened. */
export function originalReader(s: Session): ((path: string) => Promise<Blob | null>) | null {
  const shard = get(s.shard);
  const source = s.lastSource;
  if (shard?.source.kind === 'url' && !/\.(zip|tar|tgz|gz)([?#].*)?$/i.test(shard.source.url)) {
    const base = shard.source.url.replace(/manifest\.json([?#].*)?$/, '');
    return async (path: string) => {
      const r = await fetch(new URL(path, base.endsWith('/') ? base : `${base}/`));
      return r.ok ? r.blob() : null;
    };
  }
  if (source?.kind === 'files' && shard && shard.shardId === sourceKey(source)) {
    const byPath = new Map(source.files.map((f) => [f.path, f.file]));
    return async (path: string) => byPath.get(path) ?? source.files.find((f) => f.path.endsWith(`/${path}`))?.file ?? null;
  }
  return null;
}

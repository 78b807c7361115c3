// Every container the contract lists yields the same entries with the same bytes: folder, zip, tar, tar.gz, and
// a URL to a folder (manifest.json), to a tar.gz (streamed) and to a zip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles, makeShardFolder, packZip, writeArchives } from '../fixtures/make-shard';
import { openShard, sniffArchive, sourceName, ShardError, type ShardSource } from '../../src/lib/ingest/source';
import { sourceKey } from '../../src/lib/ingest/source-key';
import { serve } from '../../scripts/serve.mjs';

const shard = makeShardFolder(6);
const files = listFiles(shard.dir);
let archives: { zip: string; tar: string; tgz: string };
let server: { origin: string; close: () => Promise<void> };
let archiveServer: { origin: string; close: () => Promise<void> };

async function readAll(source: ShardSource, prefetch = 0, discardEvery = 0) {
  const opened = await openShard(source, undefined, { prefetch });
  const out = new Map<string, Uint8Array>();
  let i = 0;
  for await (const e of opened.entries()) {
    if (discardEvery && i++ % discardEvery === 0) await e.discard();
    else out.set(e.path ?? `UNSAFE:${e.rawPath}`, await e.read());
  }
  return { opened, out };
}

function expectSameAsFolder(out: Map<string, Uint8Array>, prefix = '') {
  expect([...out.keys()].sort()).toEqual(files.map((f) => prefix + f).sort());
  for (const f of files) expect(Buffer.from(out.get(prefix + f)!).equals(readFileSync(join(shard.dir, f)))).toBe(true);
}

const blobOf = (path: string) => new Blob([readFileSync(path)]);

beforeAll(async () => {
  archives = await writeArchives(shard.dir);
  server = await serve({ root: shard.dir, shard: shard.dir });
  archiveServer = await serve({ root: join(archives.zip, '..') });
});
afterAll(async () => {
  await server.close();
  await archiveServer.close();
});

describe('shard readers', () => {
  it('reads a folder of files with relative paths', async () => {
    const source: ShardSource = { kind: 'files', name: 'f', files: files.map((f) => ({ path: f, file: blobOf(join(shard.dir, f)) })) };
    const { opened, out } = await readAll(source);
    expect(opened.total).toBe(files.length);
    expectSameAsFolder(out);
  });

  it.each(['zip', 'tar', 'tgz'] as const)('reads a %s archive', async (kind) => {
    expect(await sniffArchive(blobOf(archives[kind]))).toBe(kind);
    const { out } = await readAll({ kind: 'archive', name: `shard.${kind}`, blob: blobOf(archives[kind]) });
    expectSameAsFolder(out, 'shard/');
  });

  it('reads a folder URL through its manifest.json, and archives by URL', async () => {
    const folderUrl = { kind: 'url' as const, url: `${server.origin}/__shard/${shard.dir.split('/').pop()}/` };
    const folder = await readAll(folderUrl);
    expect(folder.opened.total).toBe(files.length);
    expectSameAsFolder(folder.out);
    // Fetching ahead gives the same entries in the same order, discarded ones included.
    const ahead = await readAll(folderUrl, 4);
    expect([...ahead.out.keys()]).toEqual([...folder.out.keys()]);
    expectSameAsFolder(ahead.out);
    const some = await readAll(folderUrl, 3, 2);
    expect([...some.out.keys()]).toEqual([...folder.out.keys()].filter((_, i) => i % 2 === 1));
    for (const [k, v] of some.out) expect(v).toEqual(folder.out.get(k));
    const tgz = await readAll({ kind: 'url', url: `${archiveServer.origin}/shard.tar.gz` });
    expect(tgz.opened.total).toBeNull();
    expectSameAsFolder(tgz.out, 'shard/');
    const zip = await readAll({ kind: 'url', url: `${archiveServer.origin}/shard.zip` });
    expectSameAsFolder(zip.out, 'shard/');
  });

  it('lets a stream skip entries without reading them', async () => {
    const opened = await openShard({ kind: 'archive', name: 'a.tar.gz', blob: blobOf(archives.tgz) });
    const seen: string[] = [];
    for await (const e of opened.entries()) {
      seen.push(e.path!);
      if (e.path!.endsWith('labels.csv')) expect(new TextDecoder().decode(await e.read())).toMatch(/^ImageID/);
      else await e.discard();
    }
    expect(seen.length).toBe(files.length);
  });

  it('marks a path-traversal entry in a zip as unsafe instead of resolving it', async () => {
    const bytes = await packZip(shard.dir, [{ name: '../../etc/passwd', bytes: new TextEncoder().encode('root:x') }]);
    const { out } = await readAll({ kind: 'archive', name: 'evil.zip', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
    expect(out.has('UNSAFE:../../etc/passwd')).toBe(true);
  });

  it('says clearly what is wrong with a non-archive, a missing URL and a bad manifest', async () => {
    await expect(openShard({ kind: 'archive', name: 'x.bin', blob: new Blob(['hello']) })).rejects.toThrow(ShardError);
    await expect(openShard({ kind: 'url', url: `${archiveServer.origin}/nothing/` })).rejects.toThrow(/404/);
    await expect(openShard({ kind: 'url', url: `${server.origin}/labels.csv?manifest.json` })).rejects.toThrow(/not valid JSON|files/);
  });

  it('names sources and keys them stably', () => {
    expect(sourceName({ kind: 'url', url: 'http://h/a/demo-small/' })).toBe('demo-small');
    expect(sourceName({ kind: 'url', url: 'http://h/a/demo/manifest.json' })).toBe('demo');
    expect(sourceKey({ kind: 'url', url: 'http://h/x/' })).toBe('url:http://h/x/');
    const blob = new Blob(['abc']);
    expect(sourceKey({ kind: 'archive', name: 'a.zip', blob })).toBe(sourceKey({ kind: 'archive', name: 'a.zip', blob }));
    expect(sourceKey({ kind: 'files', name: 'f', files: [{ path: 'a', file: blob }] })).not.toBe(
      sourceKey({ kind: 'files', name: 'f', files: [] }),
    );
  });
});

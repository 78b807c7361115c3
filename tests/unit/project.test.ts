import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { BlobReader, BlobWriter, TextReader, Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter } from '@zip.js/zip.js';
import {
  countRecords,
  getEmbedding,
  getFeature,
  getModel,
  getShard,
  getThumb,
  listShardImages,
  openSimageDb,
  putEmbedding,
  putFeatures,
  putModel,
  putShard,
  putThumbs,
  type Db,
  type EmbeddingRecord,
  type ShardRecord,
} from '../../src/lib/store/db';
import { exportProject, importProject } from '../../src/lib/project/project';
import { packRecord, ProjectFileError, unpackRecord, validateManifest } from '../../src/lib/project/format';
import type { StoredModel } from '../../src/lib/retrieval/stored-model';

const hex = (i: number) => i.toString(16).padStart(64, '0');
const summary = { images: 0, labelled: 0, labels: 0, train: 0, validation: 0, test: 0, skipped: [] };
const shardRecord = (id: string): ShardRecord => ({
  shardId: id,
  name: id,
  source: { kind: 'files' },
  loadedAt: 1,
  summary,
  classes: [['/m/a', 'a']],
  labelsHash: `labels-${id}`,
});
const image = (i: number) => ({
  imageId: `img${i}`,
  path: `img${i}.png`,
  hash: hex(i),
  width: 4,
  height: 4,
  split: 'train' as const,
  labels: [{ labelName: '/m/a', confidence: 1 }],
  negatives: [],
});
const vec = (n: number, seed: number) => Float32Array.from({ length: n }, (_, j) => Math.sin(seed * 31 + j)).buffer;

/** A stored shard of `n` images (hashes start..start+n-1) with features of two models, thumbnails, an embedding and
 *  a model. */
async function storeShard(db: Db, id: string, start: number, n: number, extras = true) {
  const images = Array.from({ length: n }, (_, i) => image(start + i));
  await putShard(db, shardRecord(id), images);
  for (const im of images) {
    const seed = Number.parseInt(im.hash, 16);
    await putFeatures(db, [
      { modelId: 'inception-v3@t/p1', hash: im.hash, flatten: vec(8, seed), mixed7: vec(3, seed + 0.5) },
      { modelId: 'mobilenet-v2@t/p1', hash: im.hash, flatten: vec(5, seed + 1), mixed7: vec(2, seed + 2) },
    ]);
    await putThumbs(db, [
      {
        hash: im.hash,
        bytes: new Uint8Array([seed, 1, 2, seed % 7]).buffer,
        type: 'image/webp',
        width: 4,
        height: 4,
        originalWidth: 8,
        originalHeight: 8,
      },
    ]);
  }
  if (!extras) return images;
  const embedding = {
    shardId: id,
    key: 'emb-key',
    labelsHash: `labels-${id}`,
    settings: { k: 2 },
    imageIds: images.map((im) => im.imageId),
    layout: new Float32Array(n * 2).map((_, i) => i),
    trainIndex: new Int32Array(n).map((_, i) => i),
    similar: new Int32Array(n * 2),
    k: 2,
    similarSetScore: 0.5,
    svd: new Float32Array(n * 3).fill(0.25),
    components: 3,
    vocabulary: ['/m/a'],
    basis: new Float32Array(3).fill(1),
    kl: null,
    uniqueRows: 1,
    timingsMs: { svd: 1, layout: 2, sets: 3 },
  } satisfies EmbeddingRecord;
  await putEmbedding(db, embedding);
  await putModel(db, {
    shardId: id,
    trainKey: 'train-key',
    manifest: { featureModelId: 'inception-v3@t/p1' },
    modelJson: { modelTopology: {} },
    weights: new Float32Array([1, 2, 3]).buffer,
    references: null,
    history: [],
    evaluation: null,
    timingsMs: { train: 1, evaluate: 1 },
    imported: false,
    savedAt: 1,
  } as unknown as StoredModel);
  return images;
}

/** Exports to a Blob through a WritableStream, as the worker does to a file. */
async function exportBlob(db: Db, shardId: string, models: 'all' | string[] = 'all') {
  const chunks: Uint8Array[] = [];
  const phases = new Set<string>();
  const summary = await exportProject(db, { shardId, models }, new WritableStream({ write: (c) => void chunks.push(c.slice()) }), (p) =>
    phases.add(p.phase),
  );
  const blob = new Blob(chunks as BlobPart[], { type: 'application/zip' });
  expect(summary.bytes).toBe(blob.size);
  expect(phases).toEqual(new Set(['export']));
  return { blob, summary };
}

const fresh = () => openSimageDb(`t-${Math.random()}`);

/** Rewrites one entry of a zip (stored, as the exporter writes them). */
async function replaceEntry(blob: Blob, name: string, change: (bytes: Uint8Array) => Uint8Array) {
  const reader = new ZipReader(new BlobReader(blob));
  const writer = new ZipWriter(new BlobWriter('application/zip'), { level: 0 });
  for (const e of await reader.getEntries()) {
    if (e.directory) continue;
    const bytes = await e.getData(new Uint8ArrayWriter());
    await writer.add(e.filename, new Uint8ArrayReader(e.filename === name ? change(bytes) : bytes));
  }
  await reader.close();
  return writer.close();
}

describe('project files', () => {
  it('carry features of every model, thumbnails, the shard, its embedding and model to another browser, byte for byte', async () => {
    const a = await fresh();
    const images = await storeShard(a, 's1', 1, 40);
    const { blob, summary } = await exportBlob(a, 's1');
    expect(summary.features).toEqual([
      { modelId: 'inception-v3@t/p1', count: 40 },
      { modelId: 'mobilenet-v2@t/p1', count: 40 },
    ]);
    expect(summary.records).toEqual(['shard', 'images', 'embedding', 'model']);

    const b = await fresh();
    const phases: string[] = [];
    const result = await importProject(b, blob, (p) => {
      if (phases.at(-1) !== p.phase) phases.push(p.phase);
    });
    expect(phases).toEqual(['check', 'import']);
    expect(result.features).toEqual([
      { modelId: 'inception-v3@t/p1', added: 40, kept: 0 },
      { modelId: 'mobilenet-v2@t/p1', added: 40, kept: 0 },
    ]);
    expect(result).toMatchObject({ shard: { shardId: 's1', added: true }, thumbs: { added: 40, kept: 0 }, model: 'added' });
    for (const im of images) {
      for (const m of ['inception-v3@t/p1', 'mobilenet-v2@t/p1']) {
        const x = await getFeature(a, m, im.hash);
        const y = await getFeature(b, m, im.hash);
        expect(new Float32Array(y!.flatten)).toEqual(new Float32Array(x!.flatten));
        expect(new Float32Array(y!.mixed7)).toEqual(new Float32Array(x!.mixed7));
      }
      expect(new Uint8Array((await getThumb(b, im.hash))!.bytes)).toEqual(new Uint8Array((await getThumb(a, im.hash))!.bytes));
    }
    expect(await getShard(b, 's1')).toEqual(await getShard(a, 's1'));
    expect((await listShardImages(b, 's1')).length).toBe(40);
    expect(await getEmbedding(b, 's1', 'emb-key', 'labels-s1')).toEqual(await getEmbedding(a, 's1', 'emb-key', 'labels-s1'));
    expect(new Float32Array((await getModel(b, 's1'))!.weights)).toEqual(new Float32Array([1, 2, 3]));
    expect(await countRecords(b)).toEqual(await countRecords(a));
  });

  it('exports one model when asked, and merges parts by content hash: what is stored is kept', async () => {
    const whole = await fresh();
    // Two parts that share images 21..30.
    const p1 = await fresh();
    await storeShard(p1, 'part-1', 1, 30, false);
    const p2 = await fresh();
    await storeShard(p2, 'part-2', 21, 30, false);
    const f1 = (await exportBlob(p1, 'part-1', ['mobilenet-v2@t/p1'])).blob;
    const f2 = (await exportBlob(p2, 'part-2', ['mobilenet-v2@t/p1'])).blob;
    const r1 = await importProject(whole, f1);
    expect(r1.features).toEqual([{ modelId: 'mobilenet-v2@t/p1', added: 30, kept: 0 }]);
    const r2 = await importProject(whole, f2);
    expect(r2.features).toEqual([{ modelId: 'mobilenet-v2@t/p1', added: 20, kept: 10 }]);
    expect(r2.thumbs).toEqual({ added: 20, kept: 10 });
    expect((await countRecords(whole)).features).toBe(50);
    // Importing the same file again changes nothing.
    const again = await importProject(whole, f2);
    expect(again).toMatchObject({ features: [{ added: 0, kept: 30 }], thumbs: { added: 0, kept: 30 }, shard: { added: false } });
    // A stored model is kept over an imported one.
    const c = await fresh();
    await storeShard(c, 's1', 1, 5);
    const model = await getModel(c, 's1');
    const other = await fresh();
    await storeShard(other, 's1', 1, 5);
    await putModel(other, { ...(await getModel(other, 's1'))!, trainKey: 'newer' });
    expect((await importProject(c, (await exportBlob(other, 's1')).blob)).model).toBe('kept');
    expect((await getModel(c, 's1'))!.trainKey).toBe(model!.trainKey);
  });

  it('refuses a damaged, truncated, foreign or newer file with a sentence, and writes nothing', async () => {
    const a = await fresh();
    await storeShard(a, 's1', 1, 12);
    const { blob } = await exportBlob(a, 's1');
    const cases: [Blob, RegExp][] = [
      [
        await replaceEntry(blob, 'features/inception-v3_t_p1/flatten.f32', (b) => b.map((x, i) => (i === 100 ? x ^ 1 : x))),
        /damaged: .*flatten\.f32 does not match its checksum/,
      ],
      [await replaceEntry(blob, 'thumbs/data.bin', (b) => b.subarray(0, b.length - 1)), /damaged: thumbs\/data\.bin holds/],
      [blob.slice(0, blob.size - 200), /not a project file|truncated/],
      [new Blob(['hello']), /not a zip archive/],
      [
        await replaceEntry(blob, 'manifest.json', (b) =>
          new TextEncoder().encode(new TextDecoder().decode(b).replace('"version": 1', '"version": 9')),
        ),
        /newer simage \(format 9/,
      ],
      [await zipOf({ 'a.txt': 'x' }), /no manifest\.json/],
    ];
    for (const [file, message] of cases) {
      const b = await fresh();
      const err = await importProject(b, file).catch((e) => e);
      expect(err).toBeInstanceOf(ProjectFileError);
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/Nothing (was changed|more was imported)/);
      expect(await countRecords(b)).toEqual({ shards: 0, images: 0, thumbs: 0, features: 0, embeddings: 0, models: 0 });
    }
  });

  it('validates a manifest entry by entry and keeps typed arrays byte for byte through the codec', () => {
    expect(() => validateManifest({ format: 'other' })).toThrow(/not a project file simage can read/);
    const base = {
      format: 'simage-project',
      version: 1,
      shard: { shardId: 's', name: 's', labelsHash: 'h', images: 1 },
      features: [
        { modelId: 'm', count: 2, dims: { flatten: 3, mixed7: 1 }, entries: { hashes: 'h.txt', flatten: 'f.f32', mixed7: 'm.f32' } },
      ],
      thumbs: null,
      records: [],
      entries: {
        'h.txt': { bytes: 1, sha256: 'a'.repeat(64) },
        'f.f32': { bytes: 24, sha256: 'a'.repeat(64) },
        'm.f32': { bytes: 8, sha256: 'a'.repeat(64) },
      },
    };
    expect(validateManifest(base).features[0].count).toBe(2);
    expect(() => validateManifest({ ...base, entries: { ...base.entries, 'f.f32': { bytes: 20, sha256: 'a'.repeat(64) } } })).toThrow(
      /holds 20 bytes, not 2 vectors of 3 floats/,
    );
    expect(() => validateManifest({ ...base, entries: { ...base.entries, '../x': { bytes: 1, sha256: 'a'.repeat(64) } } })).toThrow(
      /is not described right/,
    );
    const record = { a: new Float32Array([1.5, -2]), b: [new Int32Array([7]), new Uint8Array([1, 2, 3]).buffer], c: 'x', d: null };
    const { json, bin } = packRecord(record);
    expect(unpackRecord(json, bin)).toEqual(record);
    expect(() => unpackRecord(json, bin.subarray(0, 4))).toThrow(/points outside its data/);
  });
});

async function zipOf(files: Record<string, string>) {
  const writer = new ZipWriter(new BlobWriter('application/zip'));
  for (const [name, text] of Object.entries(files)) await writer.add(name, new TextReader(text));
  return writer.close();
}

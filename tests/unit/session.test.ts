// The session driven in Node with fake workers (tests/unit/session-fakes.ts) over the real RPC and a fake
// IndexedDB: a whole run and its report, a cancel in each stage, resuming after a reload, and one reset that
// leaves nothing of a run behind. The browser tests keep one flow each; what they checked only indirectly is here.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';
import { countRecords, openSimageDb } from '../../src/lib/store/db';
import { sourceKey } from '../../src/lib/ingest/source-key';
import { idleStages, STAGES, type StageName } from '../../src/session/state';
import { browserOfTabs, endWorld, fakeWorld, whenRunning, type FakeWorld } from './session-fakes';

const URL_SOURCE = { kind: 'url' as const, url: 'http://localhost/shards/fake/' };
let world: FakeWorld | null = null;

afterEach(async () => {
  await endWorld(world);
  world = null;
});

/** Every store of the session that belongs to a run, as plain values. */
function runState(w: FakeWorld) {
  const s = w.session;
  return {
    stages: get(s.stages),
    shard: get(s.shard),
    images: get(s.images),
    featureCount: get(s.featureCount),
    backendInfo: get(s.backendInfo),
    embedding: get(s.embedding),
    model: get(s.model),
    epochs: get(s.epochs),
    search: get(s.search),
    selectedImageId: get(s.selectedImageId),
    report: get(s.report),
    errorMessage: get(s.errorMessage),
    resumeHint: get(s.resumeHint),
    runInfo: get(s.runInfo),
    running: get(s.running),
  };
}

describe('session: a collection without usable labels', () => {
  it('lays the map out from the features and searches by look: no training, and the report says why', async () => {
    world = fakeWorld(8, '', { unlabelled: true });
    world.session.init();
    const report = await world.session.runShard(URL_SOURCE);
    expect(world.calls).toEqual(['load', 'extract', 'embedFeatures', 'lookAlike']);
    expect(report.net).toBeUndefined();
    expect(report.evaluation).toBeUndefined();
    expect(report.search).toEqual({ by: 'look', images: 8, reason: 'The collection has no labels.' });
    expect(report.shard).toMatchObject({ format: 'none', labels_unusable: 'The collection has no labels.' });
    expect(report.embedding).toMatchObject({ from: 'features', k: 0 });
    expect(report.duplicates).toEqual({ groups: [], threshold: 0.95 });
    const s = runState(world);
    for (const name of STAGES) expect(s.stages[name].status).toBe('done');
    expect(s.stages.train.message).toMatch(/^No training: The collection has no labels/);
    expect(get(world.session.model)?.engine).toBe('look-alike');
    expect(get(world.session.pageStage)).toBe('ready');
  });
});

describe('session: a run', () => {
  it('runs the four stages in order and reports what each did, with the report keys the CLI prints', async () => {
    world = fakeWorld(8);
    world.session.init();
    const report = await world.session.runShard(URL_SOURCE);
    expect(world.calls).toEqual(['load', 'extract', 'embedLabels', 'train reuse=true']);
    expect(Object.keys(report)).toEqual([
      'shard',
      'backend',
      'backend_reason',
      'model',
      'timings_s',
      'backend_fallbacks',
      'faults_met',
      'duplicates',
      'features',
      'embedding',
      'net',
      'evaluation',
      'search',
    ]);
    expect(report.shard).toMatchObject({ images: 8, train: 4, validation: 4, skipped: [] });
    expect(report).toMatchObject({ backend: 'wasm', backend_reason: 'fake', model: 'inception-v3@test/1' });
    expect(report.features).toEqual({ computed: 8, cached: 0, forward_passes: 8, failed: [], per_s: 800 });
    expect(report.timings_s).toEqual({ load: 0.01, features: 0.02, svd: 0.001, tsne: 0.002, sets: 0.003, train: 0.1, evaluate: 0.05 });
    expect(report.embedding).toMatchObject({ layout: 'tsne', images: 8, train: 4, cached: false });
    expect(report.net).toMatchObject({ head: 'embedding', epochs: 1, best_epoch: 1, reused: false });
    expect(report.evaluation).toMatchObject({ similar_set_score: 0.5, queries: 4, score: { trained: 0.3 } });
    const s = runState(world);
    for (const name of STAGES) expect(s.stages[name].status).toBe('done');
    expect(s).toMatchObject({ featureCount: 8, errorMessage: null, running: false, report });
    expect(s.embedding).toMatchObject({ final: true, k: 2, similarSetScore: 0.5 });
    expect(s.runInfo).toEqual({ featurePlan: { images: 8, cached: 0, toCompute: 8 }, embeddingCached: false, netReused: false });
    // The run is finished: nothing is left to resume.
    expect(world.storage.get('simage.active')).toBeUndefined();
    expect(world.storage.get('simage.lastShard')).toBe(sourceKey(URL_SOURCE));
  });

  it("builds the new model's search engine right after training, before any click", async () => {
    world = fakeWorld(6);
    world.session.init();
    const posted = vi.spyOn(world.session.env.workers.train, 'call');
    await world.session.runShard(URL_SOURCE);
    const methods = posted.mock.calls.map((c) => c[0]);
    expect(methods.indexOf('prepare')).toBe(methods.indexOf('train') + 1);
    expect(posted.mock.calls[methods.indexOf('prepare')][1]).toEqual({ shardId: get(world.session.shard)!.shardId });
    posted.mockRestore();
  });

  it('a second run of the same shard computes no feature and reuses the net', async () => {
    world = fakeWorld(6);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const again = await world.session.runShard(URL_SOURCE);
    expect(again.features).toMatchObject({ computed: 0, cached: 6, per_s: 0 });
    expect(again.net?.reused).toBe(true);
    expect(get(world.session.runInfo).featurePlan).toEqual({ images: 6, cached: 6, toCompute: 0 });
  });

  it('searches by image of the shard and by a dropped file, and says what to do before a model exists', async () => {
    world = fakeWorld(6);
    world.session.init();
    await world.session.searchFile(new File(['x'], 'mine.png'));
    expect(get(world.session.errorMessage)).toMatch(/Load a collection and train/);
    await world.session.runShard(URL_SOURCE);
    world.calls.length = 0;
    const posted = vi.spyOn(world.session.env.workers.train, 'call');
    const asked = world.session.searchImage('img0');
    // Posted in the same task, before the page renders the selection: the worker ranks while the page draws.
    expect(posted.mock.calls.map((c) => c[0])).toEqual(['query']);
    await asked;
    posted.mockRestore();
    // The selection followed and the search asked for the same query: the worker is asked once.
    expect(world.calls).toEqual(['query image']);
    expect(get(world.session.search)).toMatchObject({ query: { kind: 'image', imageId: 'img0' }, busy: false, error: null });
    expect(get(world.session.search)!.results.map((r) => r.imageId)).not.toContain('img0');
    await world.session.searchFile(new File(['x'], 'mine.png'));
    expect(get(world.session.search)).toMatchObject({ query: { kind: 'file', name: 'mine.png' }, busy: false });
    expect(get(world.session.search)!.results).toHaveLength(6);
    expect(get(world.session.droppedAs)).toBeNull();
    // A file with the very bytes of an image of the collection is that image: it becomes the query, and the page
    // is told which file it was; a click elsewhere forgets that.
    const { contentHash } = await import('../../src/lib/hash');
    const bytes = new TextEncoder().encode('the bytes of img2');
    const hash = await contentHash(bytes);
    world.session.images.update((ims) => ims.map((im) => (im.imageId === 'img2' ? { ...im, hash } : im)));
    await world.session.searchFile(new File([bytes], 'copy-of-img2.png'));
    expect(get(world.session.selectedImageId)).toBe('img2');
    expect(get(world.session.search)).toMatchObject({ query: { kind: 'image', imageId: 'img2' } });
    expect(get(world.session.droppedAs)).toEqual({ name: 'copy-of-img2.png', imageId: 'img2' });
    await world.session.searchImage('img3');
    expect(get(world.session.droppedAs)).toBeNull();
  });

  it('answers a click from the first features, by look, then re-answers by itself when the net is ready', async () => {
    world = fakeWorld(8);
    world.session.init();
    world.hold.add('train');
    const run = world.session.runShard(URL_SOURCE);
    await whenRunning(world.session, 'train');
    expect(get(world.session.model)).toBeNull();
    world.session.selectedImageId.set('img1'); // a click on the map or in the grid
    await vi.waitFor(() => expect(get(world!.session.search)?.busy).toBe(false));
    const early = get(world.session.search)!;
    expect(early).toMatchObject({ query: { kind: 'image', imageId: 'img1' }, ranking: 'look-alike', indexed: 8, error: null });
    expect(early.results).toHaveLength(7); // every other image with features (k is 100)
    expect(early.results.map((r) => r.imageId)).not.toContain('img1');
    expect(early.reanswered).toBeUndefined();
    world.hold.delete('train');
    await run;
    await vi.waitFor(() => expect(get(world!.session.search)?.ranking).toBe('trained'));
    expect(get(world.session.search)).toMatchObject({ query: { kind: 'image', imageId: 'img1' }, reanswered: true, busy: false });
  });

  it('exports the model as a named file, and a refused import changes nothing and says why', async () => {
    world = fakeWorld(6);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const model = get(world.session.model);
    expect(await world.session.exportModel()).toMatchObject({ name: 'fake.simage-model.zip' });
    expect(await world.session.importModel(new Blob(['junk']))).toBe(false);
    expect(get(world.session.errorMessage)).toBe('The model file is damaged.');
    expect(get(world.session.model)).toBe(model);
  });

  it('with ?until=features a run stops after the features, and its report says no more', async () => {
    world = fakeWorld(6, '?until=features');
    world.session.init();
    const report = await world.session.runShard(URL_SOURCE);
    expect(world.calls).toEqual(['load', 'extract']);
    expect(report.features.computed).toBe(6);
    expect(report).not.toHaveProperty('embedding');
    expect(report).not.toHaveProperty('net');
    expect(get(world.session.report)).toBe(report);
  });

  it('a project file carries the features: exported, the cache cleared, imported, and the next run computes none', async () => {
    world = fakeWorld(6);
    world.session.init();
    const s = world.session;
    await s.runShard(URL_SOURCE);
    const exported = await s.exportProject('all');
    expect(exported?.name).toBe('fake.simage');
    expect(get(s.project)).toMatchObject({ kind: 'export', running: false, error: null });
    expect(get(s.project)!.message).toMatch(/^Wrote fake\.simage \(\d+ kB\): features of 6 images of inception-v3, 0 thumbnails/);
    await s.clearCache();
    expect((await countRecords(await openSimageDb())).features).toBe(0);
    // A damaged file is refused with its sentence, and nothing comes in.
    const bytes = new Uint8Array(await exported!.file.arrayBuffer());
    const damaged = new File([bytes.slice(0, 100)], 'cut.simage');
    expect(await s.importProjects([damaged])).toBe(false);
    expect(get(s.project)!.error).toMatch(/^cut\.simage: This file is not a project file/);
    expect((await countRecords(await openSimageDb())).features).toBe(0);
    const ok = await s.importProjects([new File([bytes], 'fake.simage')]);
    expect(get(s.project)!.error).toBeNull();
    expect(ok).toBe(true);
    expect(get(s.project)!.message).toMatch(
      /fake\.simage: 6 inception-v3 features added \(0 already stored\); 0 thumbnails added; shard "fake" added/,
    );
    // Nothing was on show (the cache was cleared): the imported shard is.
    expect(get(s.shard)?.name).toBe('fake');
    world.calls.length = 0;
    const again = await s.runShard(URL_SOURCE);
    expect(again.features).toMatchObject({ computed: 0, cached: 6 });
  });
});

describe('session: cancel', () => {
  for (const stage of ['load', 'features', 'embedding', 'train'] as StageName[]) {
    it(`in ${stage}: that stage says cancelled, the ones before stay done, no error, nothing left to resume`, async () => {
      world = fakeWorld(8);
      world.session.init();
      world.hold.add(stage);
      const run = world.session.runShard(URL_SOURCE).catch((e) => e);
      await whenRunning(world.session, stage);
      if (stage === 'features') await vi.waitFor(() => expect(get(world!.session.featureCount)).toBeGreaterThanOrEqual(4));
      world.session.cancel();
      const err = await run;
      expect(err).toMatchObject({ cancelled: true });
      const s = runState(world);
      const at = STAGES.indexOf(stage);
      STAGES.forEach((name, i) => expect(s.stages[name].status).toBe(i < at ? 'done' : i === at ? 'cancelled' : 'idle'));
      expect(s.errorMessage).toBeNull();
      expect(s.running).toBe(false);
      expect(s.report).toBeNull();
      expect(world.storage.get('simage.active')).toBeUndefined();
      if (stage === 'features') {
        // The page shows what is stored, batches written after the cancel was asked for included.
        expect(s.featureCount).toBe((await countRecords(await openSimageDb())).features);
        // What was stored before the cancel stays, and the next run computes only the rest.
        world.hold.clear();
        const report = await world.session.runShard(URL_SOURCE);
        expect(report.features.cached).toBeGreaterThanOrEqual(4);
        expect(report.features.cached + report.features.computed).toBe(8);
      }
    });
  }

  it('the collection on show run again, then cancelled: nothing on show is lost, and Resume goes on from the store', async () => {
    world = fakeWorld(8);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const map = get(world.session.embedding)!;
    const model = get(world.session.model)!;
    await world.session.searchImage('img1');
    expect(map.final).toBe(true);
    world.hold.add('embedding');
    const again = world.session.runShard(URL_SOURCE).catch((e) => e);
    // While it runs, what was on show stays, and the steps done before say so.
    expect(get(world.session.model)).toBe(model);
    expect(get(world.session.selectedImageId)).toBe('img1');
    await whenRunning(world.session, 'embedding');
    expect(get(world.session.stages).train.status).toBe('done');
    world.session.cancel();
    expect(await again).toMatchObject({ cancelled: true });
    expect(get(world.session.embedding)).toBe(map); // the map on show, not a half-made one
    expect(get(world.session.model)).toBe(model);
    expect(get(world.session.images)).toHaveLength(8);
    expect(get(world.session.search)?.results.length).toBeGreaterThan(0);
    expect(get(world.session.stages).embedding.status).toBe('cancelled');
    expect(get(world.session.stopped)).not.toBeNull();
    world.hold.clear();
    world.calls.length = 0;
    await world.session.resumeStopped();
    expect(world.calls).toContain('embedLabels');
    expect(world.calls.filter((c) => c === 'extract')).toHaveLength(1); // features all cached: nothing computed
    for (const name of STAGES) expect(get(world.session.stages)[name].status).toBe('done');
    expect(get(world.session.stopped)).toBeNull();
    expect(get(world.session.report)?.features).toMatchObject({ computed: 0, cached: 8 });
  });

  it('a new run cancels the one before and its late ending does not touch the new run', async () => {
    world = fakeWorld(8);
    world.session.init();
    world.hold.add('embedding');
    const first = world.session.runShard(URL_SOURCE).catch((e) => e);
    await whenRunning(world.session, 'embedding');
    world.hold.clear();
    const second = world.session.runShard(URL_SOURCE);
    expect(await first).toMatchObject({ cancelled: true });
    await second;
    for (const name of STAGES) expect(get(world.session.stages)[name].status).toBe('done');
    expect(get(world.session.report)).not.toBeNull();
  });
});

describe('session: resume and reset', () => {
  it('a reload during a URL run resumes it from what was stored', async () => {
    world = fakeWorld(8);
    world.session.init();
    world.hold.add('features');
    const run = world.session.runShard(URL_SOURCE).catch((e) => e);
    await vi.waitFor(() => expect(get(world!.session.featureCount)).toBeGreaterThanOrEqual(4));
    expect(JSON.parse(world.storage.get('simage.active')!)).toEqual({ shardId: sourceKey(URL_SOURCE), url: URL_SOURCE.url });
    // The page goes away (what localStorage and IndexedDB hold stays), and its workers end without a reply.
    const left = new Map(world.storage);
    for (const w of Object.values(world.env.workers)) w.terminate();
    await run;
    const stored = (await countRecords(await openSimageDb())).features;
    const reopened = fakeWorld(8);
    for (const [k, v] of left) reopened.storage.set(k, v);
    world = reopened;
    world.session.init();
    const hints: (string | null)[] = [];
    world.session.resumeHint.subscribe((h) => hints.push(h));
    await world.session.restore();
    expect(get(world.session.errorMessage)).toBeNull();
    // Said while the run goes on; gone once it is done.
    expect(hints.some((h) => /did not finish \(the tab was closed, reloaded or crashed\); this one goes on/.test(h ?? ''))).toBe(true);
    expect(get(world.session.resumeHint)).toBeNull();
    const report = get(world.session.report)!;
    expect(report.features.cached).toBe(stored);
    expect(report.features.computed).toBe(8 - stored);
    // The step's share done counts what was stored before (it does not start again from 0%).
    expect(get(world.session.stages).features.progress).toMatchObject({ before: stored, done: 8 - stored, total: 8 - stored });
    expect(world.storage.get('simage.active')).toBeUndefined();
  });

  it('a local shard with features missing shows itself and says to pick the same folder again', async () => {
    world = fakeWorld(8);
    world.session.init();
    world.hold.add('features');
    const run = world.session.runShard({ kind: 'files', name: 'fake', files: [] }).catch((e) => e);
    await vi.waitFor(() => expect(get(world!.session.featureCount)).toBeGreaterThanOrEqual(4));
    for (const w of Object.values(world.env.workers)) w.terminate();
    await run;
    const reopened = fakeWorld(8);
    for (const [k, v] of world.storage) reopened.storage.set(k, v);
    world = reopened;
    world.session.init();
    await world.session.restore();
    expect(get(world.session.shard)?.name).toBe('fake');
    expect(get(world.session.images)).toHaveLength(8);
    expect(get(world.session.resumeHint)).toMatch(
      /Features are stored for \d of 8 images of "fake"\. Pick the same folder again to compute the other \d/,
    );
  });

  it('reads settings from the URL over the stored ones, ?settings=defaults ignores those, and faults come from ?inject', async () => {
    world = fakeWorld(4, '?k=60&layout=umap&inject=quota,reload-during=train');
    world.storage.set('simage.settings', JSON.stringify({ batchSize: 16, k: 10 }));
    world.session.init();
    expect(get(world.session.settings)).toMatchObject({ k: 60, layout: 'umap', batchSize: 16 });
    expect(world.session.faults).toEqual({ worker: ['quota'], reloadDuring: ['train'] });
    world.session.settings.update((s) => ({ ...s, k: 7 }));
    expect(JSON.parse(world.storage.get('simage.settings')!)).toMatchObject({ k: 7, layout: 'umap' });
    const fresh = fakeWorld(4, '?settings=defaults');
    fresh.storage.set('simage.settings', JSON.stringify({ batchSize: 16 }));
    fresh.session.init();
    expect(get(fresh.session.settings).batchSize).toBe(8);
    for (const w of Object.values(fresh.env.workers)) w.terminate();
  });

  it("keeps the person's choice of results layout across a reload, thumbnails by default", () => {
    world = fakeWorld(4);
    world.session.init();
    expect(get(world.session.workspace.resultsLayout)).toBe('grid');
    world.session.workspace.resultsLayout.set('list');
    expect(world.storage.get('simage.resultsLayout')).toBe('list');
    const again = fakeWorld(4);
    again.storage.set('simage.resultsLayout', 'list');
    again.session.init();
    expect(get(again.session.workspace.resultsLayout)).toBe('list');
    const third = fakeWorld(4);
    third.storage.set('simage.resultsLayout', 'nonsense');
    third.session.init();
    expect(get(third.session.workspace.resultsLayout)).toBe('grid');
    for (const w of [...Object.values(again.env.workers), ...Object.values(third.env.workers)]) w.terminate();
  });

  it('reset leaves nothing of a run behind, and clearing the cache empties the database and forgets the shard', async () => {
    world = fakeWorld(6);
    world.session.init();
    const pristine = runState(world);
    expect(pristine.stages).toEqual(idleStages());
    await world.session.runShard(URL_SOURCE);
    await world.session.searchImage('img2');
    world.session.errorMessage.set('something');
    world.session.resumeHint.set('something');
    world.session.reset();
    expect(runState(world)).toEqual(pristine);
    await world.session.runShard(URL_SOURCE);
    await world.session.clearCache();
    expect(runState(world)).toEqual(pristine);
    expect(await countRecords(await openSimageDb())).toEqual({ shards: 0, images: 0, thumbs: 0, features: 0, embeddings: 0, models: 0 });
    expect(world.storage.get('simage.lastShard')).toBeUndefined();
    expect(get(world.session.storage)).toEqual({ usage: 1000, quota: 10_000, persisted: false });
  });
});

describe('a worker that dies', () => {
  it('is made again once and the run goes on; dead twice, the run stops with a sentence and Try again goes on from the store', async () => {
    world = fakeWorld(8);
    const w = world;
    w.session.init();
    w.hold.add('features');
    // Once: made again, the extraction posted again; it resumes from what was stored.
    const once = w.session.runShard(URL_SOURCE);
    await whenRunning(w.session, 'features');
    w.featureWorker.crash('RuntimeError: abort');
    await vi.waitFor(() => expect(w.featureWorker.created()).toBe(2));
    w.hold.delete('features');
    const report = await once;
    expect(report.features.computed + report.features.cached).toBe(8);
    expect(get(w.session.errorMessage)).toBeNull();

    // Twice under one job: the run stops with the sentence, marked as a worker's death, with a Try again.
    await endWorld(w);
    world = fakeWorld(8);
    const v = world;
    v.session.init();
    v.hold.add('features');
    const twice = v.session.runShard(URL_SOURCE).catch((e: Error) => e);
    await whenRunning(v.session, 'features');
    v.featureWorker.crash('out of memory');
    await vi.waitFor(() => expect(v.featureWorker.created()).toBe(2));
    await vi.waitFor(() => expect(get(v.session.featureCount)).toBeGreaterThanOrEqual(4));
    v.featureWorker.crash('out of memory');
    expect(await twice).toMatchObject({ kind: 'worker-died' });
    expect(get(v.session.errorMessage)).toMatch(/worker stopped twice \(out of memory\)\. What was computed is stored: press Try again/);
    expect(get(v.session.failure)).toMatchObject({ kind: 'worker-died' });
    expect(get(v.session.stages).features.status).toBe('error');
    const stored = get(v.session.featureCount);
    v.hold.delete('features');
    await v.session.tryAgain();
    expect(get(v.session.errorMessage)).toBeNull();
    const again = get(v.session.report)!;
    expect(again.features.cached).toBeGreaterThanOrEqual(stored);
    expect(again.features.cached + again.features.computed).toBe(8);
    expect(get(v.session.pageStage)).toBe('ready');
  });
});

describe('tabs share one run of a shard', () => {
  let other: FakeWorld | null = null;
  /** Two tabs of one browser on 6 images: one IndexedDB, one set of locks, one channel, one stored model. */
  const twoTabs = (stored = { model: null }) => {
    const tabs = browserOfTabs();
    world = fakeWorld(6, '', { tabs: tabs(), stored });
    other = fakeWorld(6, '', { tabs: tabs(), stored });
    return [world, other];
  };
  afterEach(async () => {
    if (other) for (const w of Object.values(other.env.workers)) w.terminate();
    other = null;
  });

  it('the second tab shows the first one’s progress, then reuses everything it stored: nothing is computed twice', async () => {
    const [a, b] = twoTabs();
    a.session.init();
    b.session.init();
    a.hold.add('features');
    const first = a.session.runShard(URL_SOURCE);
    await whenRunning(a.session, 'features');
    const second = b.session.runShard(URL_SOURCE);
    // The second tab waits, shows the shard the first stored and the first's progress, and says where it runs.
    await vi.waitFor(() => expect(get(b.session.stages).features.status).toBe('running'));
    expect(get(b.session.stages).features.message).toMatch(/another tab/);
    expect(get(b.session.resumeHint)).toMatch(/being computed in another tab of this browser/);
    await vi.waitFor(() => expect(get(b.session.images)).toHaveLength(6));
    expect(b.calls).toEqual([]);
    a.hold.delete('features');
    const [ra, rb] = await Promise.all([first, second]);
    expect(ra.features.computed + rb.features.computed).toBe(6);
    expect(rb.features).toMatchObject({ computed: 0, cached: 6 });
    // It did not load the shard again either, and it uses the net the first trained.
    expect(b.calls).toEqual(['extract', 'embedLabels', 'train reuse=true']);
    expect(rb.net?.reused).toBe(true);
    expect(get(b.session.model)?.history).toEqual(get(a.session.model)?.history);
    expect(get(b.session.pageStage)).toBe('ready');
    expect(get(a.session.pageStage)).toBe('ready');
    expect(get(b.session.resumeHint)).toBeNull(); // the first finished: nothing to say
  });

  it('when the computing tab closes mid-way, the waiting one takes over from what it stored', async () => {
    const [a, b] = twoTabs();
    const hints: (string | null)[] = [];
    b.session.resumeHint.subscribe((h) => hints.push(h));
    a.hold.add('features'); // stores half, then works until cancelled
    const first = a.session.runShard(URL_SOURCE).catch((e: Error) => e);
    await whenRunning(a.session, 'features');
    const second = b.session.runShard(URL_SOURCE);
    await vi.waitFor(() => expect(get(b.session.stages).features.status).toBe('running'));
    // The first tab closes (its job ends, and the browser releases its lock).
    a.session.cancel();
    expect(await first).toMatchObject({ message: expect.stringMatching(/Cancelled/) });
    const rb = await second;
    const storedByA = 6 - rb.features.computed;
    expect(storedByA).toBeGreaterThanOrEqual(3);
    expect(rb.features.cached).toBe(storedByA);
    expect(get(b.session.pageStage)).toBe('ready');
    expect(hints.some((h) => /The other tab stopped before it finished/.test(h ?? ''))).toBe(true);
    expect(get(b.session.resumeHint)).toBeNull();
  });

  it('a tab that gives up waiting (a cancel) ends its wait as cancelled', async () => {
    const [a, b] = twoTabs();
    a.hold.add('features');
    const first = a.session.runShard(URL_SOURCE).catch(() => null);
    await whenRunning(a.session, 'features');
    const second = b.session.runShard(URL_SOURCE).catch((e: Error) => e);
    await vi.waitFor(() => expect(get(b.session.stages).features.message).toMatch(/another tab/));
    b.session.cancel();
    expect(await second).toMatchObject({ cancelled: true });
    expect(get(b.session.errorMessage)).toBeNull();
    a.session.cancel();
    await first;
  });
});

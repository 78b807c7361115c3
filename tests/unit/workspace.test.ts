// The workspace's pure parts (label completion and matching, map geometry and selection, CSV and zip export,
// which settings recompute what) and its session parts over fake workers: the label filter and the map selection
// narrow what the grid shows, the query follows the selection, and the address records shard, query and filter so
// Back and Forward step through queries and a link reopens the view.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';
import Papa from 'papaparse';
import { BlobReader, TextWriter, Uint8ArrayWriter, ZipReader, type FileEntry } from '@zip.js/zip.js';
import {
  buildLabelIndex,
  buildLabelIndexInSlices,
  completeLabels,
  emptyLabelIndex,
  imagesWithAll,
  resolveLabel,
} from '../../src/lib/workspace/labels';
import {
  categoryOf,
  fitView,
  bulkBounds,
  bounds,
  PointGrid,
  pointsInBox,
  pointsInPolygon,
  pointsInView,
  toData,
  toScreen,
  zoomAt,
} from '../../src/lib/map/geometry';
import { exportCsv, exportZip, zipNamer } from '../../src/lib/workspace/export';
import { colourPoints, coverLabels, pointFacts } from '../../src/lib/map/colours';
import { DEFAULT_SETTINGS, recomputeFor, validateSettings } from '../../src/lib/settings';
import { seededRandom } from '../../src/lib/random';
import { idleStages, pageStageOf } from '../../src/session/state';
import { readView, writeView } from '../../src/session/url';
import { endWorld, fakeWorld, MOBILENET_ID, MODEL_ID, type FakeWorld } from './session-fakes';

const img = (imageId: string, ...labels: string[]) => ({
  imageId,
  split: 'train',
  path: `${imageId}.jpg`,
  labels: labels.map((labelName) => ({ labelName, confidence: 1 })),
});

describe('label vocabulary', () => {
  const images = [img('a', '/m/dog', '/m/snow'), img('b', '/m/dog'), img('c', '/m/snowboard', '/m/snow'), img('d', '/m/hot_dog')];
  const classes = new Map([
    ['/m/dog', 'Dog'],
    ['/m/snow', 'Snow'],
    ['/m/snowboard', 'Snowboard'],
    ['/m/hot_dog', 'Hot dog'],
  ]);
  const index = buildLabelIndex(images, classes);

  it('counts each label once per image, most frequent first, with display names', () => {
    expect(index.vocabulary.map((e) => [e.display, e.count])).toEqual([
      ['Dog', 2],
      ['Snow', 2],
      ['Hot dog', 1],
      ['Snowboard', 1],
    ]);
    expect(buildLabelIndex([img('x', '/m/a', '/m/a')], new Map()).vocabulary).toEqual([{ name: '/m/a', display: '/m/a', count: 1 }]);
    // Two labels with one display name are told apart by their LabelNames; a unique one keeps its own.
    const twins = buildLabelIndex(
      [img('x', '/g/activities', '/s/person-activity'), img('y', '/g/activities', '/t/fruit')],
      new Map([
        ['/g/activities', 'activities'],
        ['/s/person-activity', 'activities'],
        ['/t/fruit', 'fruit'],
      ]),
    );
    expect(twins.vocabulary.map((e) => e.display)).toEqual(['activities (/g/activities)', 'activities (/s/person-activity)', 'fruit']);
  });

  it("keeps each image's labels as vocabulary positions, each once", () => {
    const { offsets, ids } = index.imageLabels;
    const namesOf = (i: number) => Array.from(ids.subarray(offsets[i], offsets[i + 1]), (id) => index.vocabulary[id].name);
    expect(images.map((_, i) => namesOf(i))).toEqual([['/m/dog', '/m/snow'], ['/m/dog'], ['/m/snowboard', '/m/snow'], ['/m/hot_dog']]);
    const twice = buildLabelIndex([img('x', '/m/a', '/m/a'), img('y')], new Map()).imageLabels;
    expect([Array.from(twice.offsets), Array.from(twice.ids)]).toEqual([[0, 1, 1], [0]]);
  });

  it('builds the same index in slices, yielding between them, and stops when told', async () => {
    const many = Array.from({ length: 257 }, (_, i) => img(`i${i}`, `/m/l${i % 7}`, `/m/l${(i * 3) % 11}`, i % 5 ? '/m/x' : '/m/y'));
    const whole = buildLabelIndex(many, classes);
    const sliced = await buildLabelIndexInSlices(many, classes, () => false, 10);
    expect(sliced).toEqual(whole);
    let slices = 0;
    expect(await buildLabelIndexInSlices(many, classes, () => ++slices >= 3, 10)).toBeNull();
    expect(slices).toBe(3);
    expect(emptyLabelIndex(3)).toMatchObject({ vocabulary: [], images: 3 });
    expect(emptyLabelIndex(3).imageLabels.offsets).toHaveLength(4);
  });

  it('completes exact, then prefix, then word prefix, then substring, then the LabelName; leaves out chosen labels', () => {
    expect(completeLabels(index, 'dog').map((e) => e.display)).toEqual(['Dog', 'Hot dog']);
    expect(completeLabels(index, 'SNOW').map((e) => e.display)).toEqual(['Snow', 'Snowboard']);
    expect(completeLabels(index, 'oar').map((e) => e.display)).toEqual(['Snowboard']);
    expect(completeLabels(index, 'hot_').map((e) => e.display)).toEqual(['Hot dog']);
    expect(completeLabels(index, 'dog', 8, ['/m/dog']).map((e) => e.display)).toEqual(['Hot dog']);
    expect(completeLabels(index, '', 2).map((e) => e.display)).toEqual(['Dog', 'Snow']);
    expect(completeLabels(index, 'cat')).toEqual([]);
    expect(resolveLabel(index, 'snow')?.name).toBe('/m/snow');
    expect(resolveLabel(index, '/m/hot_dog')?.name).toBe('/m/hot_dog');
  });

  it('matches the images carrying every chosen label', () => {
    expect(imagesWithAll(index, [])).toBeNull();
    expect(Array.from(imagesWithAll(index, ['/m/dog'])!)).toEqual([0, 1]);
    expect(Array.from(imagesWithAll(index, ['/m/snow', '/m/dog'])!)).toEqual([0]);
    expect(Array.from(imagesWithAll(index, ['/m/dog', '/m/snowboard'])!)).toEqual([]);
    expect(Array.from(imagesWithAll(index, ['/m/unknown'])!)).toEqual([]);
  });
});

describe('map geometry', () => {
  it('fits the bulk of the points: one far outlier is left outside, the edge of an ordinary cluster is not', () => {
    const random = seededRandom(4);
    const cluster = Float32Array.from({ length: 1000 }, () => random() * 10);
    const withOutlier = Float32Array.from([...cluster, 500, 500]);
    expect(bulkBounds(cluster)).toEqual({ ...bounds(cluster), outside: 0 });
    expect(bulkBounds(withOutlier)).toEqual({ ...bounds(cluster), outside: 1 });
    // The bulk fills the view; asked for every point, the cluster shrinks to a corner.
    const bulk = fitView(withOutlier, 100, 100);
    const all = fitView(withOutlier, 100, 100, 0.92, true);
    expect(bulk).toEqual(fitView(cluster, 100, 100));
    expect(bulk.scale).toBeGreaterThan(40 * all.scale);
    // Many points: the percentiles come from a strided sample, and the answer is the same.
    const big = Float32Array.from({ length: 50_002 }, (_, i) => (i >= 50_000 ? -900 : random() * 10));
    expect(bulkBounds(big)).toEqual({ ...bounds(big.subarray(0, 50_000)), outside: 1 });
    // Few points: nothing is called an outlier.
    expect(bulkBounds(Float32Array.from([0, 0, 1, 1, 100, 100])).outside).toBe(0);
  });

  // Five points: the corners of the unit square and its centre.
  const layout = Float32Array.from([0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5]);

  it('fits every point in view; screen and data coordinates round-trip; zoom keeps the point under the cursor', () => {
    const v = fitView(layout, 200, 100);
    for (let i = 0; i < 5; i++) {
      const [sx, sy] = toScreen(v, layout[2 * i], layout[2 * i + 1]);
      expect(sx).toBeGreaterThanOrEqual(0);
      expect(sx).toBeLessThanOrEqual(200);
      expect(sy).toBeGreaterThanOrEqual(0);
      expect(sy).toBeLessThanOrEqual(100);
      const [x, y] = toData(v, sx, sy);
      expect(x).toBeCloseTo(layout[2 * i]);
      expect(y).toBeCloseTo(layout[2 * i + 1]);
    }
    const before = toData(v, 30, 70);
    const z = zoomAt(v, 3, 30, 70);
    expect(z.scale).toBeCloseTo(v.scale * 3);
    const after = toData(z, 30, 70);
    expect(after[0]).toBeCloseTo(before[0]);
    expect(after[1]).toBeCloseTo(before[1]);
  });

  it('selects by box (either corner order), by lasso (even-odd, concave) and by view', () => {
    expect(Array.from(pointsInBox(layout, 1.1, 1.1, 0.4, 0.4))).toEqual([2, 4]);
    // A triangle over the lower-left half; a concave "C" that leaves out the centre.
    expect(Array.from(pointsInPolygon(layout, [-0.1, -0.1, 1.2, -0.1, -0.1, 1.2]))).toEqual([0, 1, 3, 4]);
    const c = [-0.1, -0.1, 1.1, -0.1, 1.1, 0.2, 0.2, 0.2, 0.2, 0.8, 1.1, 0.8, 1.1, 1.1, -0.1, 1.1];
    expect(Array.from(pointsInPolygon(layout, c))).toEqual([0, 1, 2, 3]);
    expect(Array.from(pointsInPolygon(layout, [0, 0, 1, 1]))).toEqual([]);
    const v = zoomAt(fitView(layout, 100, 100), 4, 0, 0);
    expect(Array.from(pointsInView(layout, fitView(layout, 100, 100))!)).toEqual([0, 1, 2, 3, 4]);
    expect(pointsInView(layout, fitView(layout, 100, 100), 0, 3)).toBeNull();
    expect(pointsInView(layout, v)!.length).toBeLessThan(5);
  });

  it('finds the nearest point within a radius, and colours by the first chosen label an image carries', () => {
    const grid = new PointGrid(layout, 0.3);
    expect(grid.nearest(0.95, 0.9, 0.2)).toBe(2);
    expect(grid.nearest(0.45, 0.55, 0.2)).toBe(4);
    expect(grid.nearest(0.25, 0.25, 0.1)).toBe(-1);
    // Points' label ids [1, 0], [2], [1], []; colouring by labels 0 then 1.
    expect(Array.from(categoryOf(Int32Array.from([0, 2, 3, 4, 4]), Int32Array.from([1, 0, 2, 1]), [0, 1]))).toEqual([0, -1, 1, -1]);
  });
});

describe('export', () => {
  const classes = new Map([['/m/a', 'A, with comma']]);
  const rows = [
    { image: img('one "quoted"', '/m/a', '/m/b'), score: 0.91234567, rank: 1 },
    { image: { ...img('two'), path: 'sub/dir/two' }, score: 0.5, rank: 2 },
  ];

  it('writes CSV that parses back to the same IDs, labels and scores; scores only where there are some', () => {
    const parsed = Papa.parse<string[]>(exportCsv(rows, classes).trim()).data;
    expect(parsed[0]).toEqual(['ImageID', 'Split', 'Labels', 'LabelNames', 'Rank', 'Score']);
    expect(parsed[1]).toEqual(['one "quoted"', 'train', 'A, with comma; /m/b', '/m/a; /m/b', '1', '0.912346']);
    expect(parsed[2]).toEqual(['two', 'train', '', '', '2', '0.5']);
    const plain = Papa.parse<string[]>(exportCsv([{ image: img('x', '/m/a') }], classes).trim()).data;
    expect(plain[0]).toEqual(['ImageID', 'Split', 'Labels', 'LabelNames']);
  });

  it('names zip entries safely and uniquely', () => {
    const name = zipNamer();
    expect(name({ imageId: 'a', path: 'x/cat.jpg' }, 'image/jpeg')).toBe('images/cat.jpg');
    expect(name({ imageId: 'b', path: 'y/CAT.jpg' }, 'image/jpeg')).toBe('images/CAT-2.jpg');
    expect(name({ imageId: 'c', path: '../..' }, 'image/png')).toBe('images/_.png');
    expect(name({ imageId: 'd', path: 'e/noext' }, 'image/webp')).toBe('images/noext.webp');
  });

  it('zips the images it has bytes for and a CSV naming each entry, one missing image listed without a file', async () => {
    const { zip, written, missing } = await exportZip(
      rows,
      classes,
      async (im) => (im.imageId === 'two' ? null : { bytes: new Uint8Array([1, 2, 3]), type: 'image/jpeg' }),
      'note',
    );
    expect([written, missing]).toEqual([1, 1]);
    const reader = new ZipReader(new BlobReader(zip));
    const entries = await reader.getEntries();
    expect(entries.map((e) => e.filename).sort()).toEqual(['README.txt', 'images.csv', 'images/one _quoted_.jpg']);
    const csv = await (entries.find((e) => e.filename === 'images.csv') as FileEntry).getData(new TextWriter());
    const parsed = Papa.parse<string[]>(csv.trim()).data;
    expect(parsed.map((r) => r.at(-1))).toEqual(['File', 'images/one _quoted_.jpg', '']);
    const bytes = await (entries.find((e) => e.filename.startsWith('images/')) as FileEntry).getData(new Uint8ArrayWriter());
    expect(Array.from(bytes)).toEqual([1, 2, 3]);
    await reader.close();
  });
});

describe('settings and the page stage', () => {
  it('says what a change recomputes', () => {
    const d = DEFAULT_SETTINGS;
    expect(recomputeFor(d, { ...d, backend: 'wasm', batchSize: 16 })).toEqual([]);
    expect(recomputeFor(d, { ...d, epochs: 3 })).toEqual(['train']);
    expect(recomputeFor(d, { ...d, perplexity: 10 })).toEqual(['embedding', 'train']);
    expect(recomputeFor(d, { ...d, k: 20, head: 'sets' })).toEqual(['embedding', 'train']);
    expect(recomputeFor(d, { ...d, model: 'mobilenet-v2' })).toEqual(['features', 'train']);
    expect(recomputeFor(d, { ...d, model: 'mobilenet-v2', k: 20 })).toEqual(['features', 'embedding', 'train']);
  });

  it('takes the feature model from the address; a model without a layer brings its best one', () => {
    expect(validateSettings({ model: 'mobilenet-v2' })).toMatchObject({ model: 'mobilenet-v2', layer: 'flatten' });
    expect(validateSettings({ model: 'mobilenet-v2', layer: 'mixed7' })).toMatchObject({ model: 'mobilenet-v2', layer: 'mixed7' });
    expect(validateSettings({ model: 'resnet' })).toMatchObject({ model: 'inception-v3', layer: 'mixed7' });
    const mobile = validateSettings({ model: 'mobilenet-v2', layer: 'mixed7' });
    expect(validateSettings({ epochs: 3 }, mobile)).toMatchObject({ model: 'mobilenet-v2', layer: 'mixed7', epochs: 3 });
  });

  it('is "ready" whenever a model can answer, else the running stage, an error, loaded or empty', () => {
    const st = idleStages();
    const model = {} as never;
    expect(pageStageOf(st, false, null, null)).toBe('empty');
    expect(pageStageOf(st, true, null, null)).toBe('loaded');
    expect(pageStageOf(st, true, null, 'x')).toBe('error');
    expect(pageStageOf({ ...st, features: { ...st.features, status: 'running' } }, true, null, null)).toBe('features');
    expect(pageStageOf({ ...st, embedding: { ...st.embedding, status: 'running' } }, true, model, null)).toBe('ready');
    expect(pageStageOf({ ...st, train: { ...st.train, status: 'running' } }, true, model, null)).toBe('train');
    expect(pageStageOf(st, true, model, null)).toBe('ready');
  });
});

describe('the address', () => {
  it('writes shard, query, labels and view and keeps other parameters', () => {
    const href = writeView('http://h/app/?backend=wasm&q=old', {
      shard: 'http://h/s/',
      collection: null,
      query: 'img 1',
      labels: ['/m/a', '/m/b'],
      view: 'grid',
      plus: ['/m/c'],
      minus: ['/m/d'],
      heldOut: true,
    });
    expect(href).toBe(
      'http://h/app/?backend=wasm&shard=http%3A%2F%2Fh%2Fs%2F&q=img+1&label=%2Fm%2Fa&label=%2Fm%2Fb&view=grid&plus=%2Fm%2Fc&minus=%2Fm%2Fd&validation=1',
    );
    expect(readView(new URL(href).search)).toEqual({
      shard: 'http://h/s/',
      collection: null,
      query: 'img 1',
      labels: ['/m/a', '/m/b'],
      view: 'grid',
      plus: ['/m/c'],
      minus: ['/m/d'],
      heldOut: true,
    });
    expect(readView('?q=x').heldOut).toBe(false);
  });
});

describe('session: the workspace', () => {
  const URL_SOURCE = { kind: 'url' as const, url: 'http://localhost/shards/fake/' };
  let world: FakeWorld | null = null;
  afterEach(async () => {
    await endWorld(world);
    world = null;
  });
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('the label filter and the selection narrow the grid; a new shard clears both', async () => {
    world = fakeWorld(9);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const { workspace } = world.session;
    expect(get(workspace.shown)).toMatchObject({ narrowed: false, matches: null });
    expect(get(workspace.shown).images).toHaveLength(9);
    expect(get(workspace.labelIndex).vocabulary.map((e) => [e.display, e.count])).toEqual([
      ['Apple', 9],
      ['Banana', 3],
    ]);
    workspace.addLabel('/m/b');
    expect(get(workspace.shown).images.map((im) => im.imageId)).toEqual(['img0', 'img3', 'img6']);
    expect(get(workspace.shown).matches).toBe(3);
    workspace.selection.set(['img3', 'img4']);
    expect(get(workspace.shown).images.map((im) => im.imageId)).toEqual(['img3']);
    workspace.removeLabel('/m/b');
    expect(get(workspace.shown).images.map((im) => im.imageId)).toEqual(['img3', 'img4']);
    await world.session.runShard({ kind: 'url', url: 'http://localhost/shards/another/' });
    expect([get(workspace.filter), get(workspace.selection)]).toEqual([[], null]);
  });

  it('a selection becomes the query once a model exists; clearing it clears the results', async () => {
    world = fakeWorld(8);
    world.session.init();
    world.session.selectedImageId.set('img2');
    await world.session.runShard(URL_SOURCE);
    world.session.selectedImageId.set('img2');
    await settle();
    expect(get(world.session.search)).toMatchObject({ query: { kind: 'image', imageId: 'img2' }, busy: false });
    expect(get(world.session.search)!.results.length).toBeGreaterThan(0);
    world.session.selectedImageId.set(null);
    expect(get(world.session.search)).toBeNull();
  });

  it('label words: alone they are the query; with an image they refine it; the held-out switch asks again', async () => {
    world = fakeWorld(8);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const s = world.session;
    s.workspace.addWord('/m/b', 'plus');
    await settle();
    expect(get(s.search)).toMatchObject({ query: { kind: 'labels' }, words: { plus: ['/m/b'], minus: [] }, busy: false });
    expect(world.calls).toContain('query labels +/m/b');
    // The words are in the address (a history entry), so a link reopens the same query.
    expect(world.history.entries.at(-1)).toContain('plus=%2Fm%2Fb');
    // Results from prediction are marked as such.
    expect(get(s.search)!.results.some((r) => r.by === 'prediction')).toBe(true);
    s.selectedImageId.set('img2');
    s.workspace.addWord('/m/a', 'minus');
    await settle();
    expect(world.calls.filter((c) => c.startsWith('query'))).toEqual([
      'query labels +/m/b',
      'query image +/m/b',
      'query image +/m/b -/m/a',
    ]);
    expect(get(s.search)!.tags).toEqual([{ labelName: '/m/a', score: 0.9, given: true }]);
    const before = world.calls.length;
    s.workspace.includeHeldOut.set(true);
    await settle();
    expect(world.calls.length).toBe(before + 1);
    // Removing the image leaves the words as the query; removing the words too clears it.
    s.selectedImageId.set(null);
    await settle();
    expect(get(s.search)!.query.kind).toBe('labels');
    s.workspace.removeWord('/m/b');
    s.workspace.removeWord('/m/a');
    await settle();
    expect(get(s.search)).toBeNull();
  });

  it('a label review: decisions by index move to the next undecided, survive a reload, and the corrected file has exactly the accepted changes', async () => {
    world = fakeWorld(8);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const s = world.session;
    await s.openReview();
    expect(get(s.review)).toMatchObject({ status: 'ready', cursor: 0 });
    await s.decide(0, 'accept'); // img0: remove /m/a
    expect(get(s.review)!.cursor).toBe(1);
    await s.decide(1, 'accept'); // img1: add /m/b
    await s.decide(2, 'reject'); // img2: keep /m/a
    expect(get(s.review)!.cursor).toBe(3);
    await settle();
    const [file] = await s.correctedLabelFiles();
    expect(file.name).toBe('labels.csv');
    const rows = Papa.parse<string[]>(await file.file.text(), { skipEmptyLines: true }).data;
    const original = [
      'ImageID,Source,LabelName,Confidence',
      ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [`img${i},fake,/m/a,1`, ...(i % 3 === 0 ? [`img${i},fake,/m/b,1`] : [])]),
    ];
    const changed = rows.map((r) => r.join(',')).filter((line) => !original.includes(line));
    expect(changed).toEqual(['img0,fake,/m/a,0', 'img1,simage-review,/m/b,1']);
    expect(rows.length).toBe(original.length + 1);
    // A new page (the same IndexedDB) finds the decisions again.
    s.review.set(null);
    await s.openReview();
    expect([...get(s.review)!.decisions.values()]).toEqual(['accept', 'accept', 'reject']);
    const predicted = await s.predictedLabelsCsv();
    expect(predicted.name).toBe('predicted-labels.csv');
    expect((await predicted.file.text()).split(/\r?\n/)[0]).toBe('ImageID,Source,LabelName,Confidence');
  });

  it('each query and filter is a history entry; Back and Forward show them again; a link reopens the view', async () => {
    world = fakeWorld(8, '?backend=wasm');
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const s = world.session;
    const h = world.history;
    expect(h.entries).toEqual([`http://localhost/?backend=wasm&shard=${encodeURIComponent(URL_SOURCE.url)}`]);
    s.selectedImageId.set('img1');
    s.selectedImageId.set('img4');
    s.workspace.addLabel('/m/b');
    s.workspace.mainView.set('grid'); // not a step of its own
    expect(h.entries).toHaveLength(4);
    expect(readView(new URL(h.entries[3]).search)).toMatchObject({ query: 'img4', labels: ['/m/b'], view: 'grid' });
    // The "validation images" tick is in the address too, as a step (it changes the results).
    s.workspace.includeHeldOut.set(true);
    expect(h.entries).toHaveLength(5);
    expect(readView(new URL(h.entries[4]).search)).toMatchObject({ query: 'img4', heldOut: true });
    h.back();
    expect(get(s.workspace.includeHeldOut)).toBe(false);
    h.forward();
    expect(get(s.workspace.includeHeldOut)).toBe(true);
    h.back();
    h.back();
    expect([get(s.selectedImageId), get(s.workspace.filter)]).toEqual(['img4', []]);
    h.back();
    await settle();
    expect(get(s.selectedImageId)).toBe('img1');
    expect(get(s.search)?.query).toEqual({ kind: 'image', imageId: 'img1' });
    h.forward();
    h.forward();
    expect([get(s.selectedImageId), get(s.workspace.filter)]).toEqual(['img4', ['/m/b']]);
    expect(h.entries).toHaveLength(5); // stepping made no entries

    // The link in a fresh page: the same shard, query, filter and view; a label the shard lacks is dropped.
    const link = new URL(h.entries[3]);
    link.searchParams.append('label', '/m/zzz');
    const fresh = fakeWorld(8, link.search);
    fresh.session.init();
    await fresh.session.restore();
    await settle();
    expect(get(fresh.session.selectedImageId)).toBe('img4');
    expect(get(fresh.session.workspace.filter)).toEqual(['/m/b']);
    expect(get(fresh.session.workspace.mainView)).toBe('grid');
    expect(get(fresh.session.search)?.query).toEqual({ kind: 'image', imageId: 'img4' });
    for (const w of Object.values(fresh.env.workers)) w.terminate();
  });

  it('a local collection is named by its cache key; a link to one this browser lacks says to pick it', async () => {
    world = fakeWorld(4, '?collection=folder%3Aholiday%3A3%3A99&q=img1');
    world.session.init();
    await world.session.restore();
    expect(get(world.session.resumeHint)).toMatch(/Pick that folder or file/);
    expect(world.history.entries[0]).toContain('collection=folder%3Aholiday');
  });

  it('a URL shard that cannot be reached (offline) opens from the cache, with a sentence saying so', async () => {
    world = fakeWorld(6);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    const offline = fakeWorld(6, `?shard=${encodeURIComponent(URL_SOURCE.url)}`);
    offline.offline = true;
    offline.stored.model = world.stored.model; // the fake training worker keeps its model in memory, not in IndexedDB
    offline.session.init();
    await offline.session.restore();
    await settle();
    const s = offline.session;
    expect(get(s.images)).toHaveLength(6);
    expect(get(s.errorMessage)).toBeNull();
    expect(get(s.resumeHint)).toMatch(/could not be reached, so this is the copy stored in this browser/);
    expect(get(s.stages).load.status).toBe('done');
    await expect.poll(() => get(s.pageStage)).toBe('ready');
    await endWorld(offline);
  });

  it('applying settings recomputes what they make stale, and nothing for backend or batch', async () => {
    world = fakeWorld(8);
    world.session.init();
    await world.session.runShard(URL_SOURCE);
    world.calls.length = 0;
    const s = world.session;
    await s.applySettings({ ...get(s.settings), batchSize: 4 });
    expect(world.calls).toEqual([]);
    await s.applySettings({ ...get(s.settings), epochs: 3 });
    expect(world.calls).toEqual(['train reuse=false']);
    await s.applySettings({ ...get(s.settings), perplexity: 12 });
    expect(world.calls).toEqual(['train reuse=false', 'embedLabels', 'train reuse=true']);
    expect(get(s.stages).train.status).toBe('done');
  });

  it("another feature model computes its own features and a net on them; the first model's stay, and coming back computes none", async () => {
    world = fakeWorld(8);
    world.session.init();
    const s = world.session;
    const first = await s.runShard(URL_SOURCE);
    expect(first.model).toBe(MODEL_ID);
    world.calls.length = 0;
    await s.applySettings({ ...get(s.settings), model: 'mobilenet-v2' });
    expect(world.calls).toEqual(['load', 'extract', 'embedLabels', 'train reuse=true']);
    const report = get(s.report)!;
    expect(report.model).toBe(MOBILENET_ID);
    expect(report.features.computed).toBe(8);
    expect(get(s.model)!.featureModelId).toBe(MOBILENET_ID);
    await s.applySettings({ ...get(s.settings), model: 'inception-v3' });
    expect(get(s.report)!.model).toBe(MODEL_ID);
    expect(get(s.report)!.features).toMatchObject({ computed: 0, cached: 8 });
  });
});

describe('map colours', () => {
  it('chooses the same labels as recounting every round would, on random labels', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 20; trial++) {
      const vocabularySize = 3 + Math.floor(random() * 30);
      const lists = Array.from({ length: 50 + Math.floor(random() * 200) }, () => [
        ...new Set(Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * vocabularySize))),
      ]);
      const labelOffsets = new Int32Array(lists.length + 1);
      lists.forEach((l, p) => (labelOffsets[p + 1] = labelOffsets[p] + l.length));
      const labelIds = Int32Array.from(lists.flat());
      // The plain greedy: recount the uncovered points every round.
      const expected: number[] = [];
      const covered = new Set<number>();
      while (expected.length < 12) {
        const counts = new Array(vocabularySize).fill(0);
        lists.forEach((l, p) => covered.has(p) || l.forEach((v) => counts[v]++));
        let best = -1;
        counts.forEach((c, v) => c > (best < 0 ? 0 : counts[best]) && (best = v));
        if (best < 0) break;
        expected.push(best);
        lists.forEach((l, p) => l.includes(best) && covered.add(p));
      }
      expect(coverLabels({ labelOffsets, labelIds }, vocabularySize, 12)).toEqual(expected);
    }
  });

  it('covers the map greedily: the most frequent label, then the one most frequent among the images left', () => {
    const vocabulary = ['people', 'man', 'flag', 'food'].map((name) => ({ name, display: name.toUpperCase() }));
    const images = [['people', 'man'], ['people', 'man'], ['people'], ['flag'], ['flag'], ['food']].map((labels, i) =>
      img(`i${i}`, ...labels),
    );
    const index = buildLabelIndex(images, new Map());
    // Points in another order than the images, and one point without an image.
    const imageOfPoint = Int32Array.from([5, 4, 3, 2, 1, 0, -1]);
    const facts = pointFacts(imageOfPoint, index.imageLabels, (i) => (i >= 3 && i < 5 ? 'validation' : 'train'));
    expect(facts.splits).toEqual(['train', 'validation', 'validation', 'train', 'train', 'train', '']);
    const names = (ids: number[]) => ids.map((id) => index.vocabulary[id].name);
    expect(names(coverLabels(facts, index.vocabulary.length, 10))).toEqual(['people', 'flag', 'food']);
    expect(names(coverLabels(facts, index.vocabulary.length, 2))).toEqual(['people', 'flag']);
    const top = coverLabels(facts, index.vocabulary.length, 10).map((id) => ({
      id,
      ...index.vocabulary[id],
      display: vocabulary.find((v) => v.name === index.vocabulary[id].name)!.display,
    }));
    const { style, legend, rgba } = colourPoints(facts, 'labels', top, Uint8Array.from([0, 0, 0, 0, 1, 1, 0]), null);
    expect(legend.map((e) => [e.label, e.count])).toEqual([
      ['PEOPLE', 3],
      ['FLAG', 2],
      ['FOOD', 1],
      ['other labels or none', 1],
    ]);
    expect(Array.from(style)).toEqual([0, 0, 0, 0, 2, 2, 0]); // the filter's matches highlighted, the rest dimmed
    expect(rgba[3]).toBe(255);
  });
});

describe('a "Saved" line', () => {
  it('clears itself after a few seconds, unless the line changed first', async () => {
    const { clearLater, SAVED_NOTE_MS } = await import('../../src/views/download');
    vi.useFakeTimers();
    try {
      let note: string | null = 'Saved a.zip.';
      clearLater(() => (note = null));
      vi.advanceTimersByTime(SAVED_NOTE_MS - 1);
      expect(note).toBe('Saved a.zip.');
      vi.advanceTimersByTime(1);
      expect(note).toBeNull();
      note = 'Saved b.zip.';
      const cancel = clearLater(() => (note = null));
      cancel();
      vi.advanceTimersByTime(SAVED_NOTE_MS);
      expect(note).toBe('Saved b.zip.');
    } finally {
      vi.useRealTimers();
    }
  });
});

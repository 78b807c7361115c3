// The COCO reader and label writer (src/lib/ingest/formats/coco.ts) on small listings built here: the three layouts
// its tools write, splits, bad entries (each skipped with a reason while the rest loads), and the export round trip.
import { describe, expect, it } from 'vitest';
import { coco, resolveCocoImages, writeCocoLabels } from '../../src/lib/ingest/formats/coco';
import { ImageIndex } from '../../src/lib/ingest/formats/common';
import type { CollectionListing, FormatReading } from '../../src/lib/ingest/formats/types';

type Doc = Record<string, unknown>;

function listing(imagePaths: string[], texts: Record<string, string | Doc>): CollectionListing {
  return {
    imagePaths,
    texts: new Map(Object.entries(texts).map(([p, t]) => [p, typeof t === 'string' ? t : JSON.stringify(t)])),
  };
}

const image = (id: number | string, file_name: string, width = 640, height = 480) => ({ id, file_name, width, height });
let nextAnnotation = 1;
const box = (image_id: number | string, category_id: number | string) => ({
  id: nextAnnotation++,
  image_id,
  category_id,
  bbox: [1, 2, 3, 4],
  area: 12,
  iscrowd: 0,
});
const CATEGORIES = [
  { id: 1, name: 'cat', supercategory: 'animal' },
  { id: 2, name: 'dog', supercategory: 'animal' },
  { id: 3, name: 'zebra', supercategory: 'animal' },
];

/** Labels per image path, names sorted: what a reading says about each image. */
function labelsOf(reading: FormatReading): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of reading.labels) {
    expect(l.confidence).toBe(1);
    (out[l.path] ??= []).push(l.labelName);
  }
  for (const names of Object.values(out)) names.sort();
  return out;
}

// Layout (a): pycocotools, annotations/instances_<X>.json and images in <X>/.
const pycoco = () =>
  listing(['train2017/000001.jpg', 'train2017/000002.jpg', 'val2017/000003.jpg', 'extra/unlabelled.png'], {
    'annotations/instances_train2017.json': {
      info: { description: 'COCO-like' },
      licenses: [{ id: 1, name: 'CC BY' }],
      images: [image(1, '000001.jpg'), image(2, '000002.jpg', 100, 50)],
      annotations: [box(1, 1), box(1, 1), box(1, 2), box(2, 2)],
      categories: CATEGORIES,
    },
    'annotations/instances_val2017.json': {
      images: [image(7, '000003.jpg')],
      annotations: [box(7, 1)],
      categories: CATEGORIES,
    },
    'README.md': '# not a table this reader uses',
  });

describe('coco.detect', () => {
  it('finds the pycocotools layout with its annotation files as evidence', () => {
    expect(coco.detect(pycoco())).toEqual({
      format: 'coco',
      strength: 3,
      evidence: 'annotations/instances_train2017.json, annotations/instances_val2017.json',
    });
  });

  it('finds the Roboflow and CVAT layouts', () => {
    const roboflow = listing(['train/a.jpg'], { 'train/_annotations.coco.json': { images: [], categories: [] } });
    expect(coco.detect(roboflow)?.evidence).toBe('train/_annotations.coco.json');
    // Any .json with images and categories lists counts, whatever its name; annotations may be missing.
    const cvat = listing(['images/a.jpg'], { 'annotations/instances_default.json': { images: [image(1, 'a.jpg')], categories: [] } });
    expect(coco.detect(cvat)?.strength).toBe(3);
    const renamed = listing(['a.jpg'], { 'labels/my-export.json': { images: [image(1, 'a.jpg')], categories: CATEGORIES } });
    expect(coco.detect(renamed)?.evidence).toBe('labels/my-export.json');
  });

  it('does not take other JSON, a non-.json file or images alone for COCO', () => {
    expect(coco.detect(listing(['a.jpg'], {}))).toBeNull();
    const other = listing(['a.jpg'], {
      'meta.json': { name: 'x', categories: ['a'] },
      'broken.json': '{ not json',
      'list.json': '[1, 2]',
      'coco.txt': JSON.stringify({ images: [], categories: [] }),
      'captions_train2017.json': { images: [image(1, 'a.jpg')], annotations: [] },
    });
    expect(coco.detect(other)).toBeNull();
    expect(coco.read(other)).toEqual({ labels: [], splits: new Map(), classes: new Map(), skipped: [], used: [] });
  });

  it('takes a COCO-named file that fails to parse as evidence, and read lists it as skipped', () => {
    const l = listing(['val2017/a.jpg'], { 'annotations/instances_val2017.json': '{"images": [', 'x.json': '{oops' });
    expect(coco.detect(l)).toEqual({ format: 'coco', strength: 3, evidence: 'annotations/instances_val2017.json' });
    const r = coco.read(l);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0].id).toBe('annotations/instances_val2017.json');
    expect(r.skipped[0].reason).toMatch(/^not valid JSON \(.+\)$/);
    expect(r.used).toEqual([]);
    expect(r.labels).toEqual([]);
  });

  it('clips a long evidence list', () => {
    const texts: Record<string, Doc> = {};
    for (let i = 0; i < 10; i++) texts[`part${i}/annotations/instances_default.json`] = { images: [], categories: [] };
    const evidence = coco.detect(listing([], texts))!.evidence;
    expect(evidence.length).toBeLessThanOrEqual(81);
    expect(evidence.endsWith('…')).toBe(true);
  });
});

describe('coco.read', () => {
  it('reads category names as image-level labels, once per image, with the split of each file', () => {
    const r = coco.read(pycoco());
    expect(r.skipped).toEqual([]);
    expect(labelsOf(r)).toEqual({
      'train2017/000001.jpg': ['cat', 'dog'],
      'train2017/000002.jpg': ['dog'],
      'val2017/000003.jpg': ['cat'],
    });
    // zebra is declared but used by no annotation: not a label.
    expect(r.labels.some((l) => l.labelName === 'zebra')).toBe(false);
    expect(r.splits).toEqual(
      new Map([
        ['train2017/000001.jpg', 'train'],
        ['train2017/000002.jpg', 'train'],
        ['val2017/000003.jpg', 'validation'],
      ]),
    );
    // An image in no COCO file is still an image, with no labels and the hash split.
    expect(r.splits.has('extra/unlabelled.png')).toBe(false);
    expect(r.used).toEqual(['annotations/instances_train2017.json', 'annotations/instances_val2017.json']);
    expect(r.classes).toEqual(new Map());
  });

  it('reads the Roboflow layout, file names relative to the JSON folder, valid as validation', () => {
    const doc = (names: string[], cat: number) => ({
      images: names.map((n, i) => image(i, n)),
      annotations: names.map((_, i) => box(i, cat)),
      categories: [{ id: 0, name: 'pets', supercategory: 'none' }, ...CATEGORIES],
    });
    const l = listing(['train/a.jpg', 'train/b.jpg', 'valid/a.jpg', 'test/c.jpg'], {
      'train/_annotations.coco.json': doc(['a.jpg', 'b.jpg'], 1),
      'valid/_annotations.coco.json': doc(['a.jpg'], 2),
      'test/_annotations.coco.json': doc(['c.jpg'], 0),
    });
    const r = coco.read(l);
    expect(r.skipped).toEqual([]);
    // a.jpg exists in train/ and valid/: each file names its own.
    expect(labelsOf(r)).toEqual({ 'train/a.jpg': ['cat'], 'train/b.jpg': ['cat'], 'valid/a.jpg': ['dog'], 'test/c.jpg': ['pets'] });
    expect(r.splits.get('train/a.jpg')).toBe('train');
    expect(r.splits.get('valid/a.jpg')).toBe('validation');
    expect(r.splits.get('test/c.jpg')).toBe('test');
  });

  it('reads the CVAT layout (images/ beside annotations/, or at the root) with no split', () => {
    const doc = { images: [image(1, 'a.jpg'), image(2, 'b.jpg')], annotations: [box(1, 1), box(2, 3)], categories: CATEGORIES };
    for (const paths of [
      ['images/a.jpg', 'images/b.jpg'],
      ['a.jpg', 'b.jpg'],
    ]) {
      const r = coco.read(listing(paths, { 'annotations/instances_default.json': doc }));
      expect(r.skipped).toEqual([]);
      expect(labelsOf(r)).toEqual({ [paths[0]]: ['cat'], [paths[1]]: ['zebra'] });
      expect(r.splits).toEqual(new Map());
    }
  });

  it('prefers the nearer folder, and falls back to a unique file name anywhere', () => {
    const l = listing(['annotations/x.jpg', 'x.jpg', 'deep/down/only.jpg', 'val2017/sub/y.jpg'], {
      'annotations/instances_val2017.json': {
        images: [image(1, 'x.jpg'), image(2, 'photos/only.jpg'), image(3, 'sub/y.jpg')],
        annotations: [box(1, 1), box(2, 2), box(3, 3)],
        categories: CATEGORIES,
      },
    });
    const r = coco.read(l);
    expect(r.skipped).toEqual([]);
    expect(labelsOf(r)).toEqual({ 'annotations/x.jpg': ['cat'], 'deep/down/only.jpg': ['dog'], 'val2017/sub/y.jpg': ['zebra'] });
  });

  it('skips each bad entry with a reason and loads the rest', () => {
    const l = listing(['train/ok.jpg', 'train/dup.jpg', 'train/also.jpg', 'a/same.jpg', 'b/same.jpg', 'secret.jpg'], {
      'train/_annotations.coco.json': {
        images: [
          image(1, 'ok.jpg'),
          { id: 2, width: 1, height: 1 },
          image(3, '../../secret.jpg'),
          image(4, '/etc/passwd.jpg'),
          image(5, 'https://example.com/x.jpg'),
          image(6, 'missing.jpg'),
          image(7, 'dup.jpg'),
          image(7, 'also.jpg'),
          image(8, 'same.jpg'),
          { file_name: 'ok.jpg' },
          'not an object',
        ],
        annotations: [
          box(1, 1),
          box(1, 99),
          box(1, 98),
          box(17, 1),
          box(18, 2),
          box(2, 1), // its image entry is already listed as skipped
          box(6, 1), // likewise
          box(7, 2),
          box(1, 4), // category without a name: listed once, with the category
          { id: 500, category_id: 1 },
        ],
        categories: [...CATEGORIES, { id: 4, supercategory: 'x' }, { id: 5, name: '  ' }, { id: 1, name: 'kitten' }],
      },
    });
    const r = coco.read(l);
    expect(labelsOf(r)).toEqual({ 'train/ok.jpg': ['cat'], 'train/dup.jpg': ['dog'] });
    expect(r.used).toEqual(['train/_annotations.coco.json']);
    const reasons = Object.fromEntries(r.skipped.map((s) => [s.id + ' | ' + s.reason, true]));
    const f = 'train/_annotations.coco.json';
    const has = (id: string, re: RegExp) =>
      expect(
        r.skipped.some((s) => s.id === id && re.test(s.reason)),
        `${id} ${re} in ${JSON.stringify(reasons, null, 1)}`,
      ).toBe(true);
    has(`${f} image 2`, /no file_name/);
    has(`${f} image 3`, /leads out of the collection/);
    has(`${f} image 4`, /absolute path/);
    has(`${f} image 5`, /URL/);
    has(`${f} image 6`, /no image "missing.jpg"/);
    has(`${f} image 7`, /appears again/);
    has(`${f} image 8`, /more than one image/);
    has(`${f} image #10`, /no id/);
    has(`${f} image #11`, /no id/);
    has(f, /^2 annotations for unknown images \(ids 17, 18\)$/);
    has(f, /^2 annotations with unknown categories \(ids 99, 98\)$/);
    has(f, /^1 annotation without an image_id$/);
    has(`${f} category 4`, /no name/);
    has(`${f} category 5`, /no name/);
    has(`${f} category 1`, /appears again/);
    expect(r.skipped).toHaveLength(15);
    // The entry that climbs out is never resolved to a path, even though the collection has a secret.jpg.
    expect(r.labels.some((x) => x.path === 'secret.jpg')).toBe(false);
  });

  it('lists many unknown ids with an ellipsis', () => {
    const l = listing(['a.jpg'], {
      'instances_default.json': {
        images: [image(1, 'a.jpg')],
        annotations: [10, 11, 12, 13, 14, 15, 16].map((id) => box(id, 1)),
        categories: CATEGORIES,
      },
    });
    expect(coco.read(l).skipped).toEqual([
      { id: 'instances_default.json', reason: '7 annotations for unknown images (ids 10, 11, 12, 13, 14, …)' },
    ]);
  });

  it('skips a COCO-named file without the lists, and a non-list annotations field', () => {
    const l = listing(['a.jpg'], {
      'annotations/instances_train.json': { images: [] },
      'other.json': { images: [image(1, 'a.jpg')], annotations: 'nope', categories: CATEGORIES },
    });
    const r = coco.read(l);
    expect(r.skipped.map((s) => s.id)).toEqual(['annotations/instances_train.json', 'other.json']);
    expect(r.used).toEqual(['other.json']);
    expect(r.splits).toEqual(new Map());
  });
});

describe('resolveCocoImages', () => {
  it('resolves entries in order with their sizes', () => {
    const { images, skipped } = resolveCocoImages(
      'annotations/instances_val2017.json',
      [image(1, 'a.jpg', 10, 20), { id: 'b', file_name: 'b.jpg' }],
      new ImageIndex(['val2017/a.jpg', 'images/b.jpg']),
    );
    expect(skipped).toEqual([]);
    expect(images).toEqual([
      { id: 1, path: 'val2017/a.jpg', width: 10, height: 20 },
      { id: 'b', path: 'images/b.jpg', width: 0, height: 0 },
    ]);
  });
});

describe('writeCocoLabels', () => {
  it('round-trips: read, write the labels back, read again gives the same labels per image', () => {
    const l = pycoco();
    const first = coco.read(l);
    const byPath = new Map<string, string[]>();
    for (const x of first.labels) byPath.set(x.path, [...(byPath.get(x.path) ?? []), x.labelName]);

    const texts = new Map(l.texts);
    for (const path of first.used) texts.set(path, writeCocoLabels({ path, text: l.texts.get(path)! }, l.imagePaths, byPath));
    const again = coco.read({ imagePaths: l.imagePaths, texts });
    expect(again.skipped).toEqual([]);
    expect(labelsOf(again)).toEqual(labelsOf(first));
    expect(again.splits).toEqual(first.splits);
  });

  it('keeps images, categories and licenses, says what it wrote in info, and boxes the whole image', () => {
    const l = pycoco();
    const path = 'annotations/instances_train2017.json';
    const original = JSON.parse(l.texts.get(path)!);
    const labels = new Map([
      ['train2017/000002.jpg', ['dog', 'dog', 'cat']],
      ['val2017/000003.jpg', ['zebra']], // not an image of this file: ignored
    ]);
    const out = JSON.parse(writeCocoLabels({ path, text: l.texts.get(path)! }, l.imagePaths, labels));
    expect(out.images).toEqual(original.images);
    expect(out.categories).toEqual(original.categories);
    expect(out.licenses).toEqual(original.licenses);
    expect(out.info.description).toMatch(/image-level labels written by simage/i);
    expect(out.info.description).toMatch(/whole-image annotation per label/);
    expect(out.info.original).toEqual(original.info);
    // 000001.jpg is missing from the labels: it keeps no annotations.
    expect(out.annotations).toEqual([
      { id: 1, image_id: 2, category_id: 2, bbox: [0, 0, 100, 50], area: 5000, iscrowd: 0 },
      { id: 2, image_id: 2, category_id: 1, bbox: [0, 0, 100, 50], area: 5000, iscrowd: 0 },
    ]);
  });

  it('adds a category with the next free id for a new label', () => {
    const l = pycoco();
    const path = 'annotations/instances_val2017.json';
    const labels = new Map([['val2017/000003.jpg', ['cat', 'ferret']]]);
    const text = writeCocoLabels({ path, text: l.texts.get(path)! }, l.imagePaths, labels);
    const out = JSON.parse(text);
    expect(out.categories).toEqual([...CATEGORIES, { id: 4, name: 'ferret', supercategory: '' }]);
    expect(out.annotations.map((a: { category_id: number }) => a.category_id)).toEqual([1, 4]);
    expect(out.licenses).toBeUndefined();
    const again = coco.read({ imagePaths: l.imagePaths, texts: new Map([[path, text]]) });
    expect(labelsOf(again)).toEqual({ 'val2017/000003.jpg': ['cat', 'ferret'] });
  });

  it('refuses an original that is not COCO', () => {
    expect(() => writeCocoLabels({ path: 'annotations/instances_x.json', text: '{' }, [], new Map())).toThrow(/not valid JSON/);
    expect(() => writeCocoLabels({ path: 'x.json', text: '{}' }, [], new Map())).toThrow(/not a COCO file/);
  });
});

// The collection as a whole: which format is found (and when two fit equally), ids that never collide, the format's
// own split kept and the hash split otherwise, Open Images shards read exactly as before formats, table files of no
// format listed as not used, and when labels cannot define similarity.
import { describe, expect, it } from 'vitest';
import {
  assignIds,
  chooseFormat,
  detectFormats,
  interpretCollection,
  labelsCannotDefineSimilarity,
  MAX_TABLE_BYTES,
  tableTooLarge,
} from '../../src/lib/ingest/collection';
import { defaultSplit } from '../../src/lib/ingest/labels';
import type { CollectionListing } from '../../src/lib/ingest/formats/types';

const listing = (imagePaths: string[], texts: Record<string, string> = {}): CollectionListing => ({
  imagePaths,
  texts: new Map(Object.entries(texts)),
});

const cocoJson = (files: string[], labels: Record<string, string[]>) => {
  const names = [...new Set(Object.values(labels).flat())];
  let ann = 0;
  return JSON.stringify({
    images: files.map((f, i) => ({ id: i + 1, file_name: f, width: 10, height: 10 })),
    categories: names.map((n, i) => ({ id: i + 1, name: n, supercategory: '' })),
    annotations: files.flatMap((f, i) =>
      (labels[f] ?? []).map((n) => ({
        id: ++ann,
        image_id: i + 1,
        category_id: names.indexOf(n) + 1,
        bbox: [0, 0, 1, 1],
        area: 1,
        iscrowd: 0,
      })),
    ),
  });
};

describe('detection', () => {
  it('finds each format from its own files', () => {
    expect(chooseFormat(listing(['a.jpg'], { 'labels.csv': 'ImageID,Source,LabelName,Confidence\na,x,/m/1,1\n' })).format).toBe(
      'open-images',
    );
    expect(chooseFormat(listing(['a.jpg', 'b.jpg'], { 'seed.txt': 'a;cat(0.9);dog\nb;cat\n' })).format).toBe('seed-text');
    expect(
      chooseFormat(
        listing(['train2017/a.jpg', 'val2017/b.jpg'], {
          'annotations/instances_train2017.json': cocoJson(['a.jpg'], { 'a.jpg': ['cat'] }),
          'annotations/instances_val2017.json': cocoJson(['b.jpg'], { 'b.jpg': ['dog'] }),
        }),
      ).format,
    ).toBe('coco');
    expect(chooseFormat(listing(['cats/a.jpg', 'dogs/b.jpg', 'cats/c.jpg'])).format).toBe('folders');
    expect(chooseFormat(listing(['IMG_0001.jpg', 'IMG_0002.jpg'])).format).toBe('none');
    expect(chooseFormat(listing(['a.jpg', 'b.jpg'], { 'train.csv': 'image_name,tags\na,cat dog\nb,dog\n' })).format).toBe('csv');
  });

  it('says which formats fit equally, uses the first, and lets the person choose', () => {
    const both = listing(['train/a.jpg', 'train/b.jpg'], {
      'labels.csv': 'ImageID,Source,LabelName,Confidence\na,x,cat,1\n',
      'train/_annotations.coco.json': cocoJson(['a.jpg', 'b.jpg'], { 'a.jpg': ['cat'], 'b.jpg': ['dog'] }),
    });
    const auto = chooseFormat(both);
    expect(auto.format).toBe('open-images');
    expect(auto.alternatives).toEqual(['coco']);
    expect(auto.chosen).toBe(false);
    const chosen = interpretCollection(both, 'coco');
    expect(chosen.choice).toMatchObject({ format: 'coco', chosen: true, alternatives: [] });
    expect(chosen.labelRows.map((r) => [r.imageId, r.labelName]).sort()).toEqual([
      ['a', 'cat'],
      ['b', 'dog'],
    ]);
    // The Open Images file is listed as not used under COCO.
    expect(chosen.skipped).toContainEqual({ id: 'labels.csv', reason: expect.stringMatching(/not used/) });
  });

  it('lists what it looked for when nothing but images is there', () => {
    const found = detectFormats(listing(['x/y/z.jpg']));
    expect(found.map((d) => d.format)).toEqual(['none']);
  });
});

describe('ids', () => {
  it('uses the file name when it is unique, the path otherwise, and never collides', () => {
    const paths = ['cats/a.jpg', 'dogs/a.jpg', 'cats/b.jpg', 'x/c.jpg', 'x/c.png'];
    const ids = assignIds(paths, 'folders');
    expect(ids).toEqual(['cats/a', 'dogs/a', 'b', 'x/c.jpg', 'x/c.png']);
    expect(new Set(ids).size).toBe(paths.length);
  });
  it('keeps the ImageID (the file name) for Open Images', () => {
    expect(assignIds(['images/sub/0001.jpg'], 'open-images')).toEqual(['0001']);
  });
  it('stays unique for any mix of names (property)', () => {
    const names = ['a', 'b', 'a.b', 'c'];
    const dirs = ['', 'x/', 'x/y/', 'y/'];
    const exts = ['.jpg', '.png', '.JPG'];
    for (let seed = 0; seed < 200; seed++) {
      const paths = new Set<string>();
      let r = seed * 7919 + 1;
      const next = (n: number) => ((r = (r * 48271) % 2147483647), r % n);
      for (let i = 0; i < 8; i++) paths.add(dirs[next(4)] + names[next(4)] + exts[next(3)]);
      const ids = assignIds([...paths], 'none');
      expect(new Set(ids).size).toBe(paths.size);
    }
  });
});

describe('splits and labels', () => {
  it('keeps the format’s split and gives the others the hash split', () => {
    const c = interpretCollection(listing(['train/cats/a.jpg', 'val/dogs/b.jpg', 'train/dogs/c.jpg']));
    expect(c.choice.format).toBe('folders');
    expect(Object.fromEntries(c.splits)).toEqual({ a: 'train', b: 'validation', c: 'train' });
    const none = interpretCollection(listing(['p1.jpg', 'p2.jpg']));
    expect(none.splits.size).toBe(0);
    expect(defaultSplit('p1')).toMatch(/train|validation/);
  });

  it('reads an Open Images shard as before: negatives, classes, split.csv, duplicate ImageIDs', () => {
    const c = interpretCollection(
      listing(['images/a.jpg', 'images/b.png', 'other/a.jpg'], {
        'labels.csv': 'ImageID,Source,LabelName,Confidence\na,x,/m/cat,1\nb,x,/m/dog,0\nghost,x,/m/cat,1\n',
        'classes.csv': '/m/cat,Cat\n/m/dog,Dog\n',
        'split.csv': 'ImageID,Split\na,validation\n',
        'README.txt': 'hello',
      }),
    );
    expect(c.choice.format).toBe('open-images');
    expect(c.images.map((im) => im.imageId)).toEqual(['a', 'b']);
    expect(c.labelRows).toContainEqual({ imageId: 'b', labelName: '/m/dog', confidence: 0 });
    expect(c.classes.get('/m/cat')).toBe('Cat');
    expect(c.splits.get('a')).toBe('validation');
    expect(c.skipped).toContainEqual({ id: 'a', reason: 'duplicate ImageID (kept images/a.jpg, skipped other/a.jpg)' });
    expect(c.skipped).toContainEqual({ id: 'ghost', reason: '1 label row for an image that is not in the collection' });
    expect(c.skipped).toContainEqual({ id: 'README.txt', reason: expect.stringMatching(/not used/) });
  });
});

describe('labelsCannotDefineSimilarity', () => {
  const im = (...labels: string[]) => ({ labels: labels.map((labelName) => ({ labelName })) });
  it('says why for no labels, fewer than 3 labelled images, or one label on all', () => {
    expect(labelsCannotDefineSimilarity([im(), im()])).toMatch(/no labels/);
    expect(labelsCannotDefineSimilarity([im('a'), im('b'), im(), im()])).toMatch(/Only 2 images are labelled/);
    expect(labelsCannotDefineSimilarity([im('person'), im('person'), im('person')])).toMatch(/one label "person"/);
    expect(labelsCannotDefineSimilarity([im('a'), im('b'), im('a', 'b')])).toBeNull();
  });
});

describe('tableTooLarge', () => {
  it('reads a table up to the limit and refuses a larger one with a sentence that says what to do', () => {
    expect(tableTooLarge(MAX_TABLE_BYTES)).toBeNull();
    expect(tableTooLarge(448 * 1024 * 1024)).toMatch(/^a table file of 448 MB is more than the 64 MB .* split it/);
  });
});

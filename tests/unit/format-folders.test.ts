import { describe, expect, it } from 'vitest';
import { folders, none } from '../../src/lib/ingest/formats/folders';
import type { CollectionListing } from '../../src/lib/ingest/formats/types';

const listing = (imagePaths: string[]): CollectionListing => ({ imagePaths, texts: new Map() });

describe('folders.detect', () => {
  it('finds class folders at the root', () => {
    expect(folders.detect(listing(['cat/1.jpg', 'cat/2.jpg', 'dog/3.jpg']))).toEqual({
      format: 'folders',
      strength: 1,
      evidence: '2 class folders',
    });
  });

  it('finds class folders under one wrapper folder and a split level', () => {
    const paths = ['pets/train/cat/1.jpg', 'pets/train/dog/2.jpg', 'pets/val/cat/3.jpg', 'pets/test/bird/4.jpg'];
    expect(folders.detect(listing(paths))?.evidence).toBe('3 class folders (train/, val/, test/ splits)');
    expect(folders.detect(listing(['train/cat/1.jpg', 'train/dog/2.jpg']))?.evidence).toBe('2 class folders (train/ split)');
  });

  it('accepts digit classes (MNIST as folders)', () => {
    expect(folders.detect(listing(['mnist/0/a.png', 'mnist/1/b.png', 'mnist/7/c.png']))?.evidence).toBe('3 class folders');
  });

  it('refuses a single class, images at two depths, or images beside the class folders', () => {
    expect(folders.detect(listing(['cat/1.jpg', 'cat/2.jpg']))).toBeNull();
    expect(folders.detect(listing(['cat/1.jpg', 'dog/2.jpg', 'dog/puppies/3.jpg']))).toBeNull();
    expect(folders.detect(listing(['cat/1.jpg', 'dog/2.jpg', '3.jpg']))).toBeNull();
    expect(folders.detect(listing(['train/cat/1.jpg', 'train/dog/2.jpg', 'cat/3.jpg']))).toBeNull();
    expect(folders.detect(listing(['train/1.jpg', 'val/2.jpg']))).toBeNull(); // split folders are not classes
    expect(folders.detect(listing([]))).toBeNull();
  });

  it('refuses a camera roll', () => {
    const rolls = [
      ['2022/a.jpg', '2023/b.jpg'],
      ['photos/2023-05-01/a.jpg', 'photos/2023-05-02 Paris/b.jpg'],
      ['DCIM/100APPLE/a.jpg', 'DCIM/101APPLE/b.jpg'],
      ['DCIM/Camera/a.jpg', 'DCIM/Screenshots/b.jpg'],
      ['2023/01/a.jpg', '2023/02/b.jpg'], // months under a year
      ['Google Photos/Photos from 2022/a.jpg', 'Google Photos/Photos from 2023/b.jpg'],
      ['20230501/a.jpg', '20230502/b.jpg'],
    ];
    for (const paths of rolls) expect(folders.detect(listing(paths)), paths.join(' ')).toBeNull();
    // One real class name among dates is enough to read the folders as classes.
    expect(folders.detect(listing(['2023/a.jpg', 'holidays/b.jpg']))).not.toBeNull();
  });
});

describe('folders.read', () => {
  it('labels each image with its folder name and takes splits from the split level', () => {
    const reading = folders.read(listing(['pets/train/cat/1.jpg', 'pets/valid/dog/2.jpg', 'pets/test/cat/3.jpg']));
    expect(reading.labels).toEqual([
      { path: 'pets/train/cat/1.jpg', labelName: 'cat', confidence: 1 },
      { path: 'pets/valid/dog/2.jpg', labelName: 'dog', confidence: 1 },
      { path: 'pets/test/cat/3.jpg', labelName: 'cat', confidence: 1 },
    ]);
    expect(reading.splits).toEqual(
      new Map([
        ['pets/train/cat/1.jpg', 'train'],
        ['pets/valid/dog/2.jpg', 'validation'],
        ['pets/test/cat/3.jpg', 'test'],
      ]),
    );
    expect(reading).toMatchObject({ skipped: [], used: [], classes: new Map() });
  });

  it('has no splits without a split level', () => {
    const reading = folders.read(listing(['cat/1.jpg', 'dog/2.jpg']));
    expect(reading.labels.map((l) => l.labelName)).toEqual(['cat', 'dog']);
    expect(reading.splits.size).toBe(0);
  });

  it('when forced, leaves images at the wrong depth unlabelled with one sentence for all of them', () => {
    const reading = folders.read(listing(['train/cat/1.jpg', 'train/dog/2.jpg', 'test/3.jpg', 'test/4.jpg', 'loose.jpg', 'a/b/c/5.jpg']));
    expect(reading.labels.map((l) => [l.path, l.labelName])).toEqual([
      ['train/cat/1.jpg', 'cat'],
      ['train/dog/2.jpg', 'dog'],
    ]);
    expect(reading.splits.get('test/3.jpg')).toBe('test'); // unlabelled test images keep their split
    expect(reading.skipped).toEqual([
      { id: 'test/3.jpg', reason: 'this image and 3 others sit outside a class folder (expected [split/]class/image): no label' },
    ]);
  });

  it('reads a camera roll by its folders when forced', () => {
    const reading = folders.read(listing(['DCIM/100APPLE/a.jpg', 'DCIM/101APPLE/b.jpg']));
    expect(reading.labels.map((l) => l.labelName)).toEqual(['100APPLE', '101APPLE']);
    expect(reading.skipped).toEqual([]);
  });
});

describe('none', () => {
  it('always detects with strength 0 and counts the images', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `roll/${i}.jpg`);
    expect(none.detect(listing(many))).toEqual({ format: 'none', strength: 0, evidence: '1,000 images, no label files' });
    expect(none.detect(listing([]))).toEqual({ format: 'none', strength: 0, evidence: '0 images, no label files' });
  });

  it('reads no labels and keeps only splits that folder names state', () => {
    const reading = none.read(listing(['x/train/a.jpg', 'x/Validation/deep/b.jpg', 'test/train/c.jpg', 'test.jpg', 'trainee/d.jpg']));
    expect(reading.labels).toEqual([]);
    expect(reading.splits).toEqual(
      new Map([
        ['x/train/a.jpg', 'train'],
        ['x/Validation/deep/b.jpg', 'validation'],
        ['test/train/c.jpg', 'train'], // the nearest split folder
      ]),
    );
    expect(none.read(listing(['DCIM/100APPLE/a.jpg'])).splits.size).toBe(0);
    expect(reading).toMatchObject({ skipped: [], used: [], classes: new Map() });
  });
});

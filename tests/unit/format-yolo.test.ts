import { describe, expect, it } from 'vitest';
import { labelPathOf, yolo } from '../../src/lib/ingest/formats/yolo';
import type { CollectionListing, FormatReading } from '../../src/lib/ingest/formats/types';

function listing(imagePaths: string[], texts: Record<string, string>): CollectionListing {
  return { imagePaths, texts: new Map(Object.entries(texts)) };
}

/** Labels as `path: name name` lines, sorted, for short expectations. */
function labelsByImage(reading: FormatReading): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of reading.labels) {
    expect(l.confidence).toBe(1);
    (out[l.path] ??= []).push(l.labelName);
  }
  return out;
}

const ultralytics = () =>
  listing(['images/train/a.jpg', 'images/train/b.jpg', 'images/val/c.png', 'extra/d.jpg'], {
    'data.yaml': 'path: .\ntrain: images/train\nval: images/val\nnames:\n  - cat\n  - dog\n  - bird\n  - never used\n',
    'labels/train/a.txt': '0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.05 0.05\n0 0.7 0.7 0.1 0.1\n',
    // b.jpg has no label file: a background image.
    'labels/val/c.txt': '2 0.5 0.5 0.2 0.2 0.93\n', // a sixth field: the confidence of a prediction
    'README.txt': 'not a label file',
  });

describe('labelPathOf (Ultralytics img2label_paths)', () => {
  it('swaps the last /images/ for /labels/ and the extension for .txt', () => {
    expect(labelPathOf('images/train/a.jpg')).toBe('labels/train/a.txt');
    expect(labelPathOf('train/images/a.b.jpeg')).toBe('train/labels/a.b.txt');
    expect(labelPathOf('x/images/y/images/z.png')).toBe('x/images/y/labels/z.txt');
    expect(labelPathOf('photos/a.jpg')).toBe('photos/a.txt');
  });
});

describe('yolo.detect', () => {
  it('answers 3 with the yaml path when a yaml with names and label files under labels/ exist', () => {
    expect(yolo.detect(ultralytics())).toEqual({ format: 'yolo', strength: 3, evidence: 'data.yaml' });
  });

  it('prefers data.yaml over other yamls with names, and the shallowest', () => {
    const l = listing(['images/train/a.jpg'], {
      'configs/coco.yaml': 'names: [x]',
      'sub/data.yaml': 'names: [y]',
      'data.yaml': 'names: [z]',
      'labels/train/a.txt': '0 0.5 0.5 0.1 0.1',
    });
    expect(yolo.detect(l)?.evidence).toBe('data.yaml');
    expect(yolo.read(l).labels).toEqual([{ path: 'images/train/a.jpg', labelName: 'z', confidence: 1 }]);
  });

  it('answers null without names, without label files under labels/, or with only a malformed yaml', () => {
    const labels = { 'labels/train/a.txt': '0 0.5 0.5 0.1 0.1' };
    expect(yolo.detect(listing(['images/train/a.jpg'], { 'data.yaml': 'train: images/train\nnc: 1\n', ...labels }))).toBeNull();
    expect(yolo.detect(listing(['images/train/a.jpg'], { 'data.yaml': 'names: [a]', 'images/train/a.txt': '0 1 1 1 1' }))).toBeNull();
    expect(yolo.detect(listing(['images/train/a.jpg'], { 'data.yaml': 'names: [a\n  b: {', ...labels }))).toBeNull();
    expect(yolo.detect(listing([], {}))).toBeNull();
  });
});

describe('yolo.read', () => {
  it('reads the Ultralytics layout: class names once per image, splits from the yaml, the yaml and label files used', () => {
    const reading = yolo.read(ultralytics());
    expect(reading.skipped).toEqual([]);
    expect(labelsByImage(reading)).toEqual({ 'images/train/a.jpg': ['cat', 'dog'], 'images/val/c.png': ['bird'] });
    expect(reading.splits).toEqual(
      new Map([
        ['images/train/a.jpg', 'train'],
        ['images/train/b.jpg', 'train'],
        ['images/val/c.png', 'validation'],
      ]),
    );
    expect(reading.used.sort()).toEqual(['data.yaml', 'labels/train/a.txt', 'labels/val/c.txt']);
    expect(reading.classes).toEqual(new Map());
  });

  it('reads names as an {index: name} map', () => {
    const l = listing(['images/train/a.jpg'], {
      'data.yaml': 'train: images/train\nnames:\n  0: person\n  2: car\n',
      'labels/train/a.txt': '2 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1 0.1\n',
    });
    const reading = yolo.read(l);
    expect(labelsByImage(reading)).toEqual({ 'images/train/a.jpg': ['car'] });
    expect(reading.skipped).toEqual([{ id: 'labels/train/a.txt:2', reason: 'class 1 is out of range: data.yaml declares no such class' }]);
  });

  it('resolves a Roboflow export: ../train/images from the yaml folder, also inside a wrapper folder', () => {
    const yaml = 'train: ../train/images\nval: ../valid/images\ntest: ../test/images\nnc: 2\nnames: ["helmet", "head"]\n';
    for (const top of ['', 'hardhat/']) {
      const l = listing([`${top}train/images/a.jpg`, `${top}valid/images/b.jpg`, `${top}test/images/c.jpg`], {
        [`${top}data.yaml`]: yaml,
        [`${top}train/labels/a.txt`]: '0 0.5 0.5 0.1 0.1\n1 0.2 0.2 0.1 0.1',
        [`${top}valid/labels/b.txt`]: '1 0.5 0.5 0.1 0.1',
        [`${top}test/labels/c.txt`]: '',
      });
      expect(yolo.detect(l)).toEqual({ format: 'yolo', strength: 3, evidence: `${top}data.yaml` });
      const reading = yolo.read(l);
      expect(reading.skipped).toEqual([]);
      expect(labelsByImage(reading)).toEqual({ [`${top}train/images/a.jpg`]: ['helmet', 'head'], [`${top}valid/images/b.jpg`]: ['head'] });
      expect([...reading.splits.values()]).toEqual(['train', 'validation', 'test']);
      expect(reading.used).toContain(`${top}test/labels/c.txt`); // read, and empty: a background image
    }
  });

  it('takes a relative path: as the root of the split paths', () => {
    const l = listing(['coco8/images/train/a.jpg', 'coco8/images/val/b.jpg'], {
      'coco8.yaml': 'path: coco8\ntrain: images/train\nval: [images/val]\nnames: {0: person}\n',
      'coco8/labels/train/a.txt': '0 0.5 0.5 0.1 0.1',
    });
    const reading = yolo.read(l);
    expect(reading.skipped).toEqual([]);
    expect(reading.splits).toEqual(
      new Map([
        ['coco8/images/train/a.jpg', 'train'],
        ['coco8/images/val/b.jpg', 'validation'],
      ]),
    );
    expect(labelsByImage(reading)).toEqual({ 'coco8/images/train/a.jpg': ['person'] });
  });

  it('falls back to the yaml folder when path: is absolute, and says so', () => {
    const l = listing(['images/train/a.jpg'], {
      'data.yaml': 'path: /content/datasets/x\ntrain: images/train\nnames: [a]\n',
      'labels/train/a.txt': '0 0.5 0.5 0.1 0.1',
    });
    const reading = yolo.read(l);
    expect(reading.splits.get('images/train/a.jpg')).toBe('train');
    expect(reading.skipped).toHaveLength(1);
    expect(reading.skipped[0].id).toBe('data.yaml');
    expect(reading.skipped[0].reason).toMatch(/^path: .*absolute path.*yaml's folder instead/);
  });

  it('reads a split given as a list file of image paths', () => {
    const l = listing(['images/a.jpg', 'images/b.jpg', 'images/c.jpg'], {
      'data.yaml': 'train: train.txt\nval: val.txt\nnames: [a, b]\n',
      'train.txt': './images/a.jpg\nimages/b.jpg\n/abs/images/x.jpg\n',
      'val.txt': '\uFEFF./images/c.jpg\r\n',
      'labels/a.txt': '1 0.5 0.5 0.1 0.1',
    });
    const reading = yolo.read(l);
    expect(reading.splits).toEqual(
      new Map([
        ['images/a.jpg', 'train'],
        ['images/b.jpg', 'train'],
        ['images/c.jpg', 'validation'],
      ]),
    );
    expect(reading.skipped.map((s) => s.id)).toEqual(['train.txt:3']);
    expect(reading.skipped[0].reason).toMatch(/absolute path/);
    expect(reading.used.sort()).toEqual(['data.yaml', 'labels/a.txt', 'train.txt', 'val.txt']);
    expect(labelsByImage(reading)).toEqual({ 'images/a.jpg': ['b'] });
  });

  it('accepts segmentation polygons and extra numbers after the box, as Ultralytics does', () => {
    const l = listing(['images/train/a.jpg'], {
      'data.yaml': 'names: [a, b, c]\ntrain: images/train',
      'labels/train/a.txt': '0 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2\n1 0.1 0.1 0.2 0.1 0.2 0.2 0.1\n2.0 0.5 0.5 1e-1 .1\n',
    });
    const reading = yolo.read(l);
    expect(reading.skipped).toEqual([]);
    expect(labelsByImage(reading)).toEqual({ 'images/train/a.jpg': ['a', 'b', 'c'] });
  });

  it('skips each bad line, bad yaml and bad split path with a sentence, and loads the rest', () => {
    const l = listing(['images/train/a.jpg', 'images/train/b.jpg', 'images/val/c.jpg', 'other/d.jpg'], {
      'data.yaml':
        'train: images/train\nval: images/val\ntest: ../../elsewhere/images\n' + 'extra_not_a_split: x\nnames: [cat, dog]\n' + '',
      'broken.yml': 'names: [a\n  b: {',
      'labels/train/a.txt':
        '0 0.5 0.5 0.2 0.2\n\n0 0.5 0.5\n5 0.1 0.1 0.1 0.1\n1.5 0.1 0.1 0.1 0.1\ncat 0.1 0.1 0.1 0.1\n1 0.1 x 0.1 0.1\n',
      'labels/train/b.txt': '1 0.5 0.5 0.2 0.2\r\n',
    });
    const reading = yolo.read(l);
    expect(labelsByImage(reading)).toEqual({ 'images/train/a.jpg': ['cat'], 'images/train/b.jpg': ['dog'] });
    const reasons = Object.fromEntries(reading.skipped.map((s) => [s.id, s.reason]));
    expect(Object.keys(reasons).sort()).toEqual([
      'broken.yml',
      'data.yaml',
      'labels/train/a.txt:3',
      'labels/train/a.txt:4',
      'labels/train/a.txt:5',
      'labels/train/a.txt:6',
      'labels/train/a.txt:7',
    ]);
    expect(reasons['broken.yml']).toMatch(/^not valid YAML/);
    expect(reasons['data.yaml']).toMatch(/^test: .*leads out of the collection/);
    expect(reasons['labels/train/a.txt:3']).toMatch(/^3 fields/);
    expect(reasons['labels/train/a.txt:4']).toBe('class 5 is out of range: data.yaml names 2 classes (0 to 1)');
    expect(reasons['labels/train/a.txt:5']).toMatch(/"1.5" is not a class index/);
    expect(reasons['labels/train/a.txt:6']).toMatch(/"cat" is not a class index/);
    expect(reasons['labels/train/a.txt:7']).toMatch(/"x" is not a number/);
    expect(reading.splits.get('images/val/c.jpg')).toBe('validation');
    expect(reading.splits.has('other/d.jpg')).toBe(false);
    expect(reading.used).not.toContain('broken.yml');
  });

  it('lists URL, absolute and missing split paths, and a folder named for two splits', () => {
    const l = listing(['images/a.jpg'], {
      'data.yaml': 'train: images\nval: images\ntest: [https://x.org/test.zip, /data/test, images/missing]\nnames: [a]\n',
    });
    const reasons = yolo
      .read(l)
      .skipped.filter((s) => s.id === 'data.yaml')
      .map((s) => s.reason);
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toMatch(/^val: .*also the train folder/);
    expect(reasons[1]).toMatch(/^test: .*URL/);
    expect(reasons[2]).toMatch(/^test: .*absolute path/);
    expect(reasons[3]).toMatch(/^test: "images\/missing" names no image folder/);
    expect(yolo.read(l).splits.get('images/a.jpg')).toBe('train');
  });

  it('when forced without a yaml with names, reads no label and says why', () => {
    const reading = yolo.read(listing(['images/a.jpg'], { 'data.yaml': ': : :\n- [', 'labels/a.txt': '0 0.5 0.5 0.1 0.1' }));
    expect(reading.labels).toEqual([]);
    expect(reading.used).toEqual([]);
    expect(reading.skipped.map((s) => s.id)).toEqual(['data.yaml', 'data.yaml']);
    expect(reading.skipped[1].reason).toMatch(/no data.yaml/);
  });
});

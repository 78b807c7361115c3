import { describe, expect, it } from 'vitest';
import { classifyPath, normalizePath } from '../../src/lib/ingest/paths';
import { assembleShard } from '../../src/lib/ingest/assemble';

describe('classifyPath', () => {
  it('finds images of every allowed extension in any case and subfolder', () => {
    for (const p of ['a.jpg', 'x/y/b.JPEG', 'c.png', 'd.webp', 'e.GIF', 'f.bmp', 'dir/0001.Jpg'])
      expect(classifyPath(p).kind).toBe('image');
    expect(classifyPath('x/y/b.JPEG')).toEqual({ kind: 'image', imageId: 'b' });
    expect(classifyPath('my.photo.v2.png')).toEqual({ kind: 'image', imageId: 'my.photo.v2' });
  });
  it('keeps every file a format may read as a table, and the URL manifest apart', () => {
    for (const p of [
      'labels.csv',
      'meta/train-annotations-human-imagelabels-boxable.csv',
      'seed_labels.txt',
      'data.yaml',
      'a/metadata.jsonl',
    ])
      expect(classifyPath(p).kind).toBe('table');
    expect(classifyPath('annotations/instances_val2017.json').kind).toBe('table');
    expect(classifyPath('manifest.json').kind).toBe('manifest');
    expect(classifyPath('sub/manifest.json').kind).toBe('table');
  });
  it('ignores hidden, system and unknown files with a reason', () => {
    expect(classifyPath('.DS_Store').kind).toBe('ignored');
    expect(classifyPath('__MACOSX/a.png').kind).toBe('ignored');
    expect(classifyPath('notes.pdf')).toMatchObject({ kind: 'ignored', reason: expect.any(String) });
    expect(classifyPath('.png').kind).toBe('ignored');
  });
});

describe('normalizePath', () => {
  it('normalizes separators and refuses paths that leave the root', () => {
    expect(normalizePath('./a//b\\c.png')).toBe('a/b/c.png');
    expect(normalizePath('/abs/x.png')).toBe('abs/x.png');
    expect(normalizePath('../../etc/passwd')).toBeNull();
    expect(normalizePath('a/../../b.png')).toBeNull();
  });
});

describe('assembleShard', () => {
  const decoded = ['a', 'b', 'c'].map((id) => ({ imageId: id, path: `${id}.png`, hash: `h${id}`, width: 2, height: 2 }));

  it('joins labels, keeps negatives apart, counts unlabelled images and reports orphan rows', () => {
    const { images, summary } = assembleShard(
      decoded,
      [
        { imageId: 'a', labelName: 'x', confidence: 0.5 },
        { imageId: 'a', labelName: 'x', confidence: 0.9 },
        { imageId: 'a', labelName: 'y', confidence: 0 },
        { imageId: 'b', labelName: 'y', confidence: 1 },
        { imageId: 'ghost', labelName: 'x', confidence: 1 },
        { imageId: 'ghost', labelName: 'y', confidence: 1 },
      ],
      new Map([
        ['a', 'train'],
        ['b', 'validation'],
        ['zzz', 'train'],
      ]),
      [],
    );
    const a = images.find((im) => im.imageId === 'a')!;
    expect(a.labels).toEqual([{ labelName: 'x', confidence: 0.9 }]);
    expect(a.negatives).toEqual(['y']);
    expect(summary).toMatchObject({
      images: 3,
      labelled: 2,
      labels: 2,
      train: images.filter((i) => i.split === 'train').length,
      validation: 1,
    });
    expect(summary.skipped).toEqual([
      { id: 'ghost', reason: '2 label rows for an image that is not in the collection' },
      { id: 'zzz', reason: 'split row for an image that is not in the collection' },
    ]);
    expect(images.find((im) => im.imageId === 'c')!.labels).toEqual([]);
  });

  it('says when label rows belong to an image that was found but skipped', () => {
    const { summary } = assembleShard(decoded, [{ imageId: 'broken', labelName: 'x', confidence: 1 }], null, [], new Set(['broken']));
    expect(summary.skipped).toEqual([{ id: 'broken', reason: '1 label row for an image that was skipped (see its file)' }]);
  });

  it('uses the hash split without split.csv', () => {
    const { images } = assembleShard(decoded, [], null, []);
    expect(images.every((im) => im.split === 'train' || im.split === 'validation')).toBe(true);
  });
});

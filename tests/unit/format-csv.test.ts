// The Kaggle-style tags CSV reader and writer: detection (and what it leaves to other formats), labels with each
// separator and id form, splits only from a split column, every kind of bad input skipped with the rest loaded, the
// override's explanation when no CSV fits, and the round trip.
import { describe, expect, it } from 'vitest';
import { csvTags, writeCsvTags } from '../../src/lib/ingest/formats/csv';
import type { CollectionListing, PathLabel } from '../../src/lib/ingest/formats/types';

function listing(imagePaths: readonly string[], texts: Record<string, string>): CollectionListing {
  return { imagePaths, texts: new Map(Object.entries(texts)) };
}

function labelsOf(labels: PathLabel[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of labels) {
    expect(l.confidence).toBe(1);
    (out[l.path] ??= []).push(l.labelName);
  }
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

describe('csvTags.detect', () => {
  it('finds a CSV with an image column and a tags column, strength 2, whatever the case of the header', () => {
    const d = csvTags.detect(listing(['a.jpg'], { 'data/train_v2.csv': 'Image_Name,Tags\na,cat\n' }));
    expect(d).toEqual({ format: 'csv', strength: 2, evidence: 'data/train_v2.csv' });
    for (const column of ['image_name', 'image', 'filename', 'file_name', 'id', 'ImageID'])
      expect(csvTags.detect(listing([], { 't.csv': `${column},labels\n` }))?.strength).toBe(2);
  });

  it('does not detect a CSV without both columns, nor the tables of other formats', () => {
    expect(csvTags.detect(listing(['a.jpg'], { 't.csv': 'image_name,score\na,1\n' }))).toBeNull();
    expect(csvTags.detect(listing(['a.jpg'], { 't.csv': 'name,tags\na,cat\n' }))).toBeNull();
    expect(csvTags.detect(listing(['a.jpg'], { 't.tsv': 'image\ttags\n', 'notes.txt': 'image,tags\n' }))).toBeNull();
    for (const other of ['metadata.csv', 'labels.csv', 'classes.csv', 'split.csv', 'train/Metadata.csv'])
      expect(csvTags.detect(listing(['a.jpg'], { [other]: 'file_name,labels\na.jpg,cat\n' }))).toBeNull();
  });
});

describe('csvTags.read labels', () => {
  it('splits tags by whitespace, and matches ids with or without extension, with a folder, or by unique name', () => {
    const r = csvTags.read(
      listing(['train-jpg/train_0.jpg', 'train-jpg/train_1.jpg', 'other/x.png', 'y.jpg'], {
        'train_v2.csv': 'image_name,tags\ntrain_0,haze primary\ntrain-jpg/train_1.jpg,  clear   primary water \nx,road\ny.jpg,\n',
      }),
    );
    expect(r.skipped).toEqual([]);
    expect(labelsOf(r.labels)).toEqual({
      'train-jpg/train_0.jpg': ['haze', 'primary'],
      'train-jpg/train_1.jpg': ['clear', 'primary', 'water'],
      'other/x.png': ['road'],
    });
    expect(r.splits.size).toBe(0);
    expect(r.classes.size).toBe(0);
    expect(r.used).toEqual(['train_v2.csv']);
  });

  it('uses | when any cell has one, else ; (so spaces stay inside a tag), each tag once per image', () => {
    const pipes = csvTags.read(listing(['a.jpg', 'b.jpg'], { 't.csv': 'id,labels\na,sea lion|dog|dog\nb,cat;x\n' }));
    expect(labelsOf(pipes.labels)).toEqual({ 'a.jpg': ['dog', 'sea lion'], 'b.jpg': ['cat;x'] });
    const semis = csvTags.read(listing(['a.jpg', 'b.jpg'], { 't.csv': 'id,labels\na,sea lion; dog\nb,cat\n' }));
    expect(labelsOf(semis.labels)).toEqual({ 'a.jpg': ['dog', 'sea lion'], 'b.jpg': ['cat'] });
  });

  it('prefers the image columns in their order and resolves ids relative to the CSV folder first', () => {
    const r = csvTags.read(
      listing(['data/a.jpg', 'a.jpg'], { 'data/t.csv': 'id,Image,Labels,Extra\nignored,a.jpg,cat,1\n', 'README.md': '# x' }),
    );
    expect(r.labels).toEqual([{ path: 'data/a.jpg', labelName: 'cat', confidence: 1 }]);
  });

  it('reads every fitting CSV and merges their labels', () => {
    const r = csvTags.read(
      listing(['a.jpg', 'b.jpg'], { 'one.csv': 'image,tags\na.jpg,cat\n', 'two.csv': 'image,tags\na.jpg,cat dog\nb.jpg,x\n' }),
    );
    expect(labelsOf(r.labels)).toEqual({ 'a.jpg': ['cat', 'dog'], 'b.jpg': ['x'] });
    expect(r.used).toEqual(['one.csv', 'two.csv']);
  });
});

describe('csvTags.read splits', () => {
  it('takes splits from a split column only, and skips unknown values keeping the labels', () => {
    const r = csvTags.read(
      listing(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg', 'f.jpg'], {
        't.csv': 'image,tags,split\na,x,train\nb,x,VAL\nc,x,valid\nd,x, validation \ne,x,test\nf,x,holdout\n',
      }),
    );
    expect(Object.fromEntries(r.splits)).toEqual({
      'a.jpg': 'train',
      'b.jpg': 'validation',
      'c.jpg': 'validation',
      'd.jpg': 'validation',
      'e.jpg': 'test',
    });
    expect(r.skipped).toEqual([{ id: 't.csv:7', reason: 'unknown split "holdout" (train, val, valid, validation or test)' }]);
    expect(r.labels).toHaveLength(6);
  });
});

describe('csvTags.read bad input', () => {
  it('skips ids that leave the collection (never read), name no image, name two, or are empty', () => {
    const r = csvTags.read(
      listing(['sub/a.jpg', 'p/dup.jpg', 'q/dup.jpg', 'ok.jpg'], {
        'sub/t.csv': [
          'filename,tags',
          '../../x.jpg,a',
          '/etc/x,a',
          'http://example.com/x.jpg,a',
          'missing.jpg,a',
          'dup,a',
          ',a',
          'a.jpg,fine',
          '../ok.jpg,up',
        ].join('\n'),
      }),
    );
    expect(labelsOf(r.labels)).toEqual({ 'sub/a.jpg': ['fine'], 'ok.jpg': ['up'] });
    const byId = Object.fromEntries(r.skipped.map((s) => [s.id, s.reason]));
    expect(byId['sub/t.csv:2']).toMatch(/leads out of the collection \(never read\)/);
    expect(byId['sub/t.csv:3']).toMatch(/absolute path.*never read/);
    expect(byId['sub/t.csv:4']).toMatch(/URL.*never read/);
    expect(byId['sub/t.csv:5']).toBe('no image "missing.jpg" in the collection');
    expect(byId['sub/t.csv:6']).toMatch(/more than one image/);
    expect(byId['sub/t.csv:7']).toBe('row without an image');
    expect(r.skipped).toHaveLength(6);
  });

  it('reports rows Papa Parse could not parse and rows of the wrong width, and loads the rest', () => {
    const r = csvTags.read(listing(['a.jpg', 'b.jpg', 'c.jpg'], { 't.csv': 'image,tags\na,cat\n\nb,dog,extra\nc,"unclosed\nd,x\n' }));
    expect(r.labels).toEqual([{ path: 'a.jpg', labelName: 'cat', confidence: 1 }]);
    expect(r.skipped.map((s) => s.id)).toEqual(['t.csv:4', 't.csv:5']);
    expect(r.skipped[0].reason).toBe('malformed CSV row: 3 cells, the header has 2');
    expect(r.skipped[1].reason).toMatch(/^malformed CSV row \(Quoted field unterminated\)/);
  });

  it('under an override with no fitting CSV, says which columns each CSV lacks', () => {
    const r = csvTags.read(
      listing(['a.jpg'], {
        'a.csv': 'image_name,score\n',
        'b.csv': 'name,tags\n',
        'c.csv': 'x,y\n',
        'metadata.csv': 'file_name,labels\n',
        'notes.txt': 'hello',
      }),
    );
    expect(r.labels).toEqual([]);
    expect(r.used).toEqual([]);
    expect(r.skipped).toEqual([
      { id: 'a.csv', reason: 'not a tags table: no tags column (tags or labels)' },
      { id: 'b.csv', reason: 'not a tags table: no image column (image_name, image, filename, file_name, id or ImageID)' },
      {
        id: 'c.csv',
        reason:
          'not a tags table: no image column (image_name, image, filename, file_name, id or ImageID) and no tags column (tags or labels)',
      },
      { id: 'metadata.csv', reason: 'metadata.csv belongs to another format, not read as a tags table' },
    ]);
    expect(csvTags.read(listing(['a.jpg'], {})).skipped).toHaveLength(1);
  });
});

describe('writeCsvTags', () => {
  it('keeps the header names, the separator and each id cell; drops rows of gone images; adds the others', () => {
    const original = { path: 'data/t.csv', text: 'Image_Name,Extra,Tags\ntrain_0,1,a|b\nimgs/train_1.jpg,2,c\ngone,3,d\ntrain_0,4,e\n' };
    const text = writeCsvTags(
      original,
      ['data/train_0.jpg', 'data/imgs/train_1.jpg', 'data/new.jpg', 'elsewhere/far.jpg'],
      new Map([
        ['data/train_0.jpg', ['b', 'sea lion']],
        ['data/new.jpg', ['n']],
      ]),
    );
    expect(text).toBe('Image_Name,Tags\ntrain_0,b|sea lion\nimgs/train_1.jpg,\nnew,n\nfar,\n');
  });

  it('keeps whitespace separation, extensions, CRLF, and quotes cells that need it', () => {
    const text = writeCsvTags(
      { path: 't.csv', text: 'id,labels\r\n"a,1.jpg",x y\r\n' },
      ['a,1.jpg', 'b.jpg'],
      new Map([['a,1.jpg', ['p', 'q']]]),
    );
    expect(text).toBe('id,labels\r\n"a,1.jpg",p q\r\nb.jpg,\r\n');
  });

  it('round-trips: read, write, read gives the same labels', () => {
    const images = ['train-jpg/t0.jpg', 'train-jpg/t1.jpg', 'train-jpg/t2.jpg', 'x/t3.png'];
    const original = listing(images, { 'train_v2.csv': 'image_name,tags\nt0,haze primary\nt1,clear\nt2,\nx/t3,road water\n' });
    const first = csvTags.read(original);
    expect(first.skipped).toEqual([]);
    const byPath = new Map<string, string[]>();
    for (const l of first.labels) byPath.set(l.path, [...(byPath.get(l.path) ?? []), l.labelName]);
    const written = writeCsvTags({ path: 'train_v2.csv', text: original.texts.get('train_v2.csv')! }, images, byPath);
    expect(written).toBe('image_name,tags\nt0,haze primary\nt1,clear\nt2,\nx/t3,road water\n');
    const second = csvTags.read(listing(images, { 'train_v2.csv': written }));
    expect(second.skipped).toEqual([]);
    expect(labelsOf(second.labels)).toEqual(labelsOf(first.labels));

    const piped = listing(['a.jpg', 'b.jpg'], { 't.csv': 'file_name,labels\na.jpg,sea lion|dog\nb.jpg,cat\n' });
    const again = new Map([
      ['a.jpg', ['sea lion', 'dog']],
      ['b.jpg', ['cat']],
    ]);
    const rewritten = writeCsvTags({ path: 't.csv', text: piped.texts.get('t.csv')! }, piped.imagePaths, again);
    expect(labelsOf(csvTags.read(listing(piped.imagePaths, { 't.csv': rewritten })).labels)).toEqual(labelsOf(csvTags.read(piped).labels));
  });
});

// The Hugging Face imagefolder reader and writer: detection, labels (names, class numbers and the dataset card),
// splits from the metadata file's folder, every kind of bad input skipped with the rest loaded, and the round trip.
import { describe, expect, it } from 'vitest';
import { hf, writeHfMetadata } from '../../src/lib/ingest/formats/hf';
import type { CollectionListing, PathLabel } from '../../src/lib/ingest/formats/types';

function listing(imagePaths: readonly string[], texts: Record<string, string>): CollectionListing {
  return { imagePaths, texts: new Map(Object.entries(texts)) };
}

const jsonl = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

/** Labels as `path: a, b` strings, sorted, for readable comparisons. */
function labelsOf(labels: PathLabel[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of labels) {
    expect(l.confidence).toBe(1);
    (out[l.path] ??= []).push(l.labelName);
  }
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

const CARD_MAP = `---
license: mit
dataset_info:
  features:
  - name: image
    dtype: image
  - name: label
    dtype:
      class_label:
        names:
          '0': cat
          '1': dog
  splits:
  - name: train
    num_examples: 2
---
# A dataset
Some prose with --- in it.
`;

describe('hf.detect', () => {
  it('finds metadata.jsonl and metadata.csv anywhere, strength 3, and nothing without them', () => {
    expect(hf.detect(listing(['a.jpg'], { 'README.md': CARD_MAP, 'labels.csv': 'x' }))).toBeNull();
    const d = hf.detect(listing(['train/a.jpg'], { 'train/metadata.jsonl': '', 'test/metadata.csv': 'file_name\n' }));
    expect(d).toEqual({ format: 'hf', strength: 3, evidence: 'train/metadata.jsonl, test/metadata.csv' });
    const many = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((f) => [`${f}/metadata.jsonl`, '']));
    expect(hf.detect(listing([], many))?.evidence).toBe('a/metadata.jsonl, b/metadata.jsonl, c/metadata.jsonl and 2 more');
  });
});

describe('hf.read labels', () => {
  it('takes the first present of labels, label, tags, objects.category, lists or single values, each once', () => {
    const r = hf.read(
      listing(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'], {
        'metadata.jsonl': jsonl(
          { file_name: 'a.jpg', labels: ['cat', 'dog', 'cat'], label: 'ignored' },
          { file_name: 'b.jpg', label: 'bird', tags: ['ignored'] },
          { file_name: 'c.jpg', tags: ['x', 'y'] },
          { file_name: 'd.jpg', objects: { bbox: [[0, 0, 1, 1]], category: ['car', 'car', 'bus'] } },
          { file_name: 'e.jpg', caption: 'no label field' },
        ),
      }),
    );
    expect(r.skipped).toEqual([]);
    expect(labelsOf(r.labels)).toEqual({ 'a.jpg': ['cat', 'dog'], 'b.jpg': ['bird'], 'c.jpg': ['x', 'y'], 'd.jpg': ['bus', 'car'] });
    expect(r.splits.size).toBe(0);
    expect(r.classes.size).toBe(0);
    expect(r.used).toEqual(['metadata.jsonl']);
  });

  it('names class numbers from the card front matter (a map) and says it used README.md', () => {
    const r = hf.read(
      listing(['train/a.jpg', 'train/b.jpg', 'test/c.jpg'], {
        'README.md': CARD_MAP,
        'train/metadata.jsonl': jsonl({ file_name: 'a.jpg', label: 0 }, { file_name: 'b.jpg', label: 1 }),
        // -1 is the datasets library's "no label": the image is unlabelled, nothing is wrong.
        'test/metadata.jsonl': jsonl({ file_name: 'c.jpg', label: -1 }),
      }),
    );
    expect(r.skipped).toEqual([]);
    expect(labelsOf(r.labels)).toEqual({ 'train/a.jpg': ['cat'], 'train/b.jpg': ['dog'] });
    expect(r.used).toEqual(['train/metadata.jsonl', 'test/metadata.jsonl', 'README.md']);
  });

  it('reads names given as a list, per feature, from the first config of a list of configs that has any', () => {
    const card = `---
dataset_info:
- config_name: empty
  features:
  - name: image
    dtype: image
- config_name: default
  features:
  - name: image
    dtype: image
  - name: label
    dtype:
      class_label:
        names: [zero, one]
  - name: labels
    sequence:
      class_label:
        names:
          0: red
          1: green
          2: blue
---
`;
    const r = hf.read(
      listing(['a.png', 'b.png'], {
        'README.md': card,
        'metadata.jsonl': jsonl({ file_name: 'a.png', label: 1 }, { file_name: 'b.png', labels: [0, 2] }),
      }),
    );
    expect(r.skipped).toEqual([]);
    expect(labelsOf(r.labels)).toEqual({ 'a.png': ['one'], 'b.png': ['blue', 'red'] });
  });

  it('names objects.category numbers from the nested class_label of the objects feature', () => {
    const card = `---
dataset_info:
  features:
  - name: objects
    sequence:
    - name: bbox
      sequence: float32
    - name: category
      dtype:
        class_label:
          names:
            '0': car
            '1': bus
---
`;
    const r = hf.read(
      listing(['a.jpg'], { 'README.md': card, 'metadata.jsonl': jsonl({ file_name: 'a.jpg', objects: { category: [1, 0, 1] } }) }),
    );
    expect(labelsOf(r.labels)).toEqual({ 'a.jpg': ['bus', 'car'] });
  });

  it('keeps class numbers without names as the number, said once in skipped', () => {
    const r = hf.read(
      listing(['a.jpg', 'b.jpg'], {
        'metadata.jsonl': jsonl({ file_name: 'a.jpg', label: 3 }, { file_name: 'b.jpg', labels: [4, 3] }),
      }),
    );
    expect(labelsOf(r.labels)).toEqual({ 'a.jpg': ['3'], 'b.jpg': ['3', '4'] });
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0].id).toBe('metadata.jsonl:1');
    expect(r.skipped[0].reason).toMatch(/class numbers without a name.*3, 4.*kept as the numbers/);
    expect(r.used).toEqual(['metadata.jsonl']);
  });

  it('reads metadata.csv: a cell of digits is a class number, a JSON list cell is a list, an empty cell no label', () => {
    const r = hf.read(
      listing(['val/a.jpg', 'val/b.jpg', 'val/c.jpg', 'val/d.jpg'], {
        'README.md': CARD_MAP,
        'val/metadata.csv': 'file_name,label,text\na.jpg,1,hello\nb.jpg,"[""cat"", ""dog""]",x\nc.jpg,,no label\nd.jpg,bird,y\n',
      }),
    );
    expect(r.skipped).toEqual([]);
    expect(labelsOf(r.labels)).toEqual({ 'val/a.jpg': ['dog'], 'val/b.jpg': ['cat', 'dog'], 'val/d.jpg': ['bird'] });
    expect(r.splits.get('val/c.jpg')).toBe('validation');
  });

  it('resolves file_name relative to the metadata folder, including a subfolder', () => {
    const r = hf.read(listing(['train/images/x.jpg'], { 'train/metadata.jsonl': jsonl({ file_name: 'images/x.jpg', label: 'cat' }) }));
    expect(r.skipped).toEqual([]);
    expect(r.labels).toEqual([{ path: 'train/images/x.jpg', labelName: 'cat', confidence: 1 }]);
    expect(r.splits.get('train/images/x.jpg')).toBe('train');
  });
});

describe('hf.read splits', () => {
  it('takes the split from the metadata folder name; the root splits nothing', () => {
    const folders = { train: 'train', validation: 'validation', val: 'validation', valid: 'validation', test: 'test', train2017: 'train' };
    const texts: Record<string, string> = { 'metadata.jsonl': jsonl({ file_name: 'r.jpg', label: 'x' }) };
    const images = ['r.jpg'];
    for (const folder of Object.keys(folders)) {
      texts[`${folder}/metadata.jsonl`] = jsonl({ file_name: 'a.jpg', label: 'x' });
      images.push(`${folder}/a.jpg`);
    }
    const r = hf.read(listing(images, texts));
    expect(r.skipped).toEqual([]);
    for (const [folder, split] of Object.entries(folders)) expect(r.splits.get(`${folder}/a.jpg`)).toBe(split);
    expect(r.splits.has('r.jpg')).toBe(false);
    expect(r.labels).toHaveLength(7);
  });

  it('gives no split to a folder that names none', () => {
    const r = hf.read(listing(['data/a.jpg'], { 'data/metadata.jsonl': jsonl({ file_name: 'a.jpg', label: 'x' }) }));
    expect(r.splits.size).toBe(0);
    expect(r.labels).toHaveLength(1);
  });
});

describe('hf.read bad input', () => {
  it('skips malformed JSON lines by file and line, and loads the rest', () => {
    const r = hf.read(
      listing(['train/a.jpg', 'train/b.jpg'], {
        'train/metadata.jsonl': jsonl({ file_name: 'a.jpg', label: 'cat' }, '{"file_name": "b.jpg", label', '[1, 2]', '', {
          file_name: 'b.jpg',
          label: 'dog',
        }),
      }),
    );
    expect(labelsOf(r.labels)).toEqual({ 'train/a.jpg': ['cat'], 'train/b.jpg': ['dog'] });
    expect(r.skipped.map((s) => s.id)).toEqual(['train/metadata.jsonl:2', 'train/metadata.jsonl:3']);
    expect(r.skipped[0].reason).toMatch(/^malformed JSON line/);
    expect(r.skipped[1].reason).toMatch(/not a JSON object/);
  });

  it('skips a metadata.csv without file_name (not used) and loads the other files', () => {
    const r = hf.read(
      listing(['train/a.jpg', 'test/b.jpg'], {
        'train/metadata.csv': 'image,label\na.jpg,cat\n',
        'test/metadata.jsonl': jsonl({ file_name: 'b.jpg', label: 'dog' }),
      }),
    );
    expect(r.skipped).toEqual([{ id: 'train/metadata.csv', reason: 'metadata.csv has no file_name column' }]);
    expect(r.labels).toEqual([{ path: 'test/b.jpg', labelName: 'dog', confidence: 1 }]);
    expect(r.used).toEqual(['test/metadata.jsonl']);
  });

  it('refuses file_names that leave the collection, never reading them, and lists those naming no image', () => {
    const r = hf.read(
      listing(['train/a.jpg', 'x.jpg'], {
        'train/metadata.jsonl': jsonl(
          { file_name: '../../x.jpg', label: 'a' },
          { file_name: '/etc/x', label: 'a' },
          { file_name: 'http://example.com/x.jpg', label: 'a' },
          { file_name: 'missing.jpg', label: 'a' },
          { label: 'a' },
          { file_name: 'a.jpg', label: 'ok' },
          // Inside the collection by `..`: allowed.
          { file_name: '../x.jpg', label: 'up' },
        ),
      }),
    );
    expect(labelsOf(r.labels)).toEqual({ 'train/a.jpg': ['ok'], 'x.jpg': ['up'] });
    const byId = Object.fromEntries(r.skipped.map((s) => [s.id, s.reason]));
    expect(byId['train/metadata.jsonl:1']).toMatch(/leads out of the collection \(never read\)/);
    expect(byId['train/metadata.jsonl:2']).toMatch(/absolute path.*never read/);
    expect(byId['train/metadata.jsonl:3']).toMatch(/URL.*never read/);
    expect(byId['train/metadata.jsonl:4']).toBe('no image "train/missing.jpg" in the collection');
    expect(byId['train/metadata.jsonl:5']).toBe('row without a file_name');
    expect(r.skipped).toHaveLength(5);
  });

  it('treats a row with no label field as an unlabelled image, not an error', () => {
    const r = hf.read(listing(['test/a.jpg'], { 'test/metadata.jsonl': jsonl({ file_name: 'a.jpg', caption: 'a cat' }) }));
    expect(r.skipped).toEqual([]);
    expect(r.labels).toEqual([]);
    expect(r.splits.get('test/a.jpg')).toBe('test');
  });

  it('skips malformed YAML front matter and keeps the numbers', () => {
    for (const card of ['---\ndataset_info: [unclosed\n  features: x\n---\n', '---\ndataset_info:\n  features: []\n']) {
      const r = hf.read(listing(['a.jpg'], { 'README.md': card, 'metadata.jsonl': jsonl({ file_name: 'a.jpg', label: 0 }) }));
      expect(r.labels).toEqual([{ path: 'a.jpg', labelName: '0', confidence: 1 }]);
      expect(r.skipped[0].id).toBe('README.md');
      expect(r.skipped[0].reason).toMatch(/YAML front matter/);
      expect(r.skipped[1].reason).toMatch(/class numbers without a name/);
      expect(r.used).toEqual(['metadata.jsonl']);
    }
  });

  it('skips malformed CSV rows and label values that are neither names nor numbers', () => {
    const r = hf.read(
      listing(['a.jpg', 'b.jpg'], {
        'metadata.csv': 'file_name,label\na.jpg,cat\nb.jpg,"unclosed\n',
        'sub/metadata.jsonl': jsonl({ file_name: '../b.jpg', labels: [{ nested: 1 }, 'ok'] }),
      }),
    );
    expect(labelsOf(r.labels)).toEqual({ 'a.jpg': ['cat'], 'b.jpg': ['ok'] });
    expect(r.skipped.map((s) => s.id)).toEqual(['metadata.csv:3', 'sub/metadata.jsonl:1']);
    expect(r.skipped[0].reason).toMatch(/malformed CSV row/);
    expect(r.skipped[1].reason).toMatch(/not a name or a class number/);
  });
});

describe('writeHfMetadata', () => {
  it('writes metadata.jsonl beside the original, one line per image of its folder', () => {
    const out = writeHfMetadata(
      'train/metadata.csv',
      ['train/a.jpg', 'train/images/b.jpg', 'test/c.jpg', 'trainer/d.jpg'],
      new Map([['train/a.jpg', ['cat', 'dog']]]),
    );
    expect(out.path).toBe('train/metadata.jsonl');
    expect(out.text).toBe('{"file_name":"a.jpg","labels":["cat","dog"]}\n{"file_name":"images/b.jpg","labels":[]}\n');
    expect(writeHfMetadata('metadata.jsonl', ['a.jpg'], new Map()).path).toBe('metadata.jsonl');
  });

  it('round-trips: read, write each metadata file, read again gives the same labels and splits', () => {
    const original = listing(['train/a.jpg', 'train/img/b.jpg', 'validation/c.jpg', 'validation/d.jpg'], {
      'README.md': CARD_MAP,
      'train/metadata.jsonl': jsonl({ file_name: 'a.jpg', label: 0 }, { file_name: 'img/b.jpg', labels: ['1', 'bird'] }),
      'validation/metadata.csv': 'file_name,label\nc.jpg,1\nd.jpg,\n',
    });
    const first = hf.read(original);
    expect(first.skipped).toEqual([]);
    const byPath = new Map<string, string[]>();
    for (const l of first.labels) byPath.set(l.path, [...(byPath.get(l.path) ?? []), l.labelName]);
    const texts = new Map<string, string>();
    for (const path of first.used.filter((p) => p !== 'README.md')) {
      const listed = original.imagePaths.filter((p) => p.startsWith(path.slice(0, path.lastIndexOf('/') + 1)));
      const written = writeHfMetadata(path, listed, byPath);
      texts.set(written.path, written.text);
    }
    const second = hf.read({ imagePaths: original.imagePaths, texts });
    expect(second.skipped).toEqual([]);
    expect(labelsOf(second.labels)).toEqual(labelsOf(first.labels));
    expect(labelsOf(second.labels)).toEqual({ 'train/a.jpg': ['cat'], 'train/img/b.jpg': ['1', 'bird'], 'validation/c.jpg': ['dog'] });
    expect(second.splits).toEqual(first.splits);
  });
});

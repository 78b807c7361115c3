// Labels back out in the format they came in: a collection read, a review's accepted changes applied, written in
// its own format, and read back: the labels are the changed ones, and everything else of the original is kept.
import { describe, expect, it } from 'vitest';
import { interpretCollection } from '../../src/lib/ingest/collection';
import { exportLabels, labelExportFormat } from '../../src/lib/ingest/label-export';
import type { LabelChange, LabelFile } from '../../src/lib/ingest/review';
import type { CollectionListing, FormatName } from '../../src/lib/ingest/formats/types';

/** Reads a collection, and the images with their labels as the export takes them. */
function read(imagePaths: string[], texts: Record<string, string>) {
  const listing: CollectionListing = { imagePaths, texts: new Map(Object.entries(texts)) };
  const c = interpretCollection(listing);
  const labels = new Map<string, string[]>();
  for (const r of c.labelRows) if (r.confidence > 0) labels.set(r.imageId, [...(labels.get(r.imageId) ?? []), r.labelName]);
  const images = c.images.map((im) => ({ ...im, labels: labels.get(im.imageId) ?? [] }));
  return { c, images, labels };
}

const kindOf: Partial<Record<FormatName, LabelFile['kind']>> = { coco: 'coco', hf: 'hf', csv: 'csv', 'open-images': 'labels-csv' };

function roundTrip(imagePaths: string[], texts: Record<string, string>, changes: LabelChange[]) {
  const before = read(imagePaths, texts);
  const files: LabelFile[] = before.c.used.map((path) => ({ path, kind: kindOf[before.c.choice.format]!, text: texts[path] }));
  const out = exportLabels(before.c.choice.format, files, before.images, changes);
  const after = read(imagePaths, { ...texts, ...Object.fromEntries(out.files.map((f) => [f.path, f.text])) });
  return { before, out, after };
}

const sorted = (m: Map<string, string[]>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort());

describe('labels back out', () => {
  const changes: LabelChange[] = [
    { imageId: 'a', labelName: 'dog', kind: 'remove' },
    { imageId: 'b', labelName: 'bird', kind: 'add' },
  ];

  it('COCO: the same images and categories, one whole-image annotation per label, a new category for a new label', () => {
    const coco = JSON.stringify({
      images: [
        { id: 1, file_name: 'a.jpg', width: 64, height: 48 },
        { id: 2, file_name: 'b.jpg', width: 32, height: 32 },
      ],
      categories: [
        { id: 7, name: 'cat', supercategory: 'animal' },
        { id: 8, name: 'dog', supercategory: 'animal' },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 7, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0 },
        { id: 2, image_id: 1, category_id: 8, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0 },
        { id: 3, image_id: 2, category_id: 7, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0 },
      ],
    });
    const { out, after } = roundTrip(['train/a.jpg', 'train/b.jpg'], { 'train/_annotations.coco.json': coco }, changes);
    expect(out.written).toBe('coco');
    const json = JSON.parse(out.files[0].text);
    expect(json.images).toEqual(JSON.parse(coco).images);
    expect(json.categories.slice(0, 2)).toEqual(JSON.parse(coco).categories);
    expect(json.categories[2]).toMatchObject({ id: 9, name: 'bird' });
    expect(json.annotations.find((a: { image_id: number }) => a.image_id === 1).bbox).toEqual([0, 0, 64, 48]);
    expect(sorted(after.labels)).toEqual({ a: ['cat'], b: ['bird', 'cat'] });
  });

  it('tags CSV: the same two columns, ids as written, the same separator', () => {
    const csv = 'image_name,tags\na,cat dog\nb,cat\n';
    const { out, after } = roundTrip(['imgs/a.jpg', 'imgs/b.jpg'], { 'train_classes.csv': csv }, changes);
    expect(out.written).toBe('csv');
    expect(out.files[0].text.split(/\r?\n/)[0]).toBe('image_name,tags');
    expect(out.files[0].text).toMatch(/^b,(bird cat|cat bird)$/m);
    expect(sorted(after.labels)).toEqual({ a: ['cat'], b: ['bird', 'cat'] });
  });

  it('Hugging Face: metadata.jsonl per split folder', () => {
    const jsonl = '{"file_name": "a.jpg", "labels": ["cat", "dog"]}\n{"file_name": "b.jpg", "labels": ["cat"]}\n';
    const { out, after } = roundTrip(['train/a.jpg', 'train/b.jpg'], { 'train/metadata.jsonl': jsonl }, changes);
    expect(out.written).toBe('hf');
    expect(out.files.map((f) => f.path)).toEqual(['train/metadata.jsonl']);
    expect(sorted(after.labels)).toEqual({ a: ['cat'], b: ['bird', 'cat'] });
  });

  it('Open Images: the file as read, with only the accepted changes made', () => {
    const csv = 'ImageID,Source,LabelName,Confidence\na,x,cat,1\na,x,dog,1\nb,x,cat,1\n';
    const { out, after } = roundTrip(['a.jpg', 'b.jpg'], { 'labels.csv': csv }, changes);
    expect(out.written).toBe('open-images');
    expect(out.files[0].text).toBe('ImageID,Source,LabelName,Confidence\na,x,cat,1\na,x,dog,0\nb,x,cat,1\nb,simage-review,bird,1\n');
    expect(sorted(after.labels)).toEqual({ a: ['cat'], b: ['bird', 'cat'] });
  });

  it('class folders (no image-level label file): an Open Images CSV of every label', () => {
    const { out } = roundTrip(['cats/a.jpg', 'dogs/b.jpg', 'cats/c.jpg'], {}, [{ imageId: 'b', labelName: 'puppy', kind: 'add' }]);
    expect(out.written).toBe('open-images');
    expect(out.files[0].path).toBe('labels.csv');
    expect(out.files[0].text.split('\n').filter(Boolean).sort()).toEqual(
      [
        'ImageID,Source,LabelName,Confidence',
        'a,collection,cats,1',
        'b,collection,dogs,1',
        'b,simage-review,puppy,1',
        'c,collection,cats,1',
      ].sort(),
    );
    expect(labelExportFormat('yolo')).toBe('open-images');
    expect(labelExportFormat('none')).toBe('open-images');
  });
});

describe('a COCO collection with hostile entries', () => {
  it('loads what is good and lists the rest, never reading a path out of the root', () => {
    const coco = {
      images: [
        { id: 1, file_name: 'a.jpg', width: 1, height: 1 },
        { id: 2, file_name: '../../etc/passwd', width: 1, height: 1 },
        { id: 3, file_name: '/abs/x.jpg', width: 1, height: 1 },
        { id: 4, file_name: 'https://evil.example/x.jpg', width: 1, height: 1 },
        { id: 5, file_name: 'nothere.jpg', width: 1, height: 1 },
        { id: 6, file_name: 'b.jpg', width: 1, height: 1 },
      ],
      categories: [{ id: 1, name: 'cat' }, { id: 2 }],
      annotations: [
        { id: 1, image_id: 1, category_id: 1 },
        { id: 2, image_id: 99, category_id: 1 },
        { id: 3, image_id: 6, category_id: 77 },
        { id: 4, image_id: 6, category_id: 1 },
      ],
    };
    const { c } = read(['train/a.jpg', 'train/b.jpg', 'train/c.jpg'], {
      'train/_annotations.coco.json': JSON.stringify(coco),
      'valid/_annotations.coco.json': '{"images": [ this is not json',
      'notes.txt': 'hello',
    });
    expect(c.choice.format).toBe('coco');
    expect(c.labelRows.map((r) => `${r.imageId}:${r.labelName}`).sort()).toEqual(['a:cat', 'b:cat']);
    expect(c.images.map((im) => im.imageId)).toEqual(['a', 'b', 'c']);
    const all = c.skipped.map((s) => `${s.id}: ${s.reason}`).join('\n');
    for (const pattern of [
      /passwd.*leads out/,
      /abs\/x\.jpg.*absolute/,
      /evil\.example.*URL/,
      /nothere\.jpg/,
      /unknown image/,
      /unknown categor/,
      /not valid JSON/,
      /notes\.txt: not used/,
    ])
      expect(all).toMatch(pattern);
  });
});

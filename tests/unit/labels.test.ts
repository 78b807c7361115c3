import { describe, expect, it } from 'vitest';
import { defaultSplit, parseClassesCsv, parseConfidence, parseLabelsCsv, parseLabelsTxt, parseSplitCsv } from '../../src/lib/ingest/labels';

describe('parseConfidence', () => {
  it('accepts numbers in [0,1] only', () => {
    expect(parseConfidence('1')).toBe(1);
    expect(parseConfidence('0')).toBe(0);
    expect(parseConfidence(' 0.25 ')).toBe(0.25);
    expect(parseConfidence('.5')).toBe(0.5);
    expect(parseConfidence('1e-1')).toBeCloseTo(0.1);
    for (const bad of ['-1', '2', 'abc', '', '  ', 'NaN', 'Infinity', '0x1', '1.0.0', undefined]) expect(parseConfidence(bad)).toBeNull();
  });
});

describe('parseLabelsCsv', () => {
  it('reads the Open Images form with extra columns, empty Source and negatives', () => {
    const { rows, skipped } = parseLabelsCsv(
      'ImageID,Source,LabelName,Confidence,Extra\na,verification,/m/01,1,x\na,,/m/02,0,\nb,human,/m/01,0.5,y\n',
      'labels.csv',
    );
    expect(skipped).toEqual([]);
    expect(rows).toEqual([
      { imageId: 'a', labelName: '/m/01', confidence: 1 },
      { imageId: 'a', labelName: '/m/02', confidence: 0 },
      { imageId: 'b', labelName: '/m/01', confidence: 0.5 },
    ]);
  });

  it('handles a BOM, CRLF, reordered columns and quoted fields with commas and newlines', () => {
    const text = '\uFEFFConfidence,LabelName,ImageID\r\n1,"label, with comma",id1\r\n0.5,"multi\nline",id2\r\n';
    const { rows, skipped } = parseLabelsCsv(text, 'l.csv');
    expect(skipped).toEqual([]);
    expect(rows).toEqual([
      { imageId: 'id1', labelName: 'label, with comma', confidence: 1 },
      { imageId: 'id2', labelName: 'multi\nline', confidence: 0.5 },
    ]);
  });

  it('skips bad confidences and missing fields with a reason and a line number', () => {
    const text = [
      'ImageID,Source,LabelName,Confidence',
      'a,,/m/1,-1',
      'a,,/m/1,2',
      'a,,/m/1,abc',
      'a,,/m/1,',
      ',,/m/1,1',
      'a,,,1',
      'ok,,/m/1,1',
    ].join('\n');
    const { rows, skipped } = parseLabelsCsv(text, 'labels.csv');
    expect(rows).toEqual([{ imageId: 'ok', labelName: '/m/1', confidence: 1 }]);
    expect(skipped.map((s) => s.id)).toEqual([
      'labels.csv:2',
      'labels.csv:3',
      'labels.csv:4',
      'labels.csv:5',
      'labels.csv:6',
      'labels.csv:7',
    ]);
    expect(skipped[0].reason).toMatch(/bad confidence "-1"/);
    expect(skipped[4].reason).toMatch(/without an ImageID/);
    expect(skipped[5].reason).toMatch(/without a LabelName/);
  });

  it('refuses a file without the required header', () => {
    const { rows, skipped } = parseLabelsCsv('a,b,c\n1,2,3', 'x.csv');
    expect(rows).toEqual([]);
    expect(skipped[0]).toMatchObject({ id: 'x.csv', reason: expect.stringMatching(/header/) });
    expect(parseLabelsCsv('', 'e.csv').skipped[0].reason).toMatch(/empty/);
  });

  it('keeps ImageIDs and labels as exact strings (case, markup, non-Latin)', () => {
    const { rows } = parseLabelsCsv(
      'ImageID,Source,LabelName,Confidence\n"<img src=x onerror=alert(1)>",,Ünïcødé 猫,1\nAbC,,x,1\nabc,,x,1',
      'l.csv',
    );
    expect(rows.map((r) => r.imageId)).toEqual(['<img src=x onerror=alert(1)>', 'AbC', 'abc']);
    expect(rows[0].labelName).toBe('Ünïcødé 猫');
  });
});

describe('parseLabelsTxt (the 2017 seed form)', () => {
  it('reads labels with confidences, defaults a bare label to 1, and reports bad ones', () => {
    const { rows, skipped } = parseLabelsTxt('img1;dog(0.9);grass field(0.6)\r\nimg2;cat\n\nimg3;bird(abc);(0.5)\n;x(1)', 'seed.txt');
    expect(rows).toEqual([
      { imageId: 'img1', labelName: 'dog', confidence: 0.9 },
      { imageId: 'img1', labelName: 'grass field', confidence: 0.6 },
      { imageId: 'img2', labelName: 'cat', confidence: 1 },
    ]);
    expect(skipped.map((s) => s.id)).toEqual(['seed.txt:4', 'seed.txt:4', 'seed.txt:5']);
  });
});

describe('parseClassesCsv', () => {
  it('reads with and without the header line, quoted names included', () => {
    expect([...parseClassesCsv('/m/1,Dog\n/m/2,"Cat, domestic"', 'c.csv').names]).toEqual([
      ['/m/1', 'Dog'],
      ['/m/2', 'Cat, domestic'],
    ]);
    expect([...parseClassesCsv('LabelName,DisplayName\n/m/1,Dog', 'c.csv').names]).toEqual([['/m/1', 'Dog']]);
    expect(parseClassesCsv('/m/1,\n', 'c.csv').skipped).toHaveLength(1);
  });
});

describe('parseSplitCsv', () => {
  it('reads train/validation/test and reports unknown splits', () => {
    const { splits, skipped } = parseSplitCsv('ImageID,Split\na,train\nb,Validation\nc,test\nd,holdout\n,train', 's.csv');
    expect([...splits]).toEqual([
      ['a', 'train'],
      ['b', 'validation'],
      ['c', 'test'],
    ]);
    expect(skipped.map((s) => s.id)).toEqual(['s.csv:5', 's.csv:6']);
  });
});

describe('defaultSplit', () => {
  it('is deterministic and puts about 10% in validation', () => {
    const ids = Array.from({ length: 20000 }, (_, i) => `image-${i}`);
    const validation = ids.filter((id) => defaultSplit(id) === 'validation').length;
    expect(validation / ids.length).toBeGreaterThan(0.08);
    expect(validation / ids.length).toBeLessThan(0.12);
    expect(ids.map(defaultSplit)).toEqual(ids.map(defaultSplit));
  });
});

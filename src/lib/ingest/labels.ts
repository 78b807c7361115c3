// Label, class and split tables of a shard (../shared/SHARD-FORMAT.md), parsed into plain rows.
// Pure: strings in, rows and skip reasons out; no DOM, no IndexedDB. Every row that cannot be used is returned in
// `skipped` with a sentence saying why, never dropped silently. CSV parsing is Papa Parse (quotes, embedded commas
// and newlines, BOM, CRLF) rather than a hand-written splitter.
import Papa from 'papaparse';

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface LabelRow {
  imageId: string;
  labelName: string;
  confidence: number;
}

export interface Skipped {
  /** What was left out: an ImageID, a file path, or `file:line`. */
  id: string;
  reason: string;
}

export interface Parsed<T> {
  rows: T[];
  skipped: Skipped[];
}

function parseCsv(text: string): string[][] {
  const result = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' });
  return result.data;
}

/** A confidence as the contract allows it: a finite number in [0, 1]; anything else is null. */
export function parseConfidence(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const trimmed = raw.trim();
  if (trimmed === '' || !/^[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : null;
}

const clip = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Open Images image-level labels: header `ImageID,Source,LabelName,Confidence`, extra columns ignored. */
export function parseLabelsCsv(text: string, fileName: string): Parsed<LabelRow> {
  const table = parseCsv(text);
  const skipped: Skipped[] = [];
  if (table.length === 0) return { rows: [], skipped: [{ id: fileName, reason: 'label file is empty' }] };
  const header = table[0].map((h) => h.trim());
  const col = (name: string) => header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  const [idCol, labelCol, confCol] = [col('ImageID'), col('LabelName'), col('Confidence')];
  if (idCol < 0 || labelCol < 0 || confCol < 0) {
    return {
      rows: [],
      skipped: [{ id: fileName, reason: 'label file has no header with ImageID, LabelName and Confidence columns' }],
    };
  }
  const rows: LabelRow[] = [];
  for (let i = 1; i < table.length; i++) {
    const r = table[i];
    const where = `${fileName}:${i + 1}`;
    const imageId = r[idCol] ?? '';
    const labelName = (r[labelCol] ?? '').trim();
    if (imageId === '') skipped.push({ id: where, reason: 'label row without an ImageID' });
    else if (labelName === '') skipped.push({ id: where, reason: `label row for ${clip(imageId)} without a LabelName` });
    else {
      const confidence = parseConfidence(r[confCol]);
      if (confidence === null) {
        skipped.push({ id: where, reason: `bad confidence "${clip(r[confCol] ?? '')}" (must be a number in [0,1])` });
      } else rows.push({ imageId, labelName, confidence });
    }
  }
  return { rows, skipped };
}

/** The 2017 seed's text form: `ImageID;label one(0.9);label two(0.6)`, a label without (…) counts as 1. */
export function parseLabelsTxt(text: string, fileName: string): Parsed<LabelRow> {
  const rows: LabelRow[] = [];
  const skipped: Skipped[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${fileName}:${i + 1}`;
    const [imageId, ...labels] = line.split(';');
    if (imageId.trim() === '') return skipped.push({ id: where, reason: 'label line without an ImageID' });
    for (const item of labels) {
      if (item.trim() === '') continue;
      const m = /^(.*?)(?:\(([^()]*)\))?\s*$/.exec(item.trim());
      const labelName = (m?.[1] ?? '').trim();
      const confidence = m?.[2] === undefined ? 1 : parseConfidence(m[2]);
      if (labelName === '') skipped.push({ id: where, reason: `label without a name in "${clip(item)}"` });
      else if (confidence === null) skipped.push({ id: where, reason: `bad confidence in "${clip(item)}"` });
      else rows.push({ imageId: imageId.trim(), labelName, confidence });
    }
  });
  return { rows, skipped };
}

/** Class descriptions `LabelName,DisplayName`, with or without that header (the upstream file has none). */
export function parseClassesCsv(text: string, fileName: string): { names: Map<string, string>; skipped: Skipped[] } {
  const table = parseCsv(text);
  const names = new Map<string, string>();
  const skipped: Skipped[] = [];
  table.forEach((r, i) => {
    if (i === 0 && r[0]?.trim().toLowerCase() === 'labelname') return;
    const [labelName, displayName] = [r[0]?.trim() ?? '', r[1]?.trim() ?? ''];
    if (labelName === '' || displayName === '')
      skipped.push({ id: `${fileName}:${i + 1}`, reason: 'class row needs LabelName and DisplayName' });
    else names.set(labelName, displayName);
  });
  return { names, skipped };
}

/** `ImageID,Split` with Split one of train, validation, test. */
export function parseSplitCsv(text: string, fileName: string): { splits: Map<string, Split>; skipped: Skipped[] } {
  const table = parseCsv(text);
  const splits = new Map<string, Split>();
  const skipped: Skipped[] = [];
  table.forEach((r, i) => {
    if (i === 0 && r[0]?.trim().toLowerCase() === 'imageid') return;
    const where = `${fileName}:${i + 1}`;
    const imageId = r[0] ?? '';
    const split = (r[1] ?? '').trim().toLowerCase() as Split;
    if (imageId === '') skipped.push({ id: where, reason: 'split row without an ImageID' });
    else if (!SPLITS.includes(split))
      skipped.push({ id: where, reason: `unknown split "${clip(r[1] ?? '')}" (train, validation or test)` });
    else splits.set(imageId, split);
  });
  return { splits, skipped };
}

/** FNV-1a over the UTF-16 code units: a stable 32-bit hash for the default split. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Without split.csv: about 10% validation, the rest train, decided by the ImageID alone. */
export function defaultSplit(imageId: string): Split {
  return fnv1a(imageId) % 10 === 0 ? 'validation' : 'train';
}

// The corrected label files of a label review: the shard's own label files, byte for byte, with only the accepted
// changes made. Pure. A rejected given label becomes a verified negative the Open Images way (its row's Confidence
// set to 0, nothing else in the row touched); an accepted missing label is a new row at the end (Source
// `simage-review`, Confidence 1: a person checked it). The 2017 text form gets `label(0)` and `;label(1)`.
import Papa from 'papaparse';

export interface LabelFile {
  path: string;
  /** labels-csv, labels-txt: Open Images and the 2017 form (rewritten here); coco, hf, csv: kept for the export
   *  in the collection's own format (src/lib/ingest/label-export.ts). */
  kind: 'labels-csv' | 'labels-txt' | 'coco' | 'hf' | 'csv';
  text: string;
}

export interface LabelChange {
  imageId: string;
  labelName: string;
  /** 'remove': the given label is wrong; 'add': the missing label is right. */
  kind: 'remove' | 'add';
}

export const REVIEW_SOURCE = 'simage-review';

const newlineOf = (text: string) => (text.includes('\r\n') ? '\r\n' : '\n');
const key = (imageId: string, labelName: string) => `${imageId}\u0000${labelName}`;

/** Rows of a CSV text with their character ranges (so untouched rows are copied exactly). */
function csvRows(text: string): { fields: string[]; start: number; end: number }[] {
  const rows: { fields: string[]; start: number; end: number }[] = [];
  let start = 0;
  Papa.parse<string[]>(text, {
    step: (result) => {
      const end = result.meta.cursor;
      rows.push({ fields: result.data, start, end });
      start = end;
    },
  });
  return rows;
}

function applyCsv(text: string, removes: Set<string>, adds: LabelChange[]): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = text.slice(bom.length);
  const rows = csvRows(body);
  if (rows.length === 0) return text;
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name.toLowerCase());
  const [idCol, sourceCol, labelCol, confCol] = [col('ImageID'), col('Source'), col('LabelName'), col('Confidence')];
  if (idCol < 0 || labelCol < 0 || confCol < 0) throw new Error('The label file has no ImageID, LabelName and Confidence columns.');
  const nl = newlineOf(body);
  let out = '';
  let last = 0;
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    const f = r.fields;
    if (!removes.has(key(f[idCol] ?? '', (f[labelCol] ?? '').trim())) || !(Number(f[confCol]) > 0)) continue;
    // The row's own text, with its Confidence field replaced; its line ending kept.
    const raw = body.slice(r.start, r.end);
    const ending = raw.endsWith('\r\n') ? '\r\n' : raw.endsWith('\n') ? '\n' : '';
    const fields = [...f];
    fields[confCol] = '0';
    out += body.slice(last, r.start) + Papa.unparse([fields], { newline: nl }) + ending;
    last = r.end;
  }
  out += body.slice(last);
  if (adds.length) {
    if (out.length && !out.endsWith('\n')) out += nl;
    const width = rows[0].fields.length;
    const lines = adds.map((a) => {
      const fields = new Array<string>(width).fill('');
      fields[idCol] = a.imageId;
      if (sourceCol >= 0) fields[sourceCol] = REVIEW_SOURCE;
      fields[labelCol] = a.labelName;
      fields[confCol] = '1';
      return fields;
    });
    out += Papa.unparse(lines, { newline: nl }) + nl;
  }
  return bom + out;
}

function applyTxt(text: string, removes: Set<string>, adds: LabelChange[]): string {
  const nl = newlineOf(text);
  const lines = text.split(/\r?\n/);
  const addsById = new Map<string, string[]>();
  for (const a of adds) {
    const list = addsById.get(a.imageId) ?? [];
    list.push(a.labelName);
    addsById.set(a.imageId, list);
  }
  const out = lines.map((line) => {
    if (line.trim() === '') return line;
    const [imageId, ...items] = line.split(';');
    const id = imageId.trim();
    const changed = items.map((item) => {
      const m = /^(.*?)(?:\(([^()]*)\))?\s*$/.exec(item.trim());
      const name = (m?.[1] ?? '').trim();
      return name && removes.has(key(id, name)) && (m?.[2] === undefined || Number(m[2]) > 0) ? `${name}(0)` : item;
    });
    const extra = addsById.get(id);
    addsById.delete(id);
    return [imageId, ...changed, ...(extra ?? []).map((l) => `${l}(1)`)].join(';');
  });
  let result = out.join(nl);
  for (const [id, labels] of addsById) {
    if (result.length && !result.endsWith('\n')) result += nl;
    result += `${id};${labels.map((l) => `${l}(1)`).join(';')}${nl}`;
  }
  return result;
}

/**
 * The label files with the accepted changes applied: removals wherever the row is, additions at the end of the
 * first file. Returns only the files that changed.
 */
export function applyLabelChanges(files: LabelFile[], changes: LabelChange[]): LabelFile[] {
  if (files.length === 0 || changes.length === 0) return [];
  const removes = new Set(changes.filter((c) => c.kind === 'remove').map((c) => key(c.imageId, c.labelName)));
  const adds = changes.filter((c) => c.kind === 'add');
  const out: LabelFile[] = [];
  files = files.filter((f) => f.kind === 'labels-csv' || f.kind === 'labels-txt');
  files.forEach((file, i) => {
    const fileAdds = i === 0 ? adds : [];
    const text = (file.kind === 'labels-csv' ? applyCsv : applyTxt)(file.text, removes, fileAdds);
    if (text !== file.text) out.push({ ...file, text });
  });
  return out;
}

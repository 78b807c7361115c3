// The collection formats' names as a person reads them (load view, report, CLI). In its own module so the page's
// first bundle names formats without the readers (YAML, CSV parsers).
import type { FormatName } from './formats/types';

export const FORMAT_TITLES: Record<FormatName, string> = {
  'open-images': 'Open Images CSV',
  'seed-text': 'id;label text lines',
  folders: 'class folders',
  coco: 'COCO',
  yolo: 'YOLO (Ultralytics)',
  hf: 'Hugging Face imagefolder',
  csv: 'a tags CSV',
  none: 'no labels',
};

/** What a label export writes for a collection of this format: its own where it holds image-level labels, else an
 *  Open Images CSV (label-export.ts writes them; the buttons and the CLI say which). */
export type LabelExportFormat = 'open-images' | 'seed-text' | 'coco' | 'hf' | 'csv';

export function labelExportFormat(format: FormatName | undefined): LabelExportFormat {
  return format === 'coco' || format === 'hf' || format === 'csv' || format === 'seed-text' ? format : 'open-images';
}

export const LABEL_EXPORT_TITLES: Record<LabelExportFormat, string> = {
  'open-images': 'Open Images CSV',
  'seed-text': 'id;label text lines',
  coco: 'COCO JSON',
  hf: 'metadata.jsonl',
  csv: 'tags CSV',
};

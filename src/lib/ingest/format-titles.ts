// The collection formats' names as a person reads them (load view, report, CLI). In its own module so the page's
// first bundle names formats without the readers (YAML, CSV parsers).
import type { FormatName } from './formats/types';

export const FORMAT_TITLES: Record<FormatName, string> = {
  'open-images': 'Open Images CSV',
  'seed-text': 'the 2017 text form',
  folders: 'class folders',
  coco: 'COCO',
  yolo: 'YOLO (Ultralytics)',
  hf: 'Hugging Face imagefolder',
  csv: 'a tags CSV',
  none: 'no labels',
};

// Class folders and bare images (docs/SHARD-FORMAT.md, "Bring your collection"). `folders` reads `<class>/<image>`
// as Keras image_dataset_from_directory and torchvision ImageFolder do, under at most one wrapper folder (an archive
// often wraps everything in `mycollection/`) and an optional split level above the classes (`train/`, `val/`,
// `test/`): the label of an image is the name of its folder. `none` reads images without labels, keeping only the
// splits that folder names state. Pure. Invariant: a label is only ever the name of the folder directly holding an
// image at class depth; a split folder's name is never a label.
import type { Skipped, Split } from '../labels';
import { isSplitFolder } from './common';
import type { CollectionListing, Detection, FormatReader, FormatReading, PathLabel } from './types';
import { countText } from '../../format';

interface PlacedImage {
  path: string;
  split: Split | null;
  /** null: the image is not at class depth. */
  className: string | null;
}

interface FolderLayout {
  /** The one folder every image sits in, above any split and class level; null when there is none. */
  wrapper: string | null;
  images: PlacedImage[];
  /** Split folders as written (`train`, `valid`), in order of first appearance. */
  splitFolders: string[];
  classNames: Set<string>;
}

/** Places every image: one common wrapper folder removed, then a split folder when the next one is one, then the
 *  class folder, which must hold the image directly. */
function placeImages(imagePaths: readonly string[]): FolderLayout {
  const parts = imagePaths.map((p) => p.split('/'));
  const first = parts[0]?.[0];
  const wrapped =
    first !== undefined && isSplitFolder(first) === null && parts.every((segments) => segments.length >= 2 && segments[0] === first);
  const splitFolders: string[] = [];
  const classNames = new Set<string>();
  const images = parts.map((segments, i): PlacedImage => {
    let rest = wrapped ? segments.slice(1) : segments;
    let split: Split | null = null;
    if (rest.length >= 2) {
      split = isSplitFolder(rest[0]);
      if (split !== null) {
        if (!splitFolders.includes(rest[0])) splitFolders.push(rest[0]);
        rest = rest.slice(1);
      }
    }
    const className = rest.length === 2 ? rest[0] : null;
    if (className !== null) classNames.add(className);
    return { path: imagePaths[i], split, className };
  });
  return { wrapper: wrapped ? first : null, images, splitFolders, classNames };
}

/** Folder names a camera, phone or photo library writes: years and dates (`2023`, `2023-05-01 Paris`, `20230501`),
 *  long numbers, DCF folders (`100APPLE`, `101_PANA`), `DCIM`. Short numbers (`0` to `999`) are not among them:
 *  digit classes (MNIST written as folders) are a real class layout. */
const DEVICE_FOLDER = [
  /^(19|20)\d\d([-_.]?\d\d){0,2}([ _-].*)?$/,
  /^\d[\d\-_. ]{3,}$/,
  /^[1-9]\d\d[A-Z0-9_]{5}$/,
  /^(dcim|camera|camera roll)$/i,
];
/** Names a photo library gives its own folders; as a wrapper (`Photos/cats/`) they say nothing. */
const LIBRARY_FOLDER = /^(screenshots?|pictures|photos|photos from \d{4}|whatsapp images?)$/i;
const isDeviceFolder = (name: string) => DEVICE_FOLDER.some((re) => re.test(name));
const looksLikeCameraRoll = (layout: FolderLayout) =>
  (layout.wrapper !== null && isDeviceFolder(layout.wrapper)) ||
  [...layout.classNames].every((name) => isDeviceFolder(name) || LIBRARY_FOLDER.test(name));

const count = countText;

function detectFolders(listing: CollectionListing): Detection | null {
  const layout = placeImages(listing.imagePaths);
  const { images, classNames, splitFolders } = layout;
  if (images.length === 0 || classNames.size < 2) return null;
  if (images.some((image) => image.className === null)) return null;
  const withSplit = images.filter((image) => image.split !== null).length;
  if (withSplit !== 0 && withSplit !== images.length) return null; // two depths: not one class level
  if (looksLikeCameraRoll(layout)) return null;
  const splits =
    splitFolders.length > 0 ? ` (${splitFolders.map((s) => `${s}/`).join(', ')} split${splitFolders.length > 1 ? 's' : ''})` : '';
  return { format: 'folders', strength: 1, evidence: `${count(classNames.size)} class folders${splits}` };
}

function readFolders(listing: CollectionListing): FormatReading {
  const layout = placeImages(listing.imagePaths);
  const labels: PathLabel[] = [];
  const splits = new Map<string, Split>();
  const misplaced: string[] = [];
  for (const image of layout.images) {
    if (image.split !== null) splits.set(image.path, image.split);
    if (image.className === null) misplaced.push(image.path);
    else labels.push({ path: image.path, labelName: image.className, confidence: 1 });
  }
  const skipped: Skipped[] = [];
  if (misplaced.length > 0) {
    const expected = `${layout.wrapper === null ? '' : `${layout.wrapper}/`}${layout.splitFolders.length > 0 ? '[split/]' : ''}class/image`;
    const who = misplaced.length === 1 ? 'this image sits' : `this image and ${count(misplaced.length - 1)} others sit`;
    skipped.push({ id: misplaced[0], reason: `${who} outside a class folder (expected ${expected}): no label` });
  }
  return { labels, splits, classes: new Map(), skipped, used: [] };
}

export const folders: FormatReader = { format: 'folders', detect: detectFolders, read: readFolders };

function detectNone(listing: CollectionListing): Detection {
  return { format: 'none', strength: 0, evidence: `${count(listing.imagePaths.length)} images, no label files` };
}

/** No labels; an image keeps the split its nearest split-named folder states (a camera roll has none). */
function readNone(listing: CollectionListing): FormatReading {
  const splits = new Map<string, Split>();
  for (const path of listing.imagePaths) {
    const folders = path.split('/').slice(0, -1);
    for (let f = folders.length - 1; f >= 0; f--) {
      const split = isSplitFolder(folders[f]);
      if (split !== null) {
        splits.set(path, split);
        break;
      }
    }
  }
  return { labels: [], splits, classes: new Map(), skipped: [], used: [] };
}

export const none: FormatReader = { format: 'none', detect: detectNone, read: readNone };

// Browser-only image helpers for the workers: decode with createImageBitmap, draw on an OffscreenCanvas.
// Kept out of src/lib because they need a worker's graphics globals; the pixel math they feed is in src/lib.
import { fitInside, rgbaToInput } from '../src/lib/features/preprocess';
import { imageInfo } from '../src/lib/ingest/image-header';
import { colourPrint, luminance, perceptualHash, PHASH_SIDE } from '../src/lib/duplicates/phash';
import { getThumb, type Db } from '../src/lib/store/db';

export class DecodeError extends Error {}

async function decode(bytes: Uint8Array, options?: ImageBitmapOptions): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), options);
  } catch {
    throw new DecodeError('the file does not decode as an image');
  }
}

/** A JPEG decoded straight at the thumbnail's size (WebCodecs ImageDecoder: the decoder scales the DCT by 1/2, 1/4 or
 *  1/8), or null where that does not apply: another format, a rotated JPEG (its EXIF orientation is left to the full
 *  decode), or no ImageDecoder. */
async function jpegAtSize(bytes: Uint8Array, box: number) {
  const info = imageInfo(bytes);
  if (info?.type !== 'image/jpeg' || info.orientation !== 1 || typeof ImageDecoder === 'undefined') return null;
  const size = fitInside(info.width, info.height, box);
  const decoder = new ImageDecoder({ data: bytes, type: info.type, desiredWidth: size.width, desiredHeight: size.height });
  let frame: VideoFrame;
  try {
    frame = (await decoder.decode()).image;
  } catch {
    throw new DecodeError('the file does not decode as an image');
  } finally {
    decoder.close();
  }
  return { width: info.width, height: info.height, size, source: frame as CanvasImageSource & { close(): void } };
}

/** Decodes once, returns the original size and a small WebP thumbnail (aspect kept, longest side `box`). With
 *  `fast` (the default) a JPEG is decoded at the thumbnail's size (about twice as fast for photos). */
export async function makeThumbnail(bytes: Uint8Array, box: number, fast = true) {
  const scaled = fast ? await jpegAtSize(bytes, box) : null;
  if (scaled) {
    const canvas = new OffscreenCanvas(scaled.size.width, scaled.size.height);
    canvas.getContext('2d')!.drawImage(scaled.source, 0, 0, scaled.size.width, scaled.size.height);
    scaled.source.close();
    const blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
    return {
      width: scaled.width,
      height: scaled.height,
      thumb: { bytes: await blob.arrayBuffer(), type: blob.type, width: scaled.size.width, height: scaled.size.height },
    };
  }
  const full = await decode(bytes);
  const { width, height } = full;
  if (width === 0 || height === 0) {
    full.close();
    throw new DecodeError('the image has no pixels');
  }
  const size = fitInside(width, height, box);
  const canvas = new OffscreenCanvas(size.width, size.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(full, 0, 0, size.width, size.height);
  full.close();
  const blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
  return { width, height, thumb: { bytes: await blob.arrayBuffer(), type: blob.type, width: size.width, height: size.height } };
}

let canvas: OffscreenCanvas | null = null;

/** Decodes, stretches to px x px over white, and writes the model input into `out` at `offset`. */
export async function imageToInput(bytes: Uint8Array, px: number, out: Float32Array, offset: number): Promise<void> {
  const bitmap = await decode(bytes, { resizeWidth: px, resizeHeight: px, resizeQuality: 'high' });
  if (!canvas) canvas = new OffscreenCanvas(px, px);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.clearRect(0, 0, px, px);
  ctx.drawImage(bitmap, 0, 0, px, px);
  bitmap.close();
  rgbaToInput(ctx.getImageData(0, 0, px, px).data, px, out, offset);
}

/** An image's pHash and colour print (src/lib/duplicates/phash.ts), from one drawing at PHASH_SIDE x PHASH_SIDE. */
export interface ImagePrints {
  phash: number[];
  colour: Uint8Array;
}

const thumbPrints = new Map<string, ImagePrints | null>();
/** The prints of an image from its stored thumbnail, kept per content hash for the worker's life (null when it has
 *  none or it does not decode). The near-duplicate groups and the copy index of a search read them. */
export async function printsOfThumb(db: Db, hash: string): Promise<ImagePrints | null> {
  const known = thumbPrints.get(hash);
  if (known !== undefined) return known;
  const thumb = await getThumb(db, hash);
  const result = thumb ? await printsOf(new Blob([thumb.bytes], { type: thumb.type })) : null;
  thumbPrints.set(hash, result);
  return result;
}

/** The pHash of an image from its stored thumbnail (printsOfThumb). */
export async function perceptualHashOfThumb(db: Db, hash: string): Promise<number[] | null> {
  return (await printsOfThumb(db, hash))?.phash ?? null;
}

let hashCanvas: OffscreenCanvasRenderingContext2D | null = null;

/** The pHash and colour print of an encoded image drawn at PHASH_SIDE x PHASH_SIDE; null when it does not decode. */
export async function printsOf(image: Blob): Promise<ImagePrints | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(image);
  } catch {
    return null;
  }
  hashCanvas ??= new OffscreenCanvas(PHASH_SIDE, PHASH_SIDE).getContext('2d', { willReadFrequently: true });
  const ctx = hashCanvas!;
  ctx.imageSmoothingQuality = 'high';
  ctx.clearRect(0, 0, PHASH_SIDE, PHASH_SIDE); // a transparent image must not show the one drawn before
  ctx.drawImage(bitmap, 0, 0, PHASH_SIDE, PHASH_SIDE);
  bitmap.close();
  const pixels = ctx.getImageData(0, 0, PHASH_SIDE, PHASH_SIDE).data;
  return { phash: perceptualHash(luminance(pixels)), colour: colourPrint(pixels) };
}

/** The perceptual hash of an encoded image (printsOf); null when it does not decode. */
export async function perceptualHashOf(image: Blob): Promise<number[] | null> {
  return (await printsOf(image))?.phash ?? null;
}

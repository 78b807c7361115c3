// Browser-only image helpers for the workers: decode with createImageBitmap, draw on an OffscreenCanvas.
// Kept out of src/lib because they need a worker's graphics globals; the pixel math they feed is in src/lib.
import { fitInside, rgbaToInput } from '../src/lib/features/preprocess';

export class DecodeError extends Error {}

async function decode(bytes: Uint8Array, options?: ImageBitmapOptions): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), options);
  } catch {
    throw new DecodeError('the file does not decode as an image');
  }
}

/** Decodes once, returns the original size and a small WebP thumbnail (aspect kept, longest side `box`). */
export async function makeThumbnail(bytes: Uint8Array, box: number) {
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

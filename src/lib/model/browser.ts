// `openModel` for any page (built to dist-model/simage-model.js: one ES module, tfjs inside). Encoded images are
// decoded and resized exactly as simage's own page does it (workers/pixels.ts: createImageBitmap, Chromium's 'high'
// resize, over white); decoded pixels ({ data, width, height }) are resized by src/lib/features/resize.ts. A file
// without the base network reads it from a simage deployment (`simageBase`, by default this page's folder).
import * as tf from '@tensorflow/tfjs';
import { imageToInput, perceptualHashOf } from '../../../workers/pixels';
import { rgbaToInput } from '../features/preprocess';
import { resizeArea, resizeBilinear } from '../features/resize';
import { luminance, perceptualHash, PHASH_SIDE } from '../duplicates/phash';
import { MODEL_SPECS, isFeatureModelName } from '../features/model';
import { readExtractorFiles } from '../features/extractor-files';
import { ModelFileError } from '../retrieval/modelfile';
import { openWith, type OpenedModel, type Platform } from './core';

export type { OpenedModel, Neighbour, Label, QueryOptions, ImageInput } from './core';
export { ModelFileError };

function browserPlatform(simageBase: string): Platform {
  return {
    async prepare(image, px) {
      const input = new Float32Array(px * px * 3);
      if (image instanceof Uint8Array) {
        try {
          await imageToInput(image, px, input, 0);
        } catch {
          return null;
        }
        return { input, phash: await perceptualHashOf(new Blob([image as Uint8Array<ArrayBuffer>])) };
      }
      rgbaToInput(resizeBilinear(image, px, px), px, input, 0);
      return { input, phash: perceptualHash(luminance(resizeArea(image, PHASH_SIDE, PHASH_SIDE))) };
    },
    async extractor(name) {
      if (!isFeatureModelName(name)) throw new ModelFileError(`This model file names a base network (${name}) this library does not know.`);
      return readExtractorFiles(async (path) => {
        const response = await fetch(new URL(path, simageBase));
        if (!response.ok)
          throw new ModelFileError(
            `This model file does not hold its base network, and ${new URL(path, simageBase).href} answered ${response.status}. Export it again with "with the base network" ticked, or pass simageBase.`,
          );
        return new Uint8Array(await response.arrayBuffer());
      }, MODEL_SPECS[name].path);
    },
  };
}

/** Opens a model file's bytes for answering images, on the page's default tfjs backend (or the one named). */
export async function openModel(
  bytes: Uint8Array | ArrayBuffer | Blob,
  options: { backend?: string; simageBase?: string } = {},
): Promise<OpenedModel> {
  if (options.backend && !(await tf.setBackend(options.backend)))
    throw new Error(`The tfjs ${options.backend} backend does not start here.`);
  await tf.ready();
  return openWith(bytes, browserPlatform(options.simageBase ?? new URL('./', location.href).href));
}

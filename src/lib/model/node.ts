// `openModel` for Node (`npm run query`, `import { openModel } from 'simage/model'`): images decoded by the Squoosh
// codecs (@jsquash/jpeg, png, webp: WebAssembly, nothing native to build; docs/MODEL-FILE.md says why), oriented and
// resized by src/lib/features/resize.ts, the base network run on tfjs's WASM backend. A file without the base network
// reads it from this simage's install (public/models, written by npm install).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import decodeJpeg, { init as initJpeg } from '@jsquash/jpeg/decode.js';
import decodePng, { init as initPng } from '@jsquash/png/decode.js';
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js';
import { imageInfo } from '../ingest/image-header';
import { rgbaToInput } from '../features/preprocess';
import { orient, resizeArea, resizeBilinear, type Rgba } from '../features/resize';
import { luminance, perceptualHash, PHASH_SIDE } from '../duplicates/phash';
import { MODEL_SPECS, isFeatureModelName } from '../features/model';
import { readExtractorFiles } from '../features/extractor-files';
import { ModelFileError } from '../retrieval/modelfile';
import { openWith, type OpenedModel, type Platform } from './core';

export type { OpenedModel, Neighbour, Label, QueryOptions, ImageInput } from './core';
export { ModelFileError };

let codecs: Promise<void> | null = null;
/** Compiles the three decoders once (Node has no fetch of file URLs, so each gets its module). */
function startCodecs(): Promise<void> {
  const wasm = async (specifier: string) => WebAssembly.compile(await readFile(fileURLToPath(import.meta.resolve(specifier))));
  codecs ??= (async () => {
    await initJpeg(await wasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
    await initWebp(await wasm('@jsquash/webp/codec/dec/webp_dec.wasm'));
    await initPng(await wasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'));
  })();
  return codecs;
}

/** Decodes a JPEG, PNG or WebP file to RGBA with its EXIF orientation applied (as the browser does); null when it does not decode. */
export async function decodeImage(bytes: Uint8Array): Promise<Rgba | null> {
  const info = imageInfo(bytes);
  if (!info) return null;
  await startCodecs();
  const buffer = bytes.slice().buffer;
  try {
    const image =
      info.type === 'image/jpeg'
        ? await decodeJpeg(buffer)
        : info.type === 'image/png'
          ? await decodePng(buffer)
          : info.type === 'image/webp'
            ? await decodeWebp(buffer)
            : null;
    if (!image || image.width < 1 || image.height < 1) return null;
    return orient({ data: image.data, width: image.width, height: image.height }, info.orientation);
  } catch {
    return null;
  }
}

/** The folder simage serves from (its public/, where npm install writes the feature models). */
function simageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'public', 'models'))) return join(dir, 'public');
    if (dirname(dir) === dir) return '';
  }
}

export const nodePlatform: Platform = {
  async prepare(image, px) {
    const rgba = image instanceof Uint8Array ? await decodeImage(image) : image;
    if (!rgba) return null;
    const input = new Float32Array(px * px * 3);
    rgbaToInput(resizeBilinear(rgba, px, px), px, input, 0);
    return { input, phash: perceptualHash(luminance(resizeArea(rgba, PHASH_SIDE, PHASH_SIDE))) };
  },
  async extractor(name) {
    const root = simageRoot();
    if (!isFeatureModelName(name) || !root)
      throw new ModelFileError(
        `This model file does not hold its base network (${name}), and no simage install with it is here. Export it again with "with the base network" ticked (--with-extractor).`,
      );
    return readExtractorFiles(async (path) => new Uint8Array(await readFile(join(root, path))), MODEL_SPECS[name].path);
  },
};

/** Opens a model file's bytes for answering images, on tfjs's WASM backend (or the one named). */
export async function openModel(bytes: Uint8Array | ArrayBuffer | Blob, options: { backend?: 'wasm' | 'cpu' } = {}): Promise<OpenedModel> {
  const backend = options.backend ?? 'wasm';
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`The tfjs ${backend} backend does not start here.`);
  await tf.ready();
  return openWith(bytes, nodePlatform);
}

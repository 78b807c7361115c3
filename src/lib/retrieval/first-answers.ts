// Answers from the first feature: before a net is trained (while features are computed, the labels embedded and the
// net trained), a click ranks the images whose features are stored by raw-feature cosine ("look-alike"). The index
// grows with the run: before answering, it reads the features of images it does not hold yet when the caller says
// more are stored than it holds, and the clicked image's own features whenever it lacks them. No TensorFlow.js, no
// DOM: the query worker wires it to messages, and Node tests run it on fake-indexeddb.
import { ShardError } from '../errors';
import { getFeatures, listShardImages, type Db } from '../store/db';
import { LookAlikeIndex } from './look-alike';
import type { Found } from './label-index';
import type { FeatureLayer } from './train-settings';

/** Where the stored features come from (db.ts in the worker; anything in a test). */
export interface FeatureReader {
  /** The collection's images, in its order. */
  images(shardId: string): Promise<readonly { imageId: string; hash: string }[]>;
  /** The stored features of the layer for these content hashes, null where there are none yet. */
  features(featureModelId: string, hashes: readonly string[], layer: FeatureLayer): Promise<(Float32Array | null)[]>;
}

export interface FirstAnswerRequest {
  shardId: string;
  featureModelId: string;
  layer: FeatureLayer;
  /** How many images the collection has: a collection loaded again with other images starts a new index. */
  images: number;
  imageId: string;
  k: number;
  /** How many of the collection's images have stored features, as far as the caller knows: the index reads more
   *  when it holds fewer. */
  stored: number;
}

export interface FirstAnswer {
  results: Found[];
  /** Images the answer was ranked among. */
  indexed: number;
  ms: number;
}

const BATCH = 512;

export class FirstAnswers {
  private held: {
    key: string;
    images: Map<string, string>;
    /** Images whose features were not stored when last looked for, in the collection's order. */
    missing: { imageId: string; hash: string }[];
    index: LookAlikeIndex | null;
  } | null = null;

  constructor(private readonly reader: FeatureReader) {}

  async answer(req: FirstAnswerRequest): Promise<FirstAnswer> {
    const t0 = performance.now();
    const key = JSON.stringify([req.shardId, req.images, req.featureModelId, req.layer]);
    if (this.held?.key !== key) {
      const images = await this.reader.images(req.shardId);
      this.held = { key, images: new Map(images.map((im) => [im.imageId, im.hash])), missing: [...images], index: null };
    }
    const held = this.held;
    const hash = held.images.get(req.imageId);
    if (hash === undefined) throw new ShardError(`There is no image “${req.imageId}” in this collection.`);
    if (!held.index?.rowOfImage(req.imageId)) {
      const [own] = await this.reader.features(req.featureModelId, [hash], req.layer);
      if (!own) throw new ShardError('This image has no features yet: click one that has (they are computed in order), or wait a moment.');
      this.add(held, [req.imageId], [own]);
    }
    await this.catchUp(held, req);
    const index = held.index!;
    return { results: index.search(index.rowOfImage(req.imageId)!, req.k, req.imageId), indexed: index.size, ms: performance.now() - t0 };
  }

  /** Reads the missing images' features, a batch at a time from the first, until the index holds as many as are
   *  stored or a batch finds none (features are computed in the collection's order, so the rest are not there yet). */
  private async catchUp(held: NonNullable<FirstAnswers['held']>, req: FirstAnswerRequest): Promise<void> {
    let at = 0;
    const still: { imageId: string; hash: string }[] = [];
    while (at < held.missing.length && (held.index?.size ?? 0) < req.stored) {
      const part = held.missing.slice(at, at + BATCH);
      at += part.length;
      const rows = await this.reader.features(
        req.featureModelId,
        part.map((im) => im.hash),
        req.layer,
      );
      const found = part.flatMap((im, i) => (rows[i] ? [i] : []));
      for (const [i, im] of part.entries()) if (!rows[i] && !held.index?.rowOfImage(im.imageId)) still.push(im);
      this.add(
        held,
        found.map((i) => part[i].imageId),
        found.map((i) => rows[i]!),
      );
      if (found.length === 0) break;
    }
    if (at > 0) held.missing = [...still, ...held.missing.slice(at)];
  }

  private add(held: NonNullable<FirstAnswers['held']>, ids: string[], rows: Float32Array[]): void {
    if (ids.length === 0) return;
    const dim = rows[0].length;
    const keep = rows.flatMap((r, i) => (r.length === dim ? [i] : []));
    const features = new Float32Array(keep.length * dim);
    keep.forEach((i, j) => features.set(rows[i], j * dim));
    const keptIds = keep.map((i) => ids[i]);
    if (!held.index) held.index = new LookAlikeIndex(keptIds, features, dim);
    else if (dim === held.index.dim) held.index.add(keptIds, features);
  }
}

/** The reader over the app's IndexedDB (db.ts), for the query worker and Node tests on fake-indexeddb. */
export function storedFeatures(db: () => Promise<Db>): FeatureReader {
  return {
    images: async (shardId) => (await listShardImages(await db(), shardId)).map((im) => ({ imageId: im.imageId, hash: im.hash })),
    features: async (featureModelId, hashes, layer) =>
      (await getFeatures(await db(), featureModelId, hashes)).map((r) =>
        r ? new Float32Array(layer === 'flatten' ? r.flatten : r.mixed7) : null,
      ),
  };
}

// A feature model's files (model.json and its weight shards, as scripts/prepare-assets.mjs writes them) read through
// any reader: fetch in the page's workers, the file system in Node. Pure apart from the reader. The model file
// (src/lib/retrieval/modelfile.ts) names the base network by the SHA-256 of these weight bytes, and may embed them.
import { contentHash } from '../hash';
import type { FeatureModelSpec } from './model';
import type { ExtractorRecord, PreprocessRecord } from '../retrieval/modelfile';
import type { FeatureLayer } from '../retrieval/train-settings';

export interface ExtractorFiles {
  /** model.json with one weights group whose single path is 'weights.bin'. */
  modelJson: { simage?: { modelId?: string; weightsSha256?: string }; weightsManifest: { paths: string[]; weights: unknown[] }[] } & Record<
    string,
    unknown
  >;
  weights: Uint8Array;
  sha256: string;
}

/** Reads model.json (path relative to the reader's root) and its shards, in order, as one weights buffer. */
export async function readExtractorFiles(read: (path: string) => Promise<Uint8Array>, modelJsonPath: string): Promise<ExtractorFiles> {
  const json = JSON.parse(new TextDecoder().decode(await read(modelJsonPath))) as ExtractorFiles['modelJson'];
  const dir = modelJsonPath.slice(0, modelJsonPath.lastIndexOf('/') + 1);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const parts = await Promise.all(paths.map((p) => read(dir + p)));
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (weights.set(p, o), o + p.length), 0);
  const modelJson = { ...json, weightsManifest: [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }] };
  return { modelJson, weights, sha256: await contentHash(weights) };
}

/** The base network's record in a model file (its weights' digest is computed, never trusted from model.json). */
export function extractorRecord(spec: FeatureModelSpec, files: ExtractorFiles, layer: FeatureLayer, embedded: boolean): ExtractorRecord {
  return {
    name: spec.name,
    modelId: files.modelJson.simage?.modelId ?? spec.name,
    weightsSha256: files.sha256,
    layerName: spec.layerNames[layer],
    embedded,
  };
}

/** The page's preprocessing (src/lib/features/preprocess.ts, workers/pixels.ts), as a model file records it. */
export function preprocessRecord(spec: FeatureModelSpec): PreprocessRecord {
  return { inputPx: spec.inputPx, resize: 'stretch', orientation: 'exif', alpha: 'over-white', scale: '0-1', channels: 'rgb' };
}

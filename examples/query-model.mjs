#!/usr/bin/env node
// Loads a model file exported by simage ("Export model") in Node with @tensorflow/tfjs and ranks its references for
// one query feature vector. Usage: node examples/query-model.mjs <model.zip> <features.json>
// features.json: an array of numbers, the query image's Inception v3 features of the layer the manifest names
// (manifest.layer: 'flatten' = flatten_1, 2048 values; 'mixed7' = GAP(mixed7), 768 values), as simage computes them.
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { BlobReader, Uint8ArrayWriter, ZipReader, configure } from '@zip.js/zip.js';

configure({ useWebWorkers: false });
const [zipPath, featuresPath] = process.argv.slice(2);
if (!zipPath || !featuresPath) {
  console.error('usage: node examples/query-model.mjs <model.zip> <features.json>');
  process.exit(2);
}
const zip = new ZipReader(new BlobReader(new Blob([await readFile(zipPath)])));
const files = Object.fromEntries(
  await Promise.all((await zip.getEntries()).map(async (e) => [e.filename, await e.getData(new Uint8ArrayWriter())])),
);
const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
const modelJson = JSON.parse(new TextDecoder().decode(files['model.json']));
const model = await tf.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData: files['weights.bin'].slice().buffer,
  }),
);
const features = JSON.parse(await readFile(featuresPath, 'utf8'));
if (features.length !== manifest.featureDim)
  throw new Error(`expected ${manifest.featureDim} features (${manifest.layer}), got ${features.length}`);
const scores = tf.tidy(() => {
  const pred = model.predict(tf.tensor2d(features, [1, manifest.featureDim]));
  if (manifest.head === 'sets') return pred.squeeze(); // one sigmoid output per reference
  const refs = tf.tensor2d(new Float32Array(files['references.bin'].slice().buffer), [manifest.references.length, manifest.targetDim]);
  if (manifest.target === 'svd') return tf.matMul(pred.div(pred.norm()), refs, false, true).squeeze(); // cosine
  return tf.neg(tf.sum(tf.square(tf.sub(refs, pred)), 1)); // 'layout': minus the squared distance
});
const { values, indices } = tf.topk(scores, Math.min(manifest.k, manifest.references.length));
const v = await values.data();
const ranked = Array.from(await indices.data(), (i, r) => ({ imageId: manifest.references[i], score: v[r] }));
console.log(JSON.stringify({ head: manifest.head, shard: manifest.shard.name, results: ranked }));

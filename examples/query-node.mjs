#!/usr/bin/env node
// A model file exported by simage answers images in Node, with no browser and no app around it.
//   node examples/query-node.mjs MODEL.simage-model.zip IMAGE...
// `simage/model` is this package's library (src/lib/model, built by npm install); outside this checkout, install
// simage and import it the same way. A file exported "with the base network" needs nothing else.
import { readFile } from 'node:fs/promises';
import { openModel } from 'simage/model';

const [modelPath, ...images] = process.argv.slice(2);
if (!modelPath || images.length === 0) {
  console.error('usage: node examples/query-node.mjs MODEL.simage-model.zip IMAGE...');
  process.exit(2);
}
let model;
try {
  model = await openModel(await readFile(modelPath));
} catch (err) {
  console.error(err.message); // one sentence: a damaged or foreign file, other base-network weights
  process.exit(1);
}
const { shard, references, extractor } = model.manifest;
console.error(`${shard.name}: ${references.length} references, features by ${extractor.modelId}`);

for (const file of images) {
  // The ten nearest images of the collection, and the image's predicted labels.
  const { neighbours, labels } = await model.query(await readFile(file), { top: 10 });
  console.log(file);
  for (const [rank, n] of neighbours.entries()) console.log(`  ${rank + 1}. ${n.id} (${n.score.toFixed(3)})`);
  console.log(
    `  labels: ${labels
      .slice(0, 5)
      .map((l) => `${l.name} ${l.score.toFixed(2)}`)
      .join(', ')}`,
  );
}
// Label words alone: images most like the first label, as the page's label search does.
const first = model.manifest.vocabulary[0];
if (first && model.manifest.labelSpace) {
  console.log(`like "${first}": ${(await model.queryLabels([first], [], { top: 3 })).map((n) => n.id).join(', ')}`);
}
model.dispose();

#!/usr/bin/env node
// Builds the model file's library (src/lib/model) as `simage/model` (package.json "exports"), run by npm install:
//   dist-model/node.js          for Node: the Squoosh decoders, tfjs and zip.js stay imports of node_modules;
//   dist-model/simage-model.js  for any page: one ES module with everything inside (tfjs included), minified.
// rolldown (already the bench's bundler) does both in a few seconds. examples/ use them.
import { build } from 'rolldown';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-model');
const t0 = Date.now();
await build({
  input: join(root, 'src/lib/model/node.ts'),
  platform: 'node',
  external: [/^@tensorflow\//, /^@zip\.js\//, /^@jsquash\//, /^node:/],
  output: { file: join(out, 'node.js'), format: 'esm' },
  logLevel: 'warn',
});
await build({
  input: join(root, 'src/lib/model/browser.ts'),
  platform: 'browser',
  output: { file: join(out, 'simage-model.js'), format: 'esm', minify: true },
  logLevel: 'warn',
});
process.stderr.write(`[build-model] dist-model/node.js and dist-model/simage-model.js in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

#!/usr/bin/env node
// Install-time asset builder (npm postinstall). Writes, from npm packages only, never the network:
//   public/models/inception-v3/   model.json + weight shards (from the nsfwjs package's Inception v3 data)
//   public/models/mobilenet-v2/   the same from its MobileNetV2 data (the fast feature model)
//   public/shards/demo-small/     ~500 emoji images (Google + Twitter), labels.csv, classes.csv, split.csv, manifest.json
//   public/shards/demo/           all ~7,500 emoji images of both vendors, same files
//   public/tfjs-wasm/             the tfjs WASM backend binaries, served beside the app
//   public/icons/                 the web app manifest's icons (scripts/icons.mjs draws them)
// Invariant: every output is a pure function of the installed package versions; a stamp file records them, so a
// second install with the same versions does nothing. Nothing of nsfwjs's code is copied: its model modules are
// evaluated as data (model topology + base64 weight strings) and re-emitted as the standard TF.js layers format.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, copyFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeIcons } from './icons.mjs';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pub = join(root, 'public');
const log = (msg) => process.stderr.write(`[prepare-assets] ${msg}\n`);

// Some packages (nsfwjs) do not export their package.json, so look the folder up the way Node installs it.
function pkgDir(name) {
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`package ${name} is not installed`);
  }
}
function pkgVersion(name) {
  return JSON.parse(readFileSync(join(pkgDir(name), 'package.json'), 'utf8')).version;
}

function stampMatches(dir, stamp) {
  const file = join(dir, '.stamp.json');
  return existsSync(file) && readFileSync(file, 'utf8') === JSON.stringify(stamp);
}
function writeStamp(dir, stamp) {
  writeFileSync(join(dir, '.stamp.json'), JSON.stringify(stamp));
}

// ---------------------------------------------------------------------------------------------------------------
// The feature models: each keeps its graph up to its last pooled layer (`top`, the feature record's `flatten`
// role), adds a GlobalAveragePooling2D on a middle layer (`mid`, the `mixed7` role) as a second output, and drops
// the classifier head and its weights (src/lib/features/model.ts has the same facts for the app).
//   Inception v3: flatten_1 (2048-d, GAP of mixed10) and GAP(mixed7) (768-d).
//   MobileNetV2:  flatten_1 (1280-d, the 7x7 average pool of out_relu) and GAP(block_13_expand_relu) (576-d).
//     nsfwjs marks every layer up to block_10 as not trainable (ImageNet weights); block_11 on was fine-tuned
//     with SGD at learning rate 9e-7, so those stay close to ImageNet's too. docs/METHODS.md gives the measure
//     behind the choice of layers.
const FEATURE_MODELS = [
  {
    name: 'inception-v3',
    source: 'inception_v3',
    top: 'flatten_1',
    mid: 'mixed7',
    gap: 'mixed7_gap',
    dims: { flatten_1: 2048, mixed7: 768 },
    inputPx: 299,
  },
  {
    name: 'mobilenet-v2',
    source: 'mobilenet_v2',
    top: 'flatten_1',
    mid: process.env.SIMAGE_MOBILENET_MID ?? 'block_13_expand_relu',
    gap: 'block_13_expand_gap',
    dims: { flatten_1: 1280, block_13_expand: 576 },
    inputPx: 224,
  },
];
/** The middle layers the app is built for (SIMAGE_MOBILENET_MID, for measuring others, changes the cache id too). */
const FEATURE_MODELS_MID = { 'inception-v3': 'mixed7', 'mobilenet-v2': 'block_13_expand_relu' };
const WEIGHT_BYTES = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };
const SHARD_BYTES = 4 * 1024 * 1024;

function prepareModel(spec) {
  const out = join(pub, 'models', spec.name);
  const stamp = { nsfwjs: pkgVersion('nsfwjs'), format: 4, mid: spec.mid };
  if (stampMatches(out, stamp)) return log(`${spec.name} up to date`);
  const base = pkgDir('nsfwjs');
  const modelDir = join(base, 'dist', 'models', spec.source);
  if (!existsSync(modelDir)) throw new Error(`nsfwjs ${stamp.nsfwjs} has no dist/models/${spec.source}`);
  const source = require(join(modelDir, 'model.min.js'));
  const topology = structuredClone(source.modelTopology);
  const manifest = source.weightsManifest[0];
  const weightBytes = Buffer.concat(manifest.paths.map((p) => Buffer.from(require(join(modelDir, `${p}.min.js`)), 'base64')));

  const config = topology.model_config.config;
  const cut = config.layers.findIndex((l) => l.name === spec.top);
  if (cut < 0 || !config.layers.some((l) => l.name === spec.mid)) throw new Error(`unexpected ${spec.name} topology`);
  const kept = config.layers.slice(0, cut + 1);
  kept.push({
    name: spec.gap,
    class_name: 'GlobalAveragePooling2D',
    config: { name: spec.gap, trainable: false, data_format: 'channels_last' },
    inbound_nodes: [[[spec.mid, 0, 0, {}]]],
  });
  config.layers = kept;
  config.output_layers = [spec.top, spec.gap].map((n) => [n, 0, 0]);
  delete topology.training_config;
  const keptNames = new Set(kept.map((l) => l.name));

  // Walk the packed weights in manifest order; keep those whose layer survives.
  const keptSpecs = [];
  const parts = [];
  let offset = 0;
  for (const w of manifest.weights) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    const size = w.shape.reduce((a, b) => a * b, 1) * WEIGHT_BYTES[dtype];
    if (keptNames.has(w.name.split('/')[0])) {
      keptSpecs.push(w);
      parts.push(weightBytes.subarray(offset, offset + size));
    }
    offset += size;
  }
  if (offset !== weightBytes.length) throw new Error(`${spec.name}: weight size mismatch: ${offset} != ${weightBytes.length}`);
  const packed = Buffer.concat(parts);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const paths = [];
  for (let i = 0; i * SHARD_BYTES < packed.length; i++) {
    const name = `group1-shard${i + 1}of${Math.ceil(packed.length / SHARD_BYTES)}.bin`;
    writeFileSync(join(out, name), packed.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES));
    paths.push(name);
  }
  writeFileSync(
    join(out, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      generatedBy: `simage scripts/prepare-assets.mjs from nsfwjs@${stamp.nsfwjs} (MIT)`,
      // The feature cache is keyed by this id: new weights must never be mixed with features of old ones.
      simage: {
        modelId: `${spec.name}@nsfwjs-${stamp.nsfwjs}${spec.mid === FEATURE_MODELS_MID[spec.name] ? '' : `+${spec.mid}`}`,
        outputs: spec.dims,
        inputPx: spec.inputPx,
        // A model file names the base network by this digest of its weights (the shards' bytes in order); a loader
        // given other weights refuses it (src/lib/model).
        weightsSha256: createHash('sha256').update(packed).digest('hex'),
      },
      modelTopology: topology,
      weightsManifest: [{ paths, weights: keptSpecs }],
    }),
  );
  writeStamp(out, stamp);
  log(`${spec.name}: ${keptSpecs.length} weight tensors, ${(packed.length / 1e6).toFixed(1)} MB in ${paths.length} files`);
}

// ---------------------------------------------------------------------------------------------------------------
// Demo shards from emoji images. ImageID = <vendor>_<code points>. Labels: each CLDR keyword tag of the emoji
// (Confidence 1), its subgroup (0.8) and its group (0.5); skin-tone variants also get their tone (1).
// split.csv: Google images train, Twitter images validation.
const VENDORS = ['google', 'twitter'];
const csvField = (s) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const normHex = (h) =>
  h
    .toUpperCase()
    .split('-')
    .filter((c) => c !== 'FE0F')
    .join('-');

function emojiLabels() {
  const data = JSON.parse(readFileSync(join(pkgDir('emojibase-data'), 'en', 'data.json'), 'utf8'));
  const messages = JSON.parse(readFileSync(join(pkgDir('emojibase-data'), 'en', 'messages.json'), 'utf8'));
  const groups = new Map(messages.groups.map((g) => [g.order, g]));
  const subgroups = new Map(messages.subgroups.map((g) => [g.order, g]));
  const tones = new Map(messages.skinTones.map((t, i) => [t.order ?? i + 1, t]));
  const byHex = new Map();
  for (const e of data) {
    const base = { tags: e.tags ?? [], group: groups.get(e.group), subgroup: subgroups.get(e.subgroup), label: e.label };
    byHex.set(normHex(e.hexcode), base);
    for (const s of e.skins ?? []) {
      const tone = Array.isArray(s.tone) ? s.tone : [s.tone];
      byHex.set(normHex(s.hexcode), { ...base, label: s.label, tones: tone.map((t) => tones.get(t)).filter(Boolean) });
    }
  }
  return byHex;
}

function prepareShards() {
  const stamp = Object.fromEntries(['emojibase-data', ...VENDORS.map((v) => `emoji-datasource-${v}`)].map((n) => [n, pkgVersion(n)]));
  stamp.format = 2;
  const targets = [
    { name: 'demo', every: 1 },
    { name: 'demo-small', every: 15 },
  ];
  if (targets.every((t) => stampMatches(join(pub, 'shards', t.name), stamp))) return log('demo shards up to date');
  const byHex = emojiLabels();
  // Images both vendors have, in code-point order, so demo-small pairs each Google image with its Twitter twin.
  const files = VENDORS.map((v) => {
    const dir = join(pkgDir(`emoji-datasource-${v}`), 'img', v, '64');
    return { vendor: v, dir, names: new Set(readdirSync(dir).filter((f) => f.endsWith('.png'))) };
  });
  const common = [...files[0].names].filter((n) => files.every((f) => f.names.has(n))).sort();
  for (const target of targets) {
    const out = join(pub, 'shards', target.name);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(join(out, 'images'), { recursive: true });
    const labelRows = ['ImageID,Source,LabelName,Confidence'];
    const splitRows = ['ImageID,Split'];
    const classes = new Map();
    const manifestFiles = ['labels.csv', 'classes.csv', 'split.csv'];
    let images = 0;
    const chosen = common.filter((_, i) => i % target.every === 0);
    for (const { vendor, dir } of files) {
      for (const file of chosen) {
        const hex = file.replace(/\.png$/, '');
        const id = `${vendor}_${hex}`;
        const rel = `images/${vendor}/${id}.png`;
        mkdirSync(join(out, 'images', vendor), { recursive: true });
        copyFileSync(join(dir, file), join(out, rel));
        manifestFiles.push(rel);
        images++;
        splitRows.push(`${id},${vendor === 'google' ? 'train' : 'validation'}`);
        const meta = byHex.get(normHex(hex));
        if (!meta) continue; // no CLDR data: an unlabelled image, which the contract allows
        const add = (name, display, conf) => {
          classes.set(name, display);
          labelRows.push(`${id},emojibase,${csvField(name)},${conf}`);
        };
        for (const tag of new Set(meta.tags)) add(`/t/${tag}`, tag, 1);
        for (const tone of meta.tones ?? []) add(`/tone/${tone.key}`, tone.message, 1);
        if (meta.subgroup) add(`/s/${meta.subgroup.key}`, meta.subgroup.message, 0.8);
        if (meta.group) add(`/g/${meta.group.key}`, meta.group.message, 0.5);
      }
    }
    writeFileSync(join(out, 'labels.csv'), labelRows.join('\n') + '\n');
    writeFileSync(join(out, 'split.csv'), splitRows.join('\n') + '\n');
    writeFileSync(
      join(out, 'classes.csv'),
      ['LabelName,DisplayName', ...[...classes].map(([k, v]) => `${csvField(k)},${csvField(v)}`)].join('\n') + '\n',
    );
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ name: target.name, files: manifestFiles }));
    writeStamp(out, stamp);
    log(`shard ${target.name}: ${images} images, ${labelRows.length - 1} label rows, ${classes.size} labels`);
  }
}

function prepareWasm() {
  const out = join(pub, 'tfjs-wasm');
  const dir = join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(dir, f), join(out, f));
  log('tfjs wasm binaries copied');
}

try {
  mkdirSync(pub, { recursive: true });
  for (const spec of FEATURE_MODELS) prepareModel(spec);
  prepareShards();
  prepareWasm();
  writeIcons(join(pub, 'icons'));
} catch (err) {
  log(`failed: ${err.stack ?? err}`);
  process.exit(1);
}

// Which features and head retrieve best, chosen honestly (issue "Results you can trust"): every lever is trained
// exactly as the training worker trains (assembleTask, trainHead, evaluateRetrieval, on TensorFlow.js WASM in Node)
// on a project file's stored features and label embedding, and scored on the hold-out (where a choice may be made)
// and on the reported validation queries (which choose nothing), at k = 100 and k = 10, with 95% bootstrap
// intervals. Node, one thread.
//   npm run pipeline -- COLLECTION --export-project P.simage      (features of one or both models, the embedding)
//   npx tsx bench/levers.ts P.simage [--only name,name] [--json out.json]
// Levers: layers joined, the other model and both models joined, per-dimension standardisation and PCA whitening
// (fitted on the trained images only), the head's width and depth, the listwise loss, and the net's score mixed
// with raw-feature cosine (the mix chosen on the hold-out).
import 'fake-indexeddb/auto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { importProject } from '../src/lib/project/project';
import { featureModelsFor, listEmbeddings, listShardImages, listShards, openSimageDb, getFeatures } from '../src/lib/store/db';
import { assembleTask, type AssembledTask } from '../src/lib/retrieval/data';
import { evaluateRetrieval } from '../src/lib/retrieval/evaluate';
import { DEFAULT_TRAIN, featureKnn, featureReferences, rank, setReferences, trainHead, type Retriever } from '../src/lib/retrieval/heads';
import { evaluateRankings, topK, type RetrievalTask } from '../src/lib/retrieval/metrics';
import { speedUpWasmMatMul } from '../src/lib/retrieval/wasm-matmul';
import { seededRandom } from '../src/lib/random';
import type { TrainSettings } from '../src/lib/retrieval/train-settings';
import { fitTransform, type FeatureTransform } from '../src/lib/retrieval/transform';
import { mixedEvaluation, type MixedEvaluation } from '../src/lib/retrieval/hubness';
import { predictVectors } from '../src/lib/retrieval/heads';
import { minusQueries, remapSpace, subRows } from '../src/lib/retrieval/label-eval';
import { meanRow, projectLabels, unit } from '../src/lib/retrieval/tagging';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' }, json: { type: 'string' }, seed: { type: 'string', default: '1' } },
});
const log = (s: string) => process.stderr.write(`[levers] ${s}\n`);
if (positionals.length !== 1) {
  log('usage: npx tsx bench/levers.ts PROJECT.simage [--only a,b] [--json out.json]');
  process.exit(2);
}

await tf.setBackend('wasm');
speedUpWasmMatMul();
const db = await openSimageDb('levers');
await importProject(db, new Blob([await readFile(positionals[0])]));
const [shard] = await listShards(db);
const images = await listShardImages(db, shard.shardId);
const [emb] = await listEmbeddings(db, shard.shardId);
const models = [...(await featureModelsFor(db, new Set(images.map((im) => im.hash)))).keys()];
const inception = models.find((m) => m.startsWith('inception'));
const mobilenet = models.find((m) => m.startsWith('mobilenet'));
log(`${shard.name}: ${images.length} images, feature models ${models.join(', ')}`);

type Part = { model: string; layer: 'flatten' | 'mixed7' };
const cache = new Map<string, Map<string, Float32Array>>();
async function featuresOf(parts: Part[]): Promise<{ features: Map<string, Float32Array>; dim: number }> {
  const maps: Map<string, Float32Array>[] = [];
  for (const p of parts) {
    const key = `${p.model}/${p.layer}`;
    if (!cache.has(key)) {
      const recs = await getFeatures(
        db,
        p.model,
        images.map((im) => im.hash),
      );
      const m = new Map<string, Float32Array>();
      recs.forEach((r, i) => r && m.set(images[i].hash, new Float32Array(p.layer === 'flatten' ? r.flatten : r.mixed7)));
      cache.set(key, m);
    }
    maps.push(cache.get(key)!);
  }
  const dim = maps.reduce((s, m) => s + m.values().next().value!.length, 0);
  const features = new Map<string, Float32Array>();
  for (const [hash, first] of maps[0]) {
    if (!maps.every((m) => m.has(hash))) continue;
    const row = new Float32Array(dim);
    let o = 0;
    for (const m of maps) {
      // Each part is made unit length first, so a wide layer does not drown a narrow one.
      const v = m.get(hash)!;
      const norm = Math.hypot(...v) || 1;
      for (let d = 0; d < v.length; d++) row[o + d] = v[d] / norm;
      o += v.length;
    }
    features.set(hash, maps.length === 1 ? first : row);
  }
  return { features, dim };
}

interface Lever {
  name: string;
  parts: Part[];
  transform?: FeatureTransform['kind'];
  train?: Partial<TrainSettings>;
  /** Mix the net's score with raw-feature cosine, the share chosen on the hold-out. */
  mix?: boolean;
}
const I = (layer: Part['layer']): Part => ({ model: inception!, layer });
const M = (layer: Part['layer']): Part => ({ model: mobilenet!, layer });
const all: Lever[] = [
  { name: 'today: inception mixed7', parts: [I('mixed7')] },
  { name: 'inception flatten', parts: [I('flatten')] },
  { name: 'inception mixed7 + flatten', parts: [I('mixed7'), I('flatten')] },
  ...(mobilenet
    ? ([
        { name: 'mobilenet flatten', parts: [M('flatten')] },
        { name: 'mobilenet middle (block_13)', parts: [M('mixed7')] },
        { name: 'inception mixed7 + mobilenet middle', parts: [I('mixed7'), M('mixed7')] },
        { name: 'inception mixed7 + mobilenet flatten', parts: [I('mixed7'), M('flatten')] },
      ] satisfies Lever[])
    : []),
  { name: 'mixed7, standardised', parts: [I('mixed7')], transform: 'standardise' },
  { name: 'mixed7, PCA-whitened', parts: [I('mixed7')], transform: 'whiten' },
  { name: 'head 1024 wide', parts: [I('mixed7')], train: { hidden: 1024 } },
  { name: 'head 256 wide', parts: [I('mixed7')], train: { hidden: 256 } },
  { name: 'head 2 hidden layers', parts: [I('mixed7')], train: { depth: 2 } },
  { name: 'dropout 0.3', parts: [I('mixed7')], train: { dropout: 0.3 } },
  { name: 'listwise loss', parts: [I('mixed7')], train: { loss: 'listwise' } },
  { name: 'net + raw-feature cosine', parts: [I('mixed7')], mix: true },
  // Combinations of what won alone, with the standardisation as the product does it (folded into the net).
  { name: 'standardised in the net', parts: [I('mixed7')], train: { standardise: true } },
  { name: 'standardised, 1024 wide', parts: [I('mixed7')], train: { standardise: true, hidden: 1024 } },
  { name: 'standardised, dropout 0.3', parts: [I('mixed7')], train: { standardise: true, dropout: 0.3 } },
  { name: 'standardised, listwise', parts: [I('mixed7')], train: { standardise: true, loss: 'listwise' } },
  ...(mobilenet
    ? ([
        { name: 'inception mixed7 + mobilenet middle, standardised', parts: [I('mixed7'), M('mixed7')], train: { standardise: true } },
      ] satisfies Lever[])
    : []),
];
const levers = all.filter((l) => l.parts.every((p) => p.model) && (!opts.only || opts.only.split(',').some((o) => l.name.includes(o))));

const MIXES = [0, 0.25, 0.5, 0.75];
/** Rankings of the net's cosine mixed with raw-feature cosine: (1 - w) net + w feature. */
async function mixedRank(r: Retriever, refF: tf.Tensor2D, x: Float32Array, n: number, k: number, w: number): Promise<Int32Array[]> {
  const dim = x.length / n;
  const lists: Int32Array[] = [];
  for (let s = 0; s < n; s += 256) {
    const m = Math.min(256, n - s);
    const scores = tf.tidy(() => {
      const xs = tf.tensor2d(x.subarray(s * dim, (s + m) * dim), [m, dim]);
      const pred = r.model.predict(xs) as tf.Tensor2D;
      const net = tf.matMul(pred.div(pred.norm('euclidean', 1, true).add(1e-8)), r.refs!);
      const feat = tf.matMul(xs.div(xs.norm('euclidean', 1, true).add(1e-8)), refF);
      return net.mul(1 - w).add(feat.mul(w));
    });
    const data = (await scores.data()) as Float32Array;
    const cols = scores.shape[1]!;
    scores.dispose();
    for (let i = 0; i < m; i++) lists.push(topK(data.subarray(i * cols, (i + 1) * cols), k));
  }
  return lists;
}

const evalAt = (task: RetrievalTask, lists: Int32Array[], k: number) => evaluateRankings(task, lists, k);

/** Minus words, measured as label_query.minus is (label-eval.ts): several scorings of "A - B" over the reported
 *  queries placed by prediction, and the raw-feature baseline. */
function minusExperiment(task: AssembledTask, vectors: Float32Array, c: number) {
  const space = remapSpace(task.vocabulary, emb);
  const ev = task.evaluation;
  const n = ev.task.queryRows.length;
  const refLabels = subRows(task.labels, task.refRows);
  const truths = Array.from(ev.task.queryRows, (row) => {
    const cols = new Set<number>();
    for (let p = task.labels.rowPtr[row]; p < task.labels.rowPtr[row + 1]; p++)
      if (task.labels.values[p] > 0) cols.add(task.labels.colIdx[p]);
    return { cols };
  });
  const carriers = new Map<number, number[]>();
  for (let r = 0; r < refLabels.rows; r++)
    for (let p = refLabels.rowPtr[r]; p < refLabels.rowPtr[r + 1]; p++)
      carriers.set(refLabels.colIdx[p], [...(carriers.get(refLabels.colIdx[p]) ?? []), r]);
  const inQueries = new Set(truths.flatMap((t) => [...t.cols]));
  const labels = [...carriers.entries()]
    .filter(([col]) => inQueries.has(col))
    .sort((a, b) => b[1].length - a[1].length || a[0] - b[0])
    .slice(0, 100);
  const pairs = minusQueries(labels, refLabels, truths, n);
  const k = Math.min(10, n);
  const dot = (rows: Float32Array, i: number, q: Float32Array, dim: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += rows[i * dim + d] * q[d];
    return s;
  };
  const all = Array.from({ length: n }, (_, i) => i);
  const top = (score: (i: number) => number, pool: number[] = all) =>
    pool
      .map((i) => [i, score(i)] as const)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, k)
      .map(([i]) => i);
  const variants: Record<string, number[]> = {};
  const add = (name: string, v: number) => (variants[name] ??= []).push(v);
  const unitX = Float32Array.from(ev.queryX);
  for (let i = 0; i < n; i++) unit(unitX.subarray(i * ev.dim, (i + 1) * ev.dim));
  for (const { a, b } of pairs) {
    const relevant = (q: number) => truths[q].cols.has(a) && !truths[q].cols.has(b);
    const p = (list: number[]) => list.filter(relevant).length / k;
    const A = projectLabels(space, [{ col: a, weight: 1 }]);
    const B = projectLabels(space, [{ col: b, weight: 1 }]);
    const cosA = (i: number) => dot(vectors, i, A, c);
    const cosB = (i: number) => dot(vectors, i, B, c);
    add('plus A only', p(top(cosA)));
    add('subtract (old)', p(top((i) => cosA(i) - cosB(i))));
    add('clipped, lambda 1 (new)', p(top((i) => cosA(i) - Math.max(0, cosB(i)))));
    // B's part that A does not explain: B - (B.A) A, made unit.
    const ab = A.reduce((t, v, d) => t + v * B[d], 0);
    const orth = unit(Float32Array.from(B, (v, d) => v - ab * A[d]));
    const cosO = (i: number) => dot(vectors, i, orth, c);
    for (const lambda of [0.25, 0.5, 1]) {
      add(`orthogonal, lambda ${lambda}`, p(top((i) => cosA(i) - lambda * cosO(i))));
      add(`orthogonal clipped, lambda ${lambda}`, p(top((i) => cosA(i) - lambda * Math.max(0, cosO(i)))));
    }
    const byA = [...all].sort((x, y) => cosA(y) - cosA(x));
    for (const share of [0.1, 0.25]) {
      const pool = byA.slice(0, Math.max(k * 2, Math.round(n * share)));
      for (const lambda of [1, 2, 4]) add(`region ${share}, lambda ${lambda}`, p(top((i) => cosA(i) - lambda * cosB(i), pool)));
    }
    const fa = unit(meanRow(ev.refX, ev.dim, carriers.get(a)!));
    const fb = unit(meanRow(ev.refX, ev.dim, carriers.get(b)!));
    const fA = (i: number) => dot(unitX, i, fa, ev.dim);
    const fB = (i: number) => dot(unitX, i, fb, ev.dim);
    add('baseline raw, clipped', p(top((i) => fA(i) - Math.max(0, fB(i)))));
    add('baseline raw, plus A only', p(top(fA)));
    const byFA = [...all].sort((x, y) => fA(y) - fA(x)).slice(0, Math.max(k * 2, Math.round(n * 0.1)));
    add('baseline raw, region 0.1, lambda 2', p(top((i) => fA(i) - 2 * fB(i), byFA)));
  }
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / Math.max(v.length, 1);
  log(
    `  minus words over ${pairs.length} pairs: ${Object.entries(variants)
      .map(([name, v]) => `${name} ${mean(v).toFixed(3)}`)
      .join(' · ')}`,
  );
}

const seed = Number(opts.seed);
const rows: Record<string, unknown>[] = [];
for (const lever of levers) {
  const t0 = performance.now();
  const raw = await featuresOf(lever.parts);
  let { features, dim } = raw;
  if (lever.transform) {
    // Fitted on the training images only (no labels are read), then applied to every image.
    const fit = images.filter((im) => im.split === 'train' && features.has(im.hash));
    const x = new Float32Array(fit.length * dim);
    fit.forEach((im, i) => x.set(features.get(im.hash)!, i * dim));
    const t = fitTransform(lever.transform, x, dim);
    features = new Map([...features].map(([h, v]) => [h, t.apply(v)]));
    dim = t.outputDim;
  }
  const task: AssembledTask = assembleTask(images, emb, features, dim, 'svd', { seed });
  const settings: TrainSettings = { ...DEFAULT_TRAIN, seed, ...lever.train };
  const outcome = await trainHead(task.data, settings, { random: seededRandom(seed) });
  const r = outcome.retriever;
  const sel = task.data;
  const nSel = sel.task.queryRows.length;
  const fitRefs = featureReferences(sel.trainX, dim);
  // The hold-out (selection) figures, against the trained images only, before the hold-out joins the references.
  let w = 0;
  if (lever.mix) {
    let best = -1;
    for (const m of MIXES) {
      const s = evalAt(sel.task, await mixedRank(r, fitRefs, sel.valX, nSel, 100, m), 100).map;
      if (s > best) [best, w] = [s, m];
    }
  }
  const holdout: Record<string, number> = {};
  for (const k of [100, 10]) {
    const lists = lever.mix ? await mixedRank(r, fitRefs, sel.valX, nSel, k, w) : await rank(r, sel.valX, nSel, k);
    const m = evalAt(sel.task, lists, k);
    holdout[`map@${k}`] = m.map;
    holdout[`score@${k}`] = m.score;
  }
  fitRefs.dispose();
  // Hubs: the page's mixed index (hubness.ts), plain and calibrated at several CSLS strengths, on the hold-out and
  // on the validation queries placed by prediction.
  const c = task.data.targetDim;
  const f = sel.trainX.length / dim;
  const selPred = await predictVectors(r, sel.valX, nSel);
  const strengths = [0, 0.5, 1, 1.5, 2];
  const holdMixed = strengths.map((beta) =>
    mixedEvaluation(task.labels, task.refTargets.subarray(0, f * c), sel.task.refRows, selPred, sel.task.queryRows, c, beta),
  );
  setReferences(r, task.refTargets, task.data.targetDim);
  const valPred = await predictVectors(r, task.evaluation.queryX, task.evaluation.task.queryRows.length);
  const valMixed = strengths.map((beta) =>
    mixedEvaluation(task.labels, task.refTargets, task.evaluation.task.refRows, valPred, task.evaluation.task.queryRows, c, beta),
  );
  const line = (m: MixedEvaluation) =>
    `beta ${m.beta}: P@10 ${m.precision_at_k.toFixed(3)} central ${m.central_precision_at_k.toFixed(3)} share ${m.predicted_share.toFixed(2)}/${m.predicted_items.toFixed(2)} max irrelevant ${m.max_irrelevant_share.toFixed(3)} over 5% ${m.over_five_percent}`;
  log(`  hold-out mixed ${holdMixed.map(line).join(' · ')}`);
  log(`  validation mixed ${valMixed.map(line).join(' · ')}`);
  // Z-scored similarities (each item's cosine less beta times its mean over the typical queries, over their spread).
  const zBetas = [0.5, 1];
  const zHold = zBetas.map((beta) =>
    mixedEvaluation(task.labels, task.refTargets.subarray(0, f * c), sel.task.refRows, selPred, sel.task.queryRows, c, beta, 10, 'z'),
  );
  const zVal = zBetas.map((beta) =>
    mixedEvaluation(task.labels, task.refTargets, task.evaluation.task.refRows, valPred, task.evaluation.task.queryRows, c, beta, 10, 'z'),
  );
  log(`  hold-out z-scored ${zHold.map(line).join(' · ')}`);
  log(`  validation z-scored ${zVal.map(line).join(' · ')}`);
  // CSLS shrunk for a query whose cosines spread less than the typical query's.
  for (const mode of ['spread', 'ratio'] as const) {
    const hold = [0.5, 1].map((beta) =>
      mixedEvaluation(task.labels, task.refTargets.subarray(0, f * c), sel.task.refRows, selPred, sel.task.queryRows, c, beta, 10, mode),
    );
    const val = [0.5, 1].map((beta) =>
      mixedEvaluation(
        task.labels,
        task.refTargets,
        task.evaluation.task.refRows,
        valPred,
        task.evaluation.task.queryRows,
        c,
        beta,
        10,
        mode,
      ),
    );
    log(`  hold-out ${mode} ${hold.map(line).join(' · ')}`);
    log(`  validation ${mode} ${val.map(line).join(' · ')}`);
  }
  if (lever.name.startsWith('today')) minusExperiment(task, valPred, c);
  const hubs = { holdout: holdMixed, validation: valMixed };
  const ev = task.evaluation;
  const nQ = ev.task.queryRows.length;
  const validation: Record<string, unknown> = {};
  for (const k of [100, 10]) {
    const { evaluation } = await evaluateRetrieval(ev, r, k, seed);
    let trained = { score: evaluation.score.trained, map: evaluation.map.trained };
    if (lever.mix) {
      const refF = featureReferences(ev.refX, dim);
      const m = evalAt(ev.task, await mixedRank(r, refF, ev.queryX, nQ, k, w), k);
      refF.dispose();
      trained = { score: m.score, map: m.map };
    }
    validation[`k${k}`] = {
      score: trained.score,
      map: trained.map,
      knn_score: evaluation.score.feature_knn,
      knn_map: evaluation.map.feature_knn,
      oracle_score: evaluation.score.oracle,
      ci_score: evaluation.ci!.score.trained,
    };
  }
  r.model.dispose();
  r.refs?.dispose();
  const row = {
    lever: lever.name,
    dim,
    ...(lever.mix ? { mix: w } : {}),
    epoch: outcome.best?.epoch,
    holdout,
    validation,
    hubs,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  rows.push(row);
  const v = validation as Record<string, { score: number; map: number; knn_score: number; oracle_score: number }>;
  log(
    `${lever.name.padEnd(40)} holdout map@100 ${holdout['map@100'].toFixed(4)} map@10 ${holdout['map@10'].toFixed(4)} | validation score@100 ${v.k100.score.toFixed(4)} (knn ${v.k100.knn_score.toFixed(4)}, oracle ${v.k100.oracle_score.toFixed(4)}) map@100 ${v.k100.map.toFixed(4)} score@10 ${v.k10.score.toFixed(4)} map@10 ${v.k10.map.toFixed(4)} · epoch ${row.epoch}${lever.mix ? ` mix ${w}` : ''} · ${row.seconds} s`,
  );
}
void featureKnn;
if (opts.json) await writeFile(opts.json, JSON.stringify({ shard: shard.name, images: images.length, rows }, null, 2));

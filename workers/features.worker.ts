// Feature worker: owns TensorFlow.js and the feature model (Inception v3 or MobileNetV2, one loaded at a time). For a
// loaded shard it computes, for every image whose content hash has no cached features for that model, both of its
// outputs (src/lib/features/model.ts: the last pooled layer and a middle one) in one forward pass, and writes them
// batch by batch. Thin: the backend session is tf-backend.ts; the plan, preprocessing and the store are
// src/lib. Invariants: a batch's features are written in one transaction before its progress is reported; a
// cancel is seen between batches; when nothing is missing the model is not even loaded.
import * as tf from '@tensorflow/tfjs';
import { BackendSession, InjectedFaults, type BackendSwitch } from './tf-backend';
import type { GpuWatch } from './gpu-watch';
import type { BackendFallback } from '../src/lib/faults';
import {
  DEFAULT_FEATURE_MODEL,
  MODEL_SPECS,
  featureModelId,
  type FeatureModelName,
  type FeatureModelSpec,
} from '../src/lib/features/model';
import { planExtraction } from '../src/lib/features/plan';
import type { BackendEvent, EmbedRequest, ExtractRequest, FeaturesMethods } from '../src/lib/features/protocol';
import { openShard } from '../src/lib/ingest/source';
import { contentHash } from '../src/lib/hash';
import { measureProgress, throttle } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import { cachedFeatureHashes, listShardImages, openForJob, putFeatures, type FeatureRecord } from '../src/lib/store/db';
import { DecodeError, imageToInput, perceptualHashOf } from './pixels';

const base = new URL(import.meta.env.BASE_URL, self.location.origin).href;
const pixelsOf = (spec: FeatureModelSpec) => spec.inputPx * spec.inputPx * 3;

// ---- the model on its backend --------------------------------------------------------------------------------------
/** The model the jobs ask for; the one loaded follows it (a backend's start, or a later job, loads it). */
let wanted: FeatureModelSpec = MODEL_SPECS[DEFAULT_FEATURE_MODEL];
let loaded: { spec: FeatureModelSpec; net: tf.LayersModel } | null = null;
async function loadModel(gpu: GpuWatch | null) {
  loaded?.net.dispose();
  loaded = null;
  const spec = wanted;
  const net = await tf.loadLayersModel(new URL(spec.path, base).href);
  loaded = { spec, net };
  // One warm-up pass compiles the kernels (shaders on WebGPU/WebGL) so the rate shown is the real one.
  await forward(gpu, new Float32Array(pixelsOf(spec)), 1);
}
const backends = new BackendSession({
  base,
  prepare: (_backend, gpu) => loadModel(gpu),
  release: () => {
    loaded?.net.dispose();
    loaded = null;
  },
});

const modelIds = new Map<FeatureModelName, Promise<string>>();
/** The cache id of a model, from its model.json (name@weights, then the preprocessing version). */
function readModelId(spec: FeatureModelSpec): Promise<string> {
  let id = modelIds.get(spec.name);
  if (!id) {
    id = fetch(new URL(spec.path, base)).then(async (response) => {
      if (!response.ok) throw new Error(`The feature model is missing (${response.status} for ${spec.path}); run npm install to build it.`);
      const json = await response.json();
      return featureModelId(json.simage?.modelId ?? spec.name);
    });
    id.catch(() => modelIds.delete(spec.name));
    modelIds.set(spec.name, id);
  }
  return id;
}

/** One forward pass over `n` images packed in `input`; returns both outputs, row-major. A lost GPU throws BackendLostError. */
async function forward(gpu: GpuWatch | null, input: Float32Array, n: number) {
  const { net, spec } = loaded!;
  const px = spec.inputPx;
  const outputs = tf.tidy(() => net.predict(tf.tensor4d(input.subarray(0, n * pixelsOf(spec)), [n, px, px, 3])) as tf.Tensor[]);
  try {
    const read = Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
    const [flatten, mixed7] = gpu ? await gpu.guard(read) : await read;
    return { flatten, mixed7 };
  } finally {
    try {
      outputs.forEach((t) => t.dispose());
    } catch {
      /* a lost device cannot free its buffers; they went with it */
    }
  }
}

type BackendRequest = Pick<ExtractRequest, 'backend' | 'threads' | 'model'>;
/** Tells the page which backend runs the model, whenever one starts. */
const announce = (job: Job<BackendEvent>) => async (info: Omit<BackendEvent, 'type' | 'modelId'>) =>
  job.emit({ type: 'backend', ...info, modelId: await readModelId(wanted) });

/** Starts the backend and the requested model (if they are not running yet); returns the model's spec. */
async function startBackend(req: BackendRequest, job: Job<BackendEvent>): Promise<FeatureModelSpec> {
  wanted = MODEL_SPECS[req.model ?? DEFAULT_FEATURE_MODEL];
  await backends.ensure(req.backend, req.threads, announce(job));
  if (loaded?.spec !== wanted) await loadModel(backends.gpu);
  return wanted;
}

/** A forward pass that survives the loss of its backend: the same batch runs again on the next one. */
async function forwardSurviving(
  req: BackendRequest,
  job: Job<BackendEvent>,
  input: Float32Array,
  n: number,
  onSwitch: (c: BackendSwitch) => void,
) {
  return backends.surviving(req.backend, req.threads, (gpu) => forward(gpu, input, n), { onSwitch, onStart: announce(job) });
}

// ---- jobs ------------------------------------------------------------------------------------------------------------
async function extract(req: ExtractRequest, job: Job<FeaturesMethods['extract']['event']>): Promise<FeaturesMethods['extract']['result']> {
  const started = Date.now();
  const db = await openForJob(job);
  const spec = MODEL_SPECS[req.model ?? DEFAULT_FEATURE_MODEL];
  const modelId = await readModelId(spec);
  const PIXELS = pixelsOf(spec);
  const images = await listShardImages(db, req.shardId);
  const { wanted, cached, duplicatesOfQueued } = planExtraction(images, await cachedFeatureHashes(db, modelId));
  const total = wanted.size;
  const failed: { id: string; reason: string }[] = [];
  const fallbacks: BackendFallback[] = [];
  const faults = new InjectedFaults(req.inject);
  faults.armQuota();
  let computeStart = Date.now();
  let done = 0;
  const result = () => ({
    computed: done + duplicatesOfQueued,
    forwardPasses: done,
    cached,
    failed,
    elapsedMs: Date.now() - started,
    computeMs: total === 0 ? 0 : Date.now() - computeStart,
    backend: backends.backend,
    backendReason: backends.info?.reason ?? null,
    modelId,
    fallbacks,
    faultsMet: faults.met,
  });
  const report = throttle(
    (n: number) =>
      job.emit({ type: 'progress', progress: measureProgress('features', n, total, computeStart, Date.now(), `${cached} cached`) }),
    250,
  );
  job.emit({ type: 'plan', images: images.length, cached, toCompute: total });
  if (total === 0) return result();

  const batchSize = Math.max(1, Math.min(64, req.batchSize));
  const input = new Float32Array(batchSize * PIXELS);
  const onSwitch = (c: BackendSwitch) => fallbacks.push({ stage: 'features', ...c, after: done });
  await startBackend(req, job);
  computeStart = Date.now();
  const { flatten: FLATTEN_DIM, mixed7: MIXED7_DIM } = spec.dims;
  report(0, true);
  let batch: { hash: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const { flatten, mixed7 } = await forwardSurviving(req, job, input, batch.length, onSwitch);
    const records: FeatureRecord[] = batch.map((b, i) => ({
      modelId,
      hash: b.hash,
      flatten: flatten.slice(i * FLATTEN_DIM, (i + 1) * FLATTEN_DIM).buffer,
      mixed7: mixed7.slice(i * MIXED7_DIM, (i + 1) * MIXED7_DIM).buffer,
    }));
    try {
      await putFeatures(db, records);
    } catch (err) {
      faults.noteWriteError(err);
      throw err;
    }
    done += batch.length;
    batch = [];
    report(done, done === total);
    faults.strikeGpu(backends.gpu); // after the first batch is safely stored
  };
  const shard = await openShard(req.source);
  let seen = 0;
  for await (const entry of shard.entries()) {
    job.throwIfCancelled();
    const item = entry.path === null ? undefined : wanted.get(entry.path);
    if (!item) {
      await entry.discard();
      continue;
    }
    seen++;
    const bytes = await entry.read();
    if ((await contentHash(bytes)) !== item.hash) {
      failed.push({ id: item.imageId, reason: 'the file changed since the shard was loaded; load it again' });
      continue;
    }
    try {
      await imageToInput(bytes, spec.inputPx, input, batch.length * PIXELS);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      failed.push({ id: item.imageId, reason: err.message });
      continue;
    }
    batch.push({ hash: item.hash });
    if (batch.length === batchSize) await flush();
  }
  job.throwIfCancelled();
  await flush();
  if (seen < total) failed.push({ id: shard.name, reason: `${total - seen} image(s) were not found in the source any more` });
  return result();
}

async function embed(req: EmbedRequest, job: Job<FeaturesMethods['embed']['event']>): Promise<FeaturesMethods['embed']['result']> {
  const n = req.images.length;
  const spec = await startBackend(req, job);
  const PIXELS = pixelsOf(spec);
  const { flatten: FLATTEN_DIM, mixed7: MIXED7_DIM } = spec.dims;
  const flatten = new Float32Array(n * FLATTEN_DIM);
  const mixed7 = new Float32Array(n * MIXED7_DIM);
  const batchSize = Math.max(1, Math.min(64, req.batchSize));
  const input = new Float32Array(batchSize * PIXELS);
  const started = performance.now();
  let forwardMs = 0;
  const phashes: (number[] | null)[] = [];
  for (let start = 0; start < n; start += batchSize) {
    job.throwIfCancelled();
    const count = Math.min(batchSize, n - start);
    for (let i = 0; i < count; i++) {
      const bytes = new Uint8Array(req.images[start + i]);
      await imageToInput(bytes, spec.inputPx, input, i * PIXELS);
      phashes.push(await perceptualHashOf(new Blob([bytes])));
    }
    const forwardStart = performance.now();
    const out = await forwardSurviving(req, job, input, count, () => {});
    forwardMs += performance.now() - forwardStart;
    flatten.set(out.flatten, start * FLATTEN_DIM);
    mixed7.set(out.mixed7, start * MIXED7_DIM);
    job.emit({ type: 'progress', progress: measureProgress('embed', start + count, n, started, performance.now()) });
  }
  job.transfer(flatten.buffer, mixed7.buffer);
  return {
    flatten,
    mixed7,
    modelId: await readModelId(spec),
    backend: backends.backend!,
    msPerImage: (performance.now() - started) / n,
    forwardMsPerImage: forwardMs / n,
    phashes,
  };
}

serve<FeaturesMethods>({ extract, embed }, { extract: 'Computing features failed', embed: 'Computing features failed' }, self);

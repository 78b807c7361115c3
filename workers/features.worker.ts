// Feature worker: owns TensorFlow.js and the Inception v3 model. For a loaded shard it computes, for every image
// whose content hash has no cached features, flatten_1 (2048-d) and GAP(mixed7) (768-d) in one forward pass, and
// writes them batch by batch. Thin: backend policy, preprocessing and the store are src/lib.
// Invariants: a batch's features are written in one transaction before its progress is reported; a cancel is
// seen between batches; when nothing is missing the model is not even loaded.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { planBackends, type BackendChoice, type BackendName } from '../src/lib/features/backend';
import { initBackend, probePlatform, watchWebGpu, type GpuWatch } from './tf-backend';
import { isBackendLoss, type BackendFallback, type WorkerFault } from '../src/lib/faults';
import { FLATTEN_DIM, INPUT_PX, MIXED7_DIM, MODEL_PATH, featureModelId } from '../src/lib/features/model';
import type { BackendReply, EmbedRequest, ExtractRequest, FeaturesReply, FeaturesRequest } from '../src/lib/features/protocol';
import { openShard } from '../src/lib/ingest/source';
import { contentHash } from '../src/lib/hash';
import { measureProgress, throttle } from '../src/lib/progress';
import { CancelledError, errorReply } from '../src/lib/protocol';
import { cachedFeatureHashes, injectQuotaFault, listShardImages, openSimageDb, putFeatures, type FeatureRecord } from '../src/lib/store/db';
import { DecodeError, imageToInput } from './pixels';

const post = (m: FeaturesReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const cancelled = new Set<number>();
const base = new URL(import.meta.env.BASE_URL, self.location.origin).href;

self.onmessage = (event: MessageEvent<FeaturesRequest>) => {
  const msg = event.data;
  if (msg.type === 'cancel') cancelled.add(msg.jobId);
  else if (msg.type === 'extract') extract(msg).catch((err) => post(errorReply(msg.jobId, err, 'Computing features failed')));
  else if (msg.type === 'embed') embed(msg).catch((err) => post(errorReply(msg.jobId, err, 'Computing features failed')));
};

// ---- model and backend ---------------------------------------------------------------------------------------
interface Loaded {
  model: tf.LayersModel;
  backend: BackendName;
  key: string;
  /** The WebGPU device's health, when the backend is WebGPU. */
  gpu: GpuWatch | null;
}
let loaded: Loaded | null = null;
/** Backends that failed in the middle of a run in this worker (device lost, out of memory): not tried again. */
const lostBackends = new Map<BackendName, string>();
let modelJsonId: string | null = null;

async function readModelId(): Promise<string> {
  if (modelJsonId) return modelJsonId;
  const response = await fetch(new URL(MODEL_PATH, base));
  if (!response.ok) throw new Error(`The feature model is missing (${response.status} for ${MODEL_PATH}); run npm install to build it.`);
  const json = await response.json();
  modelJsonId = featureModelId(json.simage?.modelId ?? 'inception-v3');
  return modelJsonId;
}

async function ensureModel(jobId: number, choice: BackendChoice, threads: number): Promise<Loaded> {
  const key = `${choice}/${threads}`;
  if (loaded && loaded.key === key) return loaded;
  dropModel();
  const facts = await probePlatform();
  const plan = planBackends(choice, facts);
  const fallbacks: BackendReply['fallbacks'] = [];
  for (const backend of plan.order) {
    const lostWhy = lostBackends.get(backend);
    if (lostWhy) {
      fallbacks.push({ backend, reason: `left after ${lostWhy}` });
      continue;
    }
    try {
      const usedThreads = await initBackend(backend, threads, base);
      const gpu = backend === 'webgpu' ? watchWebGpu() : null;
      const model = await tf.loadLayersModel(new URL(MODEL_PATH, base).href);
      // One warm-up pass compiles the kernels (shaders on WebGPU/WebGL) so the rate shown is the real one.
      await forward({ model, gpu }, new Float32Array(INPUT_PX * INPUT_PX * 3), 1);
      loaded = { model, backend, key, gpu };
      post({
        type: 'backend',
        jobId,
        backend,
        reason: fallbacks.length ? `${plan.reason}; fell back to ${backend}` : plan.reason,
        fallbacks,
        threads: usedThreads,
        modelId: await readModelId(),
      });
      return loaded;
    } catch (err) {
      fallbacks.push({ backend, reason: (err as Error).message ?? String(err) });
    }
  }
  throw new Error(`No TensorFlow.js backend could run the model: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

function dropModel() {
  if (!loaded) return;
  try {
    loaded.model.dispose();
  } catch {
    /* a lost device cannot free its buffers; they went with it */
  }
  loaded = null;
}

/** One forward pass over `n` images packed in `input`; returns both outputs, row-major. A lost GPU throws BackendLostError. */
async function forward({ model, gpu }: Pick<Loaded, 'model' | 'gpu'>, input: Float32Array, n: number) {
  const outputs = tf.tidy(
    () => model.predict(tf.tensor4d(input.subarray(0, n * INPUT_PX * INPUT_PX * 3), [n, INPUT_PX, INPUT_PX, 3])) as tf.Tensor[],
  );
  try {
    const read = Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
    const [flatten, mixed7] = gpu ? await gpu.guard(read) : await read;
    return { flatten, mixed7 };
  } finally {
    try {
      outputs.forEach((t) => t.dispose());
    } catch {
      /* see dropModel */
    }
  }
}

/**
 * A forward pass that survives the loss of its backend: the backend is marked lost, the next one in the plan
 * loads the model, and the same batch runs again there. `fallbacks` gets one entry per switch.
 */
async function forwardSurviving(
  req: { jobId: number; backend: BackendChoice; threads: number },
  input: Float32Array,
  n: number,
  fallbacks: BackendFallback[],
  stage: 'features',
  after: number,
) {
  for (;;) {
    const current = await ensureModel(req.jobId, req.backend, req.threads);
    try {
      return { ...(await forward(current, input, n)), backend: current.backend };
    } catch (err) {
      if (!isBackendLoss(err)) throw err;
      const reason = (err as Error).message;
      lostBackends.set(current.backend, reason);
      dropModel();
      const next = await ensureModel(req.jobId, req.backend, req.threads);
      fallbacks.push({ stage, from: current.backend, to: next.backend, reason, after });
    }
  }
}

// ---- jobs ------------------------------------------------------------------------------------------------------
async function extract(req: ExtractRequest) {
  const started = Date.now();
  const db = await openSimageDb();
  const modelId = await readModelId();
  const images = await listShardImages(db, req.shardId);
  const have = await cachedFeatureHashes(db, modelId);
  // Work list by path; images with identical bytes share one computation.
  const wanted = new Map<string, { hash: string; imageId: string }>();
  const queuedHashes = new Set<string>();
  let cached = 0;
  for (const im of images) {
    if (have.has(im.hash)) cached++;
    else if (!queuedHashes.has(im.hash)) {
      queuedHashes.add(im.hash);
      wanted.set(im.path, { hash: im.hash, imageId: im.imageId });
    }
  }
  const duplicatesOfQueued = images.length - cached - wanted.size;
  const total = wanted.size;
  const failed: { id: string; reason: string }[] = [];
  const fallbacks: BackendFallback[] = [];
  const faultsMet: WorkerFault[] = [];
  const inject = new Set(req.inject ?? []);
  injectQuotaFault(inject.has('quota') ? 2 : null);
  let computeStart = Date.now();
  const report = throttle(
    (done: number) =>
      post({
        type: 'progress',
        jobId: req.jobId,
        progress: measureProgress('features', done, total, computeStart, Date.now(), `${cached} cached`),
      }),
    250,
  );
  post({ type: 'plan', jobId: req.jobId, images: images.length, cached, toCompute: total });
  if (total === 0) {
    post({
      type: 'result',
      jobId: req.jobId,
      computed: 0,
      forwardPasses: 0,
      cached,
      failed,
      elapsedMs: Date.now() - started,
      computeMs: 0,
      backend: loaded?.backend ?? null,
      modelId,
      fallbacks,
      faultsMet,
    });
    return;
  }
  await ensureModel(req.jobId, req.backend, req.threads);
  computeStart = Date.now();
  report(0, true);
  const batchSize = Math.max(1, Math.min(64, req.batchSize));
  const input = new Float32Array(batchSize * INPUT_PX * INPUT_PX * 3);
  let batch: { hash: string }[] = [];
  let done = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const { flatten, mixed7 } = await forwardSurviving(req, input, batch.length, fallbacks, 'features', done);
    const records: FeatureRecord[] = batch.map((b, i) => ({
      modelId,
      hash: b.hash,
      flatten: flatten.slice(i * FLATTEN_DIM, (i + 1) * FLATTEN_DIM).buffer,
      mixed7: mixed7.slice(i * MIXED7_DIM, (i + 1) * MIXED7_DIM).buffer,
    }));
    try {
      await putFeatures(db, records);
    } catch (err) {
      if (inject.has('quota') && (err as Error).name === 'QuotaError') faultsMet.push('quota');
      throw err;
    }
    done += batch.length;
    batch = [];
    report(done, done === total);
    // Injected GPU faults strike once, after the first batch is safely stored, on a WebGPU device only.
    for (const fault of ['device-lost', 'oom'] as const) {
      if (inject.has(fault) && !faultsMet.includes(fault) && loaded?.gpu) {
        faultsMet.push(fault);
        loaded.gpu.cause(fault);
      }
    }
  };
  const shard = await openShard(req.source);
  let seen = 0;
  for await (const entry of shard.entries()) {
    if (cancelled.has(req.jobId)) throw new CancelledError();
    const job = entry.path === null ? undefined : wanted.get(entry.path);
    if (!job) {
      await entry.discard();
      continue;
    }
    seen++;
    const bytes = await entry.read();
    if ((await contentHash(bytes)) !== job.hash) {
      failed.push({ id: job.imageId, reason: 'the file changed since the shard was loaded; load it again' });
      continue;
    }
    try {
      await imageToInput(bytes, INPUT_PX, input, batch.length * INPUT_PX * INPUT_PX * 3);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      failed.push({ id: job.imageId, reason: err.message });
      continue;
    }
    batch.push({ hash: job.hash });
    if (batch.length === batchSize) await flush();
  }
  if (cancelled.has(req.jobId)) throw new CancelledError();
  await flush();
  if (seen < total) failed.push({ id: shard.name, reason: `${total - seen} image(s) were not found in the source any more` });
  post({
    type: 'result',
    jobId: req.jobId,
    computed: done + duplicatesOfQueued,
    forwardPasses: done,
    cached,
    failed,
    elapsedMs: Date.now() - started,
    computeMs: Date.now() - computeStart,
    backend: loaded?.backend ?? null,
    modelId,
    fallbacks,
    faultsMet,
  });
  db.close();
}

async function embed(req: EmbedRequest) {
  const n = req.images.length;
  const flatten = new Float32Array(n * FLATTEN_DIM);
  const mixed7 = new Float32Array(n * MIXED7_DIM);
  const batchSize = Math.max(1, Math.min(64, req.batchSize));
  const input = new Float32Array(batchSize * INPUT_PX * INPUT_PX * 3);
  const started = performance.now();
  let forwardMs = 0;
  let backend: BackendName = (await ensureModel(req.jobId, req.backend, req.threads)).backend;
  for (let start = 0; start < n; start += batchSize) {
    if (cancelled.has(req.jobId)) throw new CancelledError();
    const count = Math.min(batchSize, n - start);
    for (let i = 0; i < count; i++) await imageToInput(new Uint8Array(req.images[start + i]), INPUT_PX, input, i * INPUT_PX * INPUT_PX * 3);
    const forwardStart = performance.now();
    const out = await forwardSurviving(req, input, count, [], 'features', start);
    backend = out.backend;
    forwardMs += performance.now() - forwardStart;
    flatten.set(out.flatten, start * FLATTEN_DIM);
    mixed7.set(out.mixed7, start * MIXED7_DIM);
    post({ type: 'progress', jobId: req.jobId, progress: measureProgress('embed', start + count, n, started, performance.now()) });
  }
  post(
    {
      type: 'embedded',
      jobId: req.jobId,
      flatten,
      mixed7,
      backend,
      msPerImage: (performance.now() - started) / n,
      forwardMsPerImage: forwardMs / n,
    },
    [flatten.buffer, mixed7.buffer],
  );
}

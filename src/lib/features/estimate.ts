// Time told before it is spent: how long the features of n images take on this machine with each feature model,
// from a short probe (a few images through each model, timed by the features worker), kept per machine and backend
// so that the next visit knows at once. Pure: the probe's images are made here (a small BMP every browser
// decodes), the timing is the worker's, the storage the session's (src/session/estimate.ts).
import { MODEL_SPECS, type FeatureModelName } from './model';

/** Images per timed probe call (after one untimed call that loads the model and warms its kernels). */
export const PROBE_IMAGES = 4;
export const PROBE_WARMUP_IMAGES = 1;

export interface SpeedProbe {
  /** Which machine and backend choice it was measured for (probeKey). */
  key: string;
  /** Wall milliseconds per image (decode, resize, forward pass), per feature model. */
  msPerImage: Partial<Record<FeatureModelName, number>>;
  /** The backend that ran it. */
  backend: string;
  /** Per model, how many images of a real run measured its figure (absent: the probe's few images did). */
  measuredOn?: Partial<Record<FeatureModelName, number>>;
}

/** A probe holds for the same backend choice, thread count and browser on the same number of cores. */
export function probeKey(backend: string, threads: number, cores: number, agent: string): string {
  return [backend, threads, cores, agent].join('|');
}

/** A duration a person reads: "under a minute", "about 5 min", "about 1.5 h". */
export function durationText(ms: number): string {
  const min = ms / 60_000;
  if (min < 1) return 'under a minute';
  if (min < 90) return `about ${Math.round(min)} min`;
  const h = min / 60;
  return `about ${h < 10 ? Math.round(h * 2) / 2 : Math.round(h)} h`;
}

/** The features of `images` images with one model, or null when that model was not timed. */
export function featureTime(images: number, probe: SpeedProbe | null, model: FeatureModelName): number | null {
  const ms = probe?.msPerImage[model];
  return ms === undefined ? null : images * ms;
}

/** "about 5 min with Inception v3 (as in 2017), about 1 min with MobileNetV2", the chosen model first. */
export function estimateLine(images: number, probe: SpeedProbe | null, chosen: FeatureModelName): string | null {
  const order = [chosen, ...(Object.keys(MODEL_SPECS) as FeatureModelName[]).filter((m) => m !== chosen)];
  const parts = order.flatMap((m) => {
    const t = featureTime(images, probe, m);
    return t === null ? [] : [`${durationText(t)} with ${MODEL_SPECS[m].title}${m === 'inception-v3' ? ' (as in 2017)' : ''}`];
  });
  return parts.length ? parts.join(', ') : null;
}

/** A width x height 24-bit BMP of a seeded pattern (colour blocks and a gradient), for the probe. */
export function probeImage(width: number, height: number, seed: number): ArrayBuffer {
  const row = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + row * height;
  const buf = new ArrayBuffer(size);
  const v = new DataView(buf);
  v.setUint8(0, 0x42); // 'B'
  v.setUint8(1, 0x4d); // 'M'
  v.setUint32(2, size, true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, 24, true);
  v.setUint32(34, row * height, true);
  const px = new Uint8Array(buf, 54);
  let state = seed * 2654435761;
  const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 24) & 0xff;
  const blocks = Array.from({ length: 16 }, () => [rand(), rand(), rand()]);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const b = blocks[(Math.floor((x * 4) / width) + 4 * Math.floor((y * 4) / height)) % 16];
      const o = y * row + x * 3;
      px[o] = (b[0] + x) & 0xff;
      px[o + 1] = (b[1] + y) & 0xff;
      px[o + 2] = b[2];
    }
  return buf;
}

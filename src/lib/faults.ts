// Fault injection, for tests and `npm run pipeline -- --inject`: which faults a run asks for, parsed from the page's
// `?inject=` (comma-separated). Pure. The faults a worker causes itself travel in its request; the ones only the
// driver can cause (closing the page in the middle of a stage) stay with the driver (scripts/pipeline.ts).
//   quota                  the feature worker's IndexedDB writes fail as if the storage quota were reached (after 2 batches)
//   device-lost            the WebGPU device is destroyed after the first batch (features) or epoch (training)
//   oom                    WebGPU reports an out-of-memory error after the first batch or epoch
//   reload-during=STAGE    the driver closes the page while STAGE (features, embedding, train) runs, then opens it again
export type WorkerFault = 'quota' | 'device-lost' | 'oom';
export const WORKER_FAULTS: readonly WorkerFault[] = ['quota', 'device-lost', 'oom'];
export const RELOAD_STAGES = ['features', 'embedding', 'train'] as const;
export type ReloadStage = (typeof RELOAD_STAGES)[number];

export interface FaultPlan {
  worker: WorkerFault[];
  reloadDuring: ReloadStage[];
}

export class FaultSpecError extends Error {}

/** `quota,reload-during=features` -> the plan; an unknown fault is an error that lists the known ones. */
export function parseFaults(spec: string | null | undefined): FaultPlan {
  const plan: FaultPlan = { worker: [], reloadDuring: [] };
  for (const raw of (spec ?? '').split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const reload = /^reload-during=(.*)$/.exec(item);
    if (reload) {
      const stage = reload[1] as ReloadStage;
      if (!RELOAD_STAGES.includes(stage))
        throw new FaultSpecError(`unknown stage "${reload[1]}" for reload-during (one of ${RELOAD_STAGES.join(', ')})`);
      if (!plan.reloadDuring.includes(stage)) plan.reloadDuring.push(stage);
    } else if ((WORKER_FAULTS as readonly string[]).includes(item)) {
      if (!plan.worker.includes(item as WorkerFault)) plan.worker.push(item as WorkerFault);
    } else {
      throw new FaultSpecError(
        `unknown fault "${item}" (one of ${[...WORKER_FAULTS, ...RELOAD_STAGES.map((s) => `reload-during=${s}`)].join(', ')})`,
      );
    }
  }
  return plan;
}

/** Whether an error means the GPU backend is gone for good (device lost, out of memory), so another backend should take over. */
export function isBackendLoss(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  if (!e) return false;
  if (e.name === 'BackendLostError') return true;
  return /device (was |is )?lost|out of memory|\bOOM\b|GPUOutOfMemoryError|context lost|Instance reference no longer exists/i.test(
    e.message ?? '',
  );
}

export class BackendLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendLostError';
  }
}

/** One switch of backend in the middle of a stage, as the report lists it. */
export interface BackendFallback {
  stage: 'features' | 'train';
  from: string;
  to: string;
  reason: string;
  /** Work already done and kept when it happened (images for features, epochs for training). */
  after: number;
}

/** The work a fallback kept, in words: "1 image", "12 images", "1 epoch". */
export function workBefore(f: Pick<BackendFallback, 'stage' | 'after'>): string {
  const unit = f.stage === 'features' ? 'image' : 'epoch';
  return `${f.after} ${unit}${f.after === 1 ? '' : 's'}`;
}

// A tiny bridge from the page to a worker job: one promise per job, progress through a callback, cancel by id.
// Workers are created lazily and terminated when idle for a while, so an idle page holds no model in memory.
import type { ErrorReply, ProgressReply } from '../lib/protocol';

export class JobError extends Error {
  constructor(
    message: string,
    readonly detail: string,
    readonly cancelled: boolean,
  ) {
    super(message);
  }
}

type Reply = { type: string; jobId: number };
/** Omit over each member of a union (plain Omit would merge the members and lose their own fields). */
type RequestBody<T> = T extends unknown ? Omit<T, 'jobId'> : never;
let nextJobId = 1;

export class WorkerHost<Req extends { jobId: number }, Rep extends Reply> {
  private worker: Worker | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly handlers = new Map<number, (reply: Rep) => void>();

  constructor(
    private readonly create: () => Worker,
    private readonly idleMs = 60_000,
  ) {}

  /** Starts a job; resolves with the first reply whose type is in `finalTypes`. */
  run<R extends Rep>(
    request: RequestBody<Req>,
    finalTypes: string[],
    onReply: (reply: Rep) => void = () => {},
    transfer: Transferable[] = [],
  ): { jobId: number; done: Promise<R>; cancel: () => void } {
    const jobId = nextJobId++;
    const worker = this.ensure();
    const done = new Promise<R>((resolve, reject) => {
      this.handlers.set(jobId, (reply) => {
        if (reply.type === 'error') {
          const e = reply as unknown as ErrorReply;
          this.finish(jobId);
          reject(new JobError(e.message, e.detail, e.cancelled));
        } else if (finalTypes.includes(reply.type)) {
          this.finish(jobId);
          resolve(reply as R);
        } else onReply(reply);
      });
    });
    worker.postMessage({ ...request, jobId }, transfer);
    return { jobId, done, cancel: () => this.worker?.postMessage({ type: 'cancel', jobId }) };
  }

  terminate() {
    this.worker?.terminate();
    this.worker = null;
    for (const [jobId, handler] of this.handlers) {
      handler({ type: 'error', jobId, message: 'Stopped.', detail: 'worker terminated', cancelled: true } as unknown as Rep);
    }
    this.handlers.clear();
  }

  private ensure(): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (!this.worker) {
      this.worker = this.create();
      this.worker.onmessage = (e: MessageEvent<Rep>) => this.handlers.get(e.data.jobId)?.(e.data);
      this.worker.onerror = (e) => {
        e.preventDefault();
        for (const [jobId, handler] of this.handlers) {
          handler({
            type: 'error',
            jobId,
            message: `A worker stopped unexpectedly (${e.message || 'script error'}). Reload the page; what was stored is kept.`,
            detail: String(e.message),
            cancelled: false,
          } as unknown as Rep);
        }
      };
    }
    return this.worker;
  }

  private finish(jobId: number) {
    this.handlers.delete(jobId);
    // (setTimeout treats Infinity as 0: a worker kept for good gets no timer at all.)
    if (this.handlers.size === 0 && Number.isFinite(this.idleMs)) {
      this.idleTimer = setTimeout(() => this.terminate(), this.idleMs);
    }
  }
}

export type { ProgressReply };

// One typed RPC for every worker (whisper-web's message shape, Squoosh's AbortSignal). Each worker declares its
// methods once, as a map from method name to Method<request, event, result>; the page's WorkerClient.call and the
// worker's serve() both read that map, so a call's result type is inferred and a misspelt method does not compile.
// Pure: it only needs postMessage and a message listener, so Node tests run it over a MessageChannel.
// Invariants: every job ends with exactly one `result` or `error`; a job's AbortController and its deferred
// releases (an open IndexedDB connection, say) are dropped in a `finally`, whatever the ending.
import { CancelledError, UserError } from './errors';

/** One method of a worker: what it takes, the events it sends while it runs (progress and the like), what it answers. */
export interface Method<Request, Event, Result> {
  request: Request;
  event: Event;
  result: Result;
}
/** A worker's method map (a `type` alias of Method entries). */
export type MethodMap<M> = { [K in keyof M]: Method<unknown, unknown, unknown> };

/** The error as it crosses the boundary: a sentence for the person, detail for the developer. */
export interface ErrorEnvelope {
  message: string;
  detail: string;
  cancelled: boolean;
}

export type ToWorker = { rpc: 'call'; id: number; method: string; body: unknown } | { rpc: 'cancel'; id: number };
export type FromWorker =
  | { rpc: 'event'; id: number; body: unknown }
  | { rpc: 'result'; id: number; body: unknown }
  | { rpc: 'error'; id: number; error: ErrorEnvelope };

/** What both ends need of a worker, a worker's global scope or a MessagePort. */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

export const CANCELLED_SENTENCE = 'Cancelled; everything computed so far is kept.';

/** The envelope for any error a job throws; `failure` is the job's own sentence for errors that are not UserErrors. */
export function errorEnvelope(err: unknown, failure: string): ErrorEnvelope {
  const detail = (err as Error)?.stack ?? String(err);
  if (err instanceof CancelledError) return { message: CANCELLED_SENTENCE, detail, cancelled: true };
  if (err instanceof UserError) return { message: err.message, detail, cancelled: false };
  return { message: `${failure} (${(err as Error)?.message ?? String(err)})`, detail, cancelled: false };
}

// ---- worker side ---------------------------------------------------------------------------------------------------

export interface Job<Event> {
  /** Aborted when the caller cancels. */
  readonly signal: AbortSignal;
  /** Throws a CancelledError once the caller has cancelled (call it between units of work). */
  throwIfCancelled(): void;
  /** Sends an event (progress, a layout snapshot) to the caller; `transfer` moves buffers instead of copying them. */
  emit(event: Event, transfer?: Transferable[]): void;
  /** Moves these buffers to the caller with the result instead of copying them. */
  transfer(...buffers: Transferable[]): void;
  /** Runs when the job ends, however it ends, latest first: the job releases here what it opened. */
  defer(release: () => unknown): void;
}

export type Handlers<M extends MethodMap<M>> = {
  [K in keyof M]: (request: M[K]['request'], job: Job<M[K]['event']>) => Promise<M[K]['result']>;
};

/**
 * Serves a worker's methods on `endpoint` (the worker's global scope). `failures` holds, per method, the sentence a
 * person reads when the job fails for a reason that is not a UserError.
 */
export function serve<M extends MethodMap<M>>(handlers: Handlers<M>, failures: { [K in keyof M]: string }, endpoint: Endpoint): void {
  const running = new Map<number, AbortController>();
  const post = (message: FromWorker, transfer: Transferable[] = []) => endpoint.postMessage(message, transfer);
  endpoint.addEventListener('message', (event) => {
    const message = event.data as ToWorker;
    if (message?.rpc === 'cancel') running.get(message.id)?.abort(new CancelledError());
    else if (message?.rpc === 'call') void runJob(message.id, message.method as keyof M & string, message.body);
  });

  async function runJob<K extends keyof M & string>(id: number, method: K, body: M[K]['request']) {
    const controller = new AbortController();
    running.set(id, controller);
    const releases: (() => unknown)[] = [];
    const transfers: Transferable[] = [];
    const job: Job<M[K]['event']> = {
      signal: controller.signal,
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new CancelledError();
      },
      emit: (event, transfer = []) => post({ rpc: 'event', id, body: event }, transfer),
      transfer: (...buffers) => transfers.push(...buffers),
      defer: (release) => releases.push(release),
    };
    try {
      const handler = handlers[method];
      if (!handler) throw new Error(`unknown method ${method}`);
      const result = await handler(body, job);
      post({ rpc: 'result', id, body: result }, transfers);
    } catch (err) {
      post({ rpc: 'error', id, error: errorEnvelope(err, failures[method] ?? 'The job failed') });
    } finally {
      running.delete(id);
      for (const release of releases.reverse()) {
        try {
          await release();
        } catch {
          /* releasing must not hide the job's own ending */
        }
      }
    }
  }
}

// ---- page side -----------------------------------------------------------------------------------------------------

/** A failed or cancelled job, as the caller sees it. */
export class JobError extends Error {
  constructor(
    message: string,
    readonly detail: string,
    readonly cancelled: boolean,
    /** 'worker-died': the worker died twice under this job (it was restarted once and the job retried). */
    readonly kind: 'worker-died' | null = null,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

export interface CallOptions<Event> {
  signal?: AbortSignal;
  onEvent?: (event: Event) => void;
  /** Buffers of the request to move to the worker instead of copying them. */
  transfer?: Transferable[];
}

/** What a session needs of a worker: calls, and an end. Fakes in tests implement the same. */
export interface Caller<M extends MethodMap<M>> {
  call<K extends keyof M & string>(method: K, request: M[K]['request'], options?: CallOptions<M[K]['event']>): Promise<M[K]['result']>;
  terminate(): void;
}

export interface WorkerLike extends Endpoint {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: JobError): void;
  onEvent(event: unknown): void;
  /** The call as posted, to post again on a new worker when this one dies (null: its buffers moved, it cannot be). */
  message: ToWorker | null;
  /** Whether the job was already posted again once after a worker died. */
  retried: boolean;
}

let nextId = 1;

/**
 * The page's end of one worker: made on the first call, terminated after `idleMs` without a job (Infinity: kept,
 * for a worker that holds state between calls, such as the trained net). A worker that dies under its jobs (an
 * uncaught error, a WASM abort: its `error` event) is ended and made again once, and its jobs are posted again
 * (every job resumes from what is stored); when it dies again under the same job, that job fails with a sentence
 * (`JobError.kind` 'worker-died'). A job whose buffers were moved to the dead worker cannot be posted again and
 * fails at the first death.
 */
export class WorkerClient<M extends MethodMap<M>> implements Caller<M> {
  private worker: WorkerLike | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly create: () => WorkerLike,
    private readonly idleMs = 60_000,
    /** The worker's name in the person's sentence ("the feature worker"); none: "a worker". */
    private readonly name: string | null = null,
  ) {}

  call<K extends keyof M & string>(method: K, request: M[K]['request'], options: CallOptions<M[K]['event']> = {}): Promise<M[K]['result']> {
    const { signal, onEvent = () => {}, transfer = [] } = options;
    if (signal?.aborted) return Promise.reject(new JobError(CANCELLED_SENTENCE, 'cancelled before it started', true));
    const id = nextId++;
    const worker = this.ensure();
    return new Promise<M[K]['result']>((resolve, reject) => {
      const onAbort = () => this.worker?.postMessage({ rpc: 'cancel', id } satisfies ToWorker, []);
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        this.idleLater();
      };
      const message: ToWorker = { rpc: 'call', id, method, body: request };
      this.pending.set(id, {
        resolve: (value) => (settle(), resolve(value as M[K]['result'])),
        reject: (err) => (settle(), reject(err)),
        onEvent: (event) => onEvent(event as M[K]['event']),
        message: transfer.length ? null : message,
        retried: false,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage(message, transfer);
    });
  }

  /** Ends the worker now; its pending jobs end as cancelled. */
  terminate() {
    this.worker?.terminate();
    this.worker = null;
    this.failAll({ message: 'Stopped.', detail: 'worker terminated', cancelled: true });
  }

  private ensure(): WorkerLike {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker) return this.worker;
    const worker = this.create();
    worker.addEventListener('message', (event) => {
      const message = event.data as FromWorker;
      const job = this.pending.get(message.id);
      if (!job) return;
      if (message.rpc === 'event') job.onEvent(message.body);
      else if (message.rpc === 'result') job.resolve(message.body);
      else job.reject(new JobError(message.error.message, message.error.detail, message.error.cancelled));
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      if (this.worker === worker) this.died(worker, event.message || 'script error');
    });
    this.worker = worker;
    return worker;
  }

  /** The worker died: it is ended; each of its jobs is posted once to a new one, or fails with the sentence. */
  private died(worker: WorkerLike, reason: string) {
    worker.terminate();
    this.worker = null;
    const jobs = [...this.pending.values()];
    const again = jobs.filter((job) => job.message && !job.retried);
    for (const job of jobs) {
      if (again.includes(job)) continue;
      job.reject(
        new JobError(
          `${this.name ? `The ${this.name}` : 'A'} worker stopped ${job.retried ? 'twice' : 'unexpectedly'} (${reason}). What was computed is stored: press Try again, or reload the page, to go on from there.`,
          reason,
          false,
          'worker-died',
        ),
      );
    }
    if (again.length === 0) return;
    const next = this.ensure();
    for (const job of again) {
      job.retried = true;
      next.postMessage(job.message!, []);
    }
  }

  private failAll(error: ErrorEnvelope) {
    for (const job of [...this.pending.values()]) job.reject(new JobError(error.message, error.detail, error.cancelled));
  }

  private idleLater() {
    // (setTimeout treats Infinity as 0: a worker kept for good gets no timer at all.)
    if (this.pending.size > 0 || !Number.isFinite(this.idleMs) || !this.worker) return;
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) this.terminate();
    }, this.idleMs);
  }
}

// A worker for Node tests: the real RPC (serve on one end of a MessageChannel, WorkerClient on the other) around
// handlers the test writes. `terminate` closes the channel as ending a worker does; `crash` fires the error event a
// worker's uncaught error fires on the page.
import { MessageChannel } from 'node:worker_threads';
import { serve, WorkerClient, type Endpoint, type Handlers, type MethodMap, type WorkerLike } from '../../src/lib/rpc';

export interface FakeWorker<M extends MethodMap<M>> {
  client: WorkerClient<M>;
  /** Workers made so far (a terminated worker is made again on the next call). */
  created(): number;
  crash(message: string): void;
}

export function fakeWorker<M extends MethodMap<M>>(handlers: Handlers<M>, idleMs = 60_000): FakeWorker<M> {
  let created = 0;
  let errorListeners: ((event: ErrorEvent) => void)[] = [];
  const client = new WorkerClient<M>(() => {
    created++;
    const { port1, port2 } = new MessageChannel();
    const failures = new Proxy({}, { get: (_t, name) => `${String(name)} failed` }) as { [K in keyof M]: string };
    serve<M>(handlers, failures, port2 as unknown as Endpoint);
    errorListeners = [];
    const worker = {
      postMessage: (message: unknown, transfer: Transferable[]) => port1.postMessage(message, transfer as never),
      addEventListener: (type: string, listener: (event: never) => void) => {
        if (type === 'message') port1.addEventListener('message', listener as never);
        else errorListeners.push(listener as (event: ErrorEvent) => void);
      },
      terminate: () => {
        port1.close();
        port2.close();
      },
    };
    port1.start();
    port2.start();
    return worker as WorkerLike;
  }, idleMs);
  return {
    client,
    created: () => created,
    crash: (message) => {
      for (const listener of errorListeners) listener({ message, preventDefault() {} } as ErrorEvent);
    },
  };
}

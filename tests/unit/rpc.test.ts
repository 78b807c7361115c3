// The typed RPC between the page and the workers, over a real MessageChannel: results and events, transfer,
// cancellation through an AbortSignal, the error envelope, releases in `finally`, and worker ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, ShardError, UserError } from '../../src/lib/errors';
import { ModelFileError } from '../../src/lib/retrieval/modelfile';
import { QuotaError } from '../../src/lib/store/db';
import { errorEnvelope, JobError, type Method } from '../../src/lib/rpc';
import { fakeWorker } from './fake-worker';

type Methods = {
  sum: Method<{ values: number[] }, { type: 'progress'; done: number }, { total: number }>;
  echo: Method<{ data: Float32Array }, never, { data: Float32Array }>;
  wait: Method<{ steps: number }, { type: 'step'; step: number }, { steps: number }>;
  fail: Method<{ kind: 'user' | 'shard' | 'bug' }, never, never>;
};

const log: string[] = [];
afterEach(() => void log.splice(0));

const worker = () =>
  fakeWorker<Methods>({
    sum: async ({ values }, job) => {
      let total = 0;
      for (const [i, v] of values.entries()) {
        total += v;
        job.emit({ type: 'progress', done: i + 1 });
      }
      return { total };
    },
    echo: async ({ data }, job) => {
      job.transfer(data.buffer);
      return { data };
    },
    wait: async ({ steps }, job) => {
      job.defer(() => log.push('first opened, released last'));
      job.defer(() => log.push('released first'));
      for (let step = 1; step <= steps; step++) {
        job.throwIfCancelled();
        job.emit({ type: 'step', step });
        await new Promise((r) => setTimeout(r, 5));
      }
      return { steps };
    },
    fail: async ({ kind }, job) => {
      job.defer(() => log.push('released after failure'));
      if (kind === 'user') throw new UserError('Pick a smaller file.');
      if (kind === 'shard') throw new ShardError('The shard has no labels.');
      throw new TypeError('x is undefined');
    },
  });

describe('worker RPC', () => {
  it('answers a call with its typed result and streams its events in order', async () => {
    const { client } = worker();
    const seen: number[] = [];
    const r = await client.call('sum', { values: [1, 2, 3] }, { onEvent: (e) => seen.push(e.done) });
    expect(r.total).toBe(6);
    expect(seen).toEqual([1, 2, 3]);
    client.terminate();
  });

  it('moves buffers both ways when asked to, instead of copying them', async () => {
    const { client } = worker();
    const data = new Float32Array([1, 2, 3]);
    const back = await client.call('echo', { data }, { transfer: [data.buffer] });
    expect(data.byteLength).toBe(0); // moved to the worker
    expect(Array.from(back.data)).toEqual([1, 2, 3]);
    client.terminate();
  });

  it('cancels through an AbortSignal: the job stops between steps and releases what it opened, latest first', async () => {
    const { client } = worker();
    const controller = new AbortController();
    const steps: number[] = [];
    const done = client.call('wait', { steps: 1000 }, { signal: controller.signal, onEvent: (e) => steps.push(e.step) });
    await vi.waitFor(() => expect(steps.length).toBeGreaterThan(2));
    controller.abort();
    const err = (await done.catch((e) => e)) as JobError;
    expect(err).toBeInstanceOf(JobError);
    expect(err.cancelled).toBe(true);
    expect(err.message).toMatch(/everything computed so far is kept/);
    expect(steps.length).toBeLessThan(1000);
    await vi.waitFor(() => expect(log).toEqual(['released first', 'first opened, released last']));
    // A signal aborted before the call never reaches the worker.
    await expect(client.call('sum', { values: [1] }, { signal: controller.signal })).rejects.toMatchObject({ cancelled: true });
    client.terminate();
  });

  it("speaks a UserError's sentence as is, wraps any other error in the job's sentence, and still releases", async () => {
    const { client } = worker();
    await expect(client.call('fail', { kind: 'user' })).rejects.toMatchObject({ message: 'Pick a smaller file.', cancelled: false });
    await expect(client.call('fail', { kind: 'shard' })).rejects.toMatchObject({ message: 'The shard has no labels.' });
    const bug = (await client.call('fail', { kind: 'bug' }).catch((e) => e)) as JobError;
    expect(bug.message).toBe('fail failed (x is undefined)');
    expect(bug.detail).toMatch(/TypeError/);
    await vi.waitFor(() => expect(log).toEqual(Array(3).fill('released after failure')));
    client.terminate();
  });

  it('keys the envelope on classes, not names: every sentence-bearing error is a UserError', () => {
    for (const err of [new ShardError('a'), new ModelFileError('b'), new QuotaError('c')]) {
      expect(err).toBeInstanceOf(UserError);
      expect(errorEnvelope(err, 'Job failed')).toEqual({ message: err.message, detail: err.stack, cancelled: false });
    }
    const renamed = Object.assign(new Error('minified'), { name: 'ShardError' });
    expect(errorEnvelope(renamed, 'Job failed').message).toBe('Job failed (minified)');
    expect(errorEnvelope(new CancelledError(), 'x')).toMatchObject({ cancelled: true });
  });

  it('ends pending jobs as cancelled when terminated', async () => {
    const w = worker();
    const pending = w.client.call('wait', { steps: 1000 });
    w.client.terminate();
    await expect(pending).rejects.toMatchObject({ cancelled: true });
    const again = w.client.call('wait', { steps: 2 });
    expect(w.created()).toBe(2); // made again on the next call
    await expect(again).resolves.toEqual({ steps: 2 });
    w.client.terminate();
  });

  it('makes a dead worker again once and posts its jobs again; a second death under a job is its sentence', async () => {
    const w = worker();
    const steps: number[] = [];
    const survives = w.client.call('wait', { steps: 40 }, { onEvent: (e) => steps.push(e.step) });
    await vi.waitFor(() => expect(steps.length).toBeGreaterThan(0), { interval: 2 });
    w.crash('RuntimeError: abort');
    await expect(survives).resolves.toEqual({ steps: 40 });
    expect(w.created()).toBe(2);
    // The job ran again from its start on the new worker.
    expect(steps.lastIndexOf(1)).toBeGreaterThan(0);
    expect(steps.at(-1)).toBe(40);

    const dies = w.client.call('wait', { steps: 1000 });
    w.crash('out of memory');
    await vi.waitFor(() => expect(w.created()).toBe(3));
    w.crash('out of memory');
    const err = await dies.catch((e: JobError) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err).toMatchObject({ cancelled: false, kind: 'worker-died' });
    expect((err as JobError).message).toMatch(/worker stopped twice \(out of memory\)\. What was computed is stored: press Try again/);
    // A job whose buffers moved to the dead worker cannot be posted again: it fails at the first death.
    const data = new Float32Array(4);
    const moved = w.client.call('wait', { steps: 1000 }, { transfer: [data.buffer] });
    w.crash('out of memory');
    await expect(moved).rejects.toMatchObject({ kind: 'worker-died', message: expect.stringMatching(/stopped unexpectedly/) });
    w.client.terminate();
  });

  it('terminates an idle worker after idleMs and makes a new one for the next call', async () => {
    const handlers = { sum: async ({ values }: { values: number[] }) => ({ total: values.length }) };
    const w = fakeWorker<Methods>(handlers as never, 20);
    await w.client.call('sum', { values: [1] });
    await new Promise((r) => setTimeout(r, 60));
    await w.client.call('sum', { values: [1, 2] });
    expect(w.created()).toBe(2);
    w.client.terminate();
  });
});

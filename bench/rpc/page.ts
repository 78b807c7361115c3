// The page of the RPC transfer benchmark: a rows x dim Float32Array sent to a worker and back, by simage's RPC and
// by Comlink, moved (transfer) and copied (structured clone), rounds interleaved; median milliseconds per way.
import * as Comlink from 'comlink';
import { WorkerClient } from '../../src/lib/rpc';
import type { EchoMethods } from './methods';

type Echo = (data: Float32Array, move: boolean) => Promise<Float32Array>;

async function clients(): Promise<Record<string, Echo>> {
  const make = (rpc: string) => new Worker(`./worker.js?rpc=${rpc}`, { type: 'module' });
  const ours = new WorkerClient<EchoMethods>(() => make('simage'));
  const theirs = Comlink.wrap<{ echo(data: Float32Array, move: boolean): { data: Float32Array } }>(make('comlink'));
  return {
    simage: async (data, move) => (await ours.call('echo', { data, move }, { transfer: move ? [data.buffer] : [] })).data,
    comlink: async (data, move) => (await theirs.echo(move ? Comlink.transfer(data, [data.buffer]) : data, move)).data,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(rows: number, dim: number, rounds: number) {
  const echo = await clients();
  const times: Record<string, number[]> = {};
  let data: Float32Array = new Float32Array(rows * dim).map((_, i) => i % 1000);
  // Moves first, then copies (a copy leaves 300 MB of garbage behind it); a pause before each timed call lets the
  // collector run outside the timing.
  for (const move of [true, false]) {
    for (let round = 0; round <= rounds; round++) {
      for (const rpc of Object.keys(echo)) {
        await new Promise((r) => setTimeout(r, 100));
        const t0 = performance.now();
        const back = await echo[rpc](data, move);
        const ms = performance.now() - t0;
        if (back.length !== rows * dim) throw new Error(`${rpc} returned ${back.length} floats`);
        data = back;
        if (round > 0) (times[`${rpc} ${move ? 'transfer' : 'copy'}`] ??= []).push(ms); // round 0 warms up
      }
    }
  }
  return Object.entries(times).map(([name, xs]) => ({ name, round_trip_ms: median(xs), min_ms: Math.min(...xs), max_ms: Math.max(...xs) }));
}

window.__rpcBench = run;

declare global {
  interface Window {
    __rpcBench: typeof run;
  }
}

// The one method of the RPC transfer benchmark's worker.
import type { Method } from '../../src/lib/rpc';

export type EchoMethods = { echo: Method<{ data: Float32Array; move: boolean }, never, { data: Float32Array }> };

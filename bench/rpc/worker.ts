// The worker of the RPC transfer benchmark: the same `echo` method served by simage's RPC and by Comlink, each
// answering with the array it was given, moved back (transfer) or copied (structured clone).
import * as Comlink from 'comlink';
import { serve } from '../../src/lib/rpc';
import type { EchoMethods } from './methods';

const which = new URL(self.location.href).searchParams.get('rpc');
if (which === 'simage') {
  serve<EchoMethods>(
    {
      echo: async ({ data, move }, job) => {
        if (move) job.transfer(data.buffer);
        return { data };
      },
    },
    { echo: 'echo failed' },
    self,
  );
} else {
  Comlink.expose({
    echo: (data: Float32Array, move: boolean) => (move ? Comlink.transfer({ data }, [data.buffer]) : { data }),
  });
}

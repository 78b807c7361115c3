#!/usr/bin/env node
// `npm start`: builds the app if needed and serves it (cross-origin isolated) on http://127.0.0.1:5173/ or the
// port given with --port / PORT. The demo shards are one click away on the page.
import { buildIfNeeded, ROOT } from './build-if-needed.mjs';
import { serve } from './serve.mjs';
import { join } from 'node:path';

const argPort = process.argv.indexOf('--port');
const port = Number(argPort > 0 ? process.argv[argPort + 1] : (process.env.PORT ?? 5173));
buildIfNeeded();
const { origin } = await serve({ root: join(ROOT, 'dist'), port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`simage is running at ${origin}/  (Ctrl+C to stop)`);

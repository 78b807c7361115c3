// @ts-check
// Builds the app with Vite when dist/ is missing or older than any source file. Output goes to stderr.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time (ms) of a file or of anything under a folder; 0 when absent.
 * @param {string} path
 * @returns {number} */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

export function buildIfNeeded({ force = false } = {}) {
  const built = join(ROOT, 'dist', 'index.html');
  const inputs = [
    'src',
    'workers',
    'index.html',
    'vite.config.ts',
    join('scripts', 'csp.mjs'),
    'package.json',
    join('public', 'models', 'inception-v3', 'model.json'),
  ];
  const stale = force || !existsSync(built) || Math.max(...inputs.map((p) => newest(join(ROOT, p)))) > statSync(built).mtimeMs;
  if (!stale) return false;
  process.stderr.write('[simage] building the app (vite build)…\n');
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
  });
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfNeeded({ force: process.argv.includes('--force') });

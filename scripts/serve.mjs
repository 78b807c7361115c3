// @ts-check
// A small static server for the built app (dist/) with the cross-origin isolation headers the WASM backend needs
// for threads, plus an optional local shard mounted at /__shard/: a folder gets a generated manifest.json (HTTP
// cannot list folders), an archive is served as a file. Used by `npm start`, `npm run pipeline`, tests and bench.
import { createServer } from 'node:http';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { CSP } from './csp.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.zip': 'application/zip',
  '.tar': 'application/x-tar',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
};
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': CSP,
};

/** @param {string} dir @param {string} [root] @param {string[]} [out] @returns {string[]} */
function listFiles(dir, root = dir, out = /** @type {string[]} */ ([])) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) listFiles(full, root, out);
    else out.push(relative(root, full).split(sep).join('/'));
  }
  return out;
}

/**
 * Serves `root`; `shard` (a local folder or archive path) is mounted at /__shard/. Resolves when listening.
 * @param {{ root: string; shard?: string | null; port?: number; host?: string; log?: (line: string) => void }} options
 * @returns {Promise<{ origin: string; shardUrl: string | null; close: () => Promise<void>; server: import('node:http').Server }>}
 */
export function serve({ root, shard = null, port = 0, host = '127.0.0.1', log = () => {} }) {
  const rootDir = resolve(root);
  const shardPath = shard ? resolve(shard) : null;
  const shardIsDir = shardPath ? statSync(shardPath).isDirectory() : false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let pathname = decodeURIComponent(url.pathname);
    /** @param {number} status @param {string} body */
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type, ...ISOLATION_HEADERS, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    /** @type {string | null} */
    let file;
    const mount = shardPath ? `/__shard/${basename(shardPath)}${shardIsDir ? '/' : ''}` : null;
    if (shardPath && mount && (pathname.startsWith(mount) || (!shardIsDir && pathname === mount))) {
      const rest = shardIsDir ? pathname.slice(mount.length) : basename(shardPath);
      if (!shardIsDir) file = rest === basename(shardPath) ? shardPath : null;
      else if (rest === 'manifest.json' && !existsSync(join(shardPath, 'manifest.json'))) {
        return send(200, JSON.stringify({ files: listFiles(shardPath) }), TYPES['.json']);
      } else file = join(shardPath, normalize(rest));
      if (file && shardIsDir && !file.startsWith(shardPath + sep) && file !== shardPath) file = null;
    } else {
      if (pathname.endsWith('/')) pathname += 'index.html';
      file = join(rootDir, normalize(pathname));
      if (!file.startsWith(rootDir + sep)) file = null;
    }
    if (!file || !existsSync(file) || statSync(file).isDirectory()) return send(404, 'not found');
    const size = statSync(file).size;
    const type = /** @type {Record<string, string>} */ (TYPES)[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, ...ISOLATION_HEADERS, 'Cache-Control': 'no-cache' });
    log(`${req.method} ${pathname}`);
    createReadStream(file).pipe(res);
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
      const origin = `http://${host}:${actual}`;
      const shardUrl = shardPath ? `${origin}/__shard/${encodeURIComponent(basename(shardPath))}${shardIsDir ? '/' : ''}` : null;
      resolveListen({ origin, shardUrl, close: () => new Promise((r) => server.close(() => r(undefined))), server });
    });
  });
}

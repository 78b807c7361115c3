// @ts-check
// The app's Content Security Policy, one source for the built page's <meta> (vite.config.ts) and the headers of
// every response of scripts/serve.mjs (workers take their policy from their own response, not from the page).
// Everything is same-origin: no request can leave for another host, images included. No 'unsafe-eval':
// 'wasm-unsafe-eval' only lets WebAssembly compile (TensorFlow.js's WASM backend); blob: scripts and workers are
// the WASM backend's threads (emscripten builds them from its own source; only same-origin code can make a blob:); inline styles are Svelte's style attributes (no script can come from them).
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'", 'blob:'],
  'worker-src': ["'self'", 'blob:'],
  'connect-src': ["'self'", 'blob:', 'data:'],
  'img-src': ["'self'", 'blob:', 'data:'],
  'style-src': ["'self'", "'unsafe-inline'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'none'"],
};

export const CSP = Object.entries(CSP_DIRECTIVES)
  .map(([k, v]) => `${k} ${v.join(' ')}`)
  .join('; ');

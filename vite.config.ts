// Vite build for the app and its module workers. The dev server and the preview server send the headers that make
// the page cross-origin isolated (COOP + COEP), which the WASM backend needs for threads.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { CSP } from './scripts/csp.mjs';

export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  plugins: [
    svelte(),
    // The built page carries its Content Security Policy itself, so any static host serves it with the policy.
    {
      name: 'simage-csp',
      apply: 'build',
      transformIndexHtml: () => [
        { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' },
      ],
    },
  ],
  worker: { format: 'es' },
  // Identifier mangling breaks the WASM backend's threads: its pthread workers are made from the emscripten
  // factory's own source text (tfjs issue #4539), so names inside it must survive. Whitespace is still removed.
  build: { target: 'es2022', chunkSizeWarningLimit: 8192, minify: false },
  server: { headers: isolationHeaders },
  preview: { headers: { ...isolationHeaders, 'Content-Security-Policy': CSP } },
  test: {
    projects: [
      { extends: false, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      {
        extends: false,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/browser/setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
} as never);

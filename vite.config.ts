// Vite build for the app and its module workers, with a web app manifest and a service worker (vite-plugin-pwa,
// Workbox) that precaches the app, its workers, the model weights and the WASM binaries, so after one visit the
// app opens and computes with the network off. The demo shards are cached as they are used, not up front. The dev server and the preview server send the headers that make
// the page cross-origin isolated (COOP + COEP), which the WASM backend needs for threads.
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { CSP } from './scripts/csp.mjs';
import { methodsPageFrom } from './scripts/methods-page.ts';

export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// docs/METHODS.md as methods.html, where the page's explanations of its figures link (scripts/methods-page.ts).
const methodsPage: Plugin = {
  name: 'simage-methods',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'methods.html', source: methodsPageFrom(import.meta.dirname) });
  },
  configureServer(server) {
    server.middlewares.use((req, res, next) => {
      if (!req.url?.split('?')[0].endsWith('/methods.html')) return next();
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(methodsPageFrom(import.meta.dirname));
    });
  },
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
    methodsPage,
    VitePWA({
      registerType: 'autoUpdate',
      // The manifest's icons are in the glob below already.
      includeManifestIcons: false,
      // A deferred same-origin script (registerSW.js): the CSP allows no inline script.
      injectRegister: 'script-defer',
      manifest: {
        name: 'simage: similar-image search in your browser',
        short_name: 'simage',
        description: 'Private, in-browser similar-image search over your labelled images.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#f8fafc',
        theme_color: '#1d4ed8',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,wasm,json,bin,png}'],
        globIgnores: ['shards/**'],
        // The Inception v3 weights come in 4 MB shards, about 90 MB in all; the WASM binaries are up to 10 MB each.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
        // Local shards mounted by the CLI and the tests (/__shard/) are never cached.
        navigateFallbackDenylist: [/\/__shard\//],
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /\/shards\/demo(-small)?\//.test(url.pathname),
            handler: 'CacheFirst',
            options: { cacheName: 'simage-demo-shards' },
          },
        ],
      },
    }),
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

// ESLint: the recommended rules of ESLint, typescript-eslint and eslint-plugin-svelte, with the globals of each
// realm (page, worker, Node). Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

export default ts.config(
  // .gpu/: what bench/gpu/pack.sh packs for a GPU machine (bundles and binaries, never committed).
  { ignores: ['node_modules/', 'dist/', 'dist-model/', 'public/', '.cache/', 'test-results/', '.gpu/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // `_name` marks a value left unused on purpose (destructuring that drops a field).
      // Maps and Sets built inside $derived are values, not state to mutate: SvelteMap would only add cost.
      'svelte/prefer-svelte-reactivity': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  { files: ['**/*.svelte', '**/*.svelte.ts'], languageOptions: { parserOptions: { parser: ts.parser } } },
  // No import circles: a module's dependencies form a tree (DEVELOPERS.md, the layers).
  {
    files: ['src/**/*.ts', 'workers/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js', '.svelte'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  { files: ['workers/**'], languageOptions: { globals: { ...globals.worker } } },
  {
    files: ['scripts/**', 'bench/**', 'tests/**', 'examples/**', '*.config.*'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);

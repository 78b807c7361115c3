// Global setup for the browser tests: build the app if needed and serve it once; tests get its origin.
import type { TestProject } from 'vitest/node';
import { join } from 'node:path';
import { buildIfNeeded, ROOT } from '../../scripts/build-if-needed.mjs';
import { serve } from '../../scripts/serve.mjs';
import { findBrowser } from '../../scripts/browser.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    origin: string;
  }
}

export default async function setup(project: TestProject) {
  const browser = await findBrowser();
  console.log(`[browser tests] driving ${browser.name}: ${browser.version ?? 'version unknown'}`);
  buildIfNeeded();
  const server = await serve({ root: join(ROOT, 'dist') });
  project.provide('origin', server.origin);
  return () => server.close();
}

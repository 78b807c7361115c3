// @ts-check
// Launches the system Chromium through playwright-core with the flags that work on machines without a GPU or a
// network (see DEVELOPERS.md). A profile folder makes the browser's IndexedDB cache persist between runs.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // On a software WebGPU adapter (SwiftShader) one Inception v3 pass takes tens of seconds; the GPU watchdog would
  // kill the GPU process mid-pass ("A valid external Instance reference no longer exists").
  '--disable-gpu-watchdog',
];

export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(
    Boolean,
  );
  const found = /** @type {string[]} */ (candidates).find((p) => existsSync(p));
  if (!found) throw new Error('Chromium not found: install it (apt-get install -y chromium) or set CHROMIUM_PATH.');
  return found;
}

/**
 * A persistent context (its own profile folder, temporary unless `profile` is given: a temporary one is removed
 * when the context closes).
 * `serviceWorkers: 'block'` keeps the app's offline cache out (the CLI: a profile kept between runs would otherwise
 * serve the previous build's precached app on the first run after an update).
 * @param {{ profile?: string | null; extraArgs?: string[]; serviceWorkers?: 'allow' | 'block' }} [options]
 */
export async function launch({ profile = null, extraArgs = [], serviceWorkers = 'allow' } = {}) {
  const dir = profile ?? mkdtempSync(join(tmpdir(), 'simage-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
    serviceWorkers,
  });
  // A profile made here is the run's own: removed when the browser closes (a given one is the caller's to keep).
  // Best effort: Chromium's helpers may still be writing into it for a moment after the close.
  if (!profile)
    context.on('close', () => void rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(() => undefined));
  return { context, profileDir: dir };
}

// @ts-check
// Launches Chromium (the system's, else the one bundled in an npm package) through playwright-core with the flags that work on machines without a GPU or a
// network (see DEVELOPERS.md). A profile folder makes the browser's IndexedDB cache persist between runs.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { unpackTar } from 'modern-tar/fs';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { ROOT } from './build-if-needed.mjs';

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

// Where a system Chromium or Chrome usually lives (Linux packages, Google's .deb, macOS apps).
const SYSTEM_BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/**
 * @typedef {{ path: string; kind: 'env' | 'system' | 'bundled'; name: string; env?: Record<string, string>; version?: string | null }} Browser
 */

/** @type {Promise<Browser> | null} */
let found = null;

/**
 * The browser the tests, the CLI and the benchmark drive: `CHROMIUM_PATH` when set, else the system's Chromium or
 * Chrome, else the Chromium build that ships inside the npm package `@sparticuz/chromium` (a devDependency: Linux
 * x64, unpacked once into node_modules/.cache; nothing is downloaded from outside the npm registry).
 * @returns {Promise<Browser>}
 */
export function findBrowser() {
  found ??= locate().then((b) => ({ ...b, version: versionOf(b) }));
  return found;
}

/** What the browser says of itself (`Chromium 156.0…`), or null when it cannot say.
 * @param {Browser} browser */
function versionOf(browser) {
  try {
    const out = execFileSync(browser.path, ['--version'], { env: { ...process.env, ...browser.env }, timeout: 10_000 });
    return out.toString().trim() || null;
  } catch {
    return null;
  }
}

/** @returns {Promise<Browser>} */
async function locate() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist: fix it or unset it.`);
    return { path: fromEnv, kind: 'env', name: `CHROMIUM_PATH (${fromEnv})` };
  }
  const system = SYSTEM_BROWSERS.find((p) => existsSync(p));
  if (system) return { path: system, kind: 'system', name: `the system's browser (${system})` };
  const bundled = await bundledChromium();
  if (bundled) return bundled;
  throw new Error(
    `No Chromium found: none at ${SYSTEM_BROWSERS.join(', ')}, and the bundled one (npm package @sparticuz/chromium) ` +
      `is for Linux x64 only (this is ${process.platform} ${process.arch}). Install Chromium or Chrome, or set CHROMIUM_PATH.`,
  );
}

/**
 * Unpacks `@sparticuz/chromium`'s brotli files (the headless Chromium, SwiftShader for WebGPU and WebGL, the NSS
 * libraries it links, a font) into node_modules/.cache/simage-chromium/<version>, once: into a temporary folder
 * renamed into place, so that several processes starting at once do not see a half-written browser.
 * @returns {Promise<Browser | null>}
 */
async function bundledChromium() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  let pkgDir;
  try {
    pkgDir = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..');
  } catch {
    return null;
  }
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const dir = join(ROOT, 'node_modules', '.cache', 'simage-chromium', version);
  const browser = {
    path: join(dir, 'chromium'),
    kind: /** @type {const} */ ('bundled'),
    name: `the bundled Chromium ${version} (npm package @sparticuz/chromium)`,
    env: {
      LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: join(dir, 'fonts'),
    },
  };
  if (existsSync(join(dir, 'ready'))) return browser;
  const bin = join(pkgDir, 'bin');
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(join(tmp, 'fonts'), { recursive: true });
  process.stderr.write(`[browser] unpacking ${browser.name} (once)\n`);
  await pipeline(
    createReadStream(join(bin, 'chromium.br')),
    createBrotliDecompress(),
    createWriteStream(join(tmp, 'chromium'), { mode: 0o755 }),
  );
  await pipeline(createReadStream(join(bin, 'swiftshader.tar.br')), createBrotliDecompress(), unpackTar(tmp));
  await pipeline(createReadStream(join(bin, 'al2023.tar.br')), createBrotliDecompress(), unpackTar(tmp));
  await pipeline(createReadStream(join(bin, 'fonts.tar.br')), createBrotliDecompress(), unpackTar(join(tmp, 'fonts')));
  // The package's fonts.conf names Lambda's folders; this one takes the system's fonts when there are any, and the
  // bundled Open Sans.
  await writeFile(
    join(tmp, 'fonts', 'fonts.conf'),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
      `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${join(dir, 'fonts', 'fonts')}</dir>\n` +
      `  <cachedir>${join(dir, 'fonts', 'cache')}</cachedir>\n</fontconfig>\n`,
  );
  await writeFile(join(tmp, 'ready'), `${version}\n`);
  try {
    await rename(tmp, dir);
  } catch (e) {
    // Another process unpacked it first: use theirs.
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'ready'))) throw e;
  }
  return browser;
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
  const browser = await findBrowser();
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: browser.path,
    ...(browser.env ? { env: { ...process.env, ...browser.env } } : {}),
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
    serviceWorkers,
  });
  // A profile made here is the run's own: removed when the browser closes (a given one is the caller's to keep).
  // Best effort: Chromium's helpers may still be writing into it for a moment after the close.
  if (!profile)
    context.on('close', () => void rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(() => undefined));
  return { context, profileDir: dir, browser };
}

#!/usr/bin/env node
// Finds a Chromium for the Playwright e2e tests, installing one when none is found.
//
//   node scripts/ensure-chromium.mjs     (run by `npm run test:e2e` before `playwright test`)
//
// Lookup order (findChromium, also used by playwright.config.ts through scripts/lib/browser.ts):
//   1. $CHROMIUM_PATH, when set and executable;
//   2. Playwright's own Chromium, when `npx playwright install chromium` has already run;
//   3. a system Chromium/Chrome: /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome,
//      then `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on $PATH.
// When none is found: as root on Linux with apt-get, `apt-get update && apt-get install -y chromium`
// (Debian's package runs WebGPU headless on SwiftShader); otherwise `npx playwright install chromium`.
// Plain Node ESM without dependencies: it must run on a fresh clone (playwright-core is optional here).

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** @param {string} file */
export function isExecutable(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Like `which`: the first executable called `name` on $PATH, or null. No subprocess.
 * @param {string} name
 * @returns {string | null}
 */
export function which(name) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD').split(';')] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      if (isExecutable(file)) return file;
    }
  }
  return null;
}

/**
 * Path of Playwright's own Chromium (the full build, used with channel 'chromium') when it is
 * installed; null when it is not installed or Playwright itself is not installed.
 * @returns {string | null}
 */
export function playwrightChromiumPath() {
  const require = createRequire(import.meta.url);
  for (const id of ['playwright-core', '@playwright/test']) {
    /** @type {{ chromium: { executablePath(): string } }} */
    let pw;
    try {
      pw = require(id);
    } catch {
      continue;
    }
    try {
      const file = pw.chromium.executablePath();
      return file && existsSync(file) ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * @typedef {{ path: string, source: 'env' | 'playwright' | 'system', label: string }} FoundChromium
 */

/**
 * Finds a Chromium without installing anything. Warnings (e.g. a bad CHROMIUM_PATH) go to `warn`.
 * @param {{ warn?: (message: string) => void }} [options]
 * @returns {FoundChromium | null}
 */
export function findChromium(options = {}) {
  const warn = options.warn ?? ((message) => console.warn(message));
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return { path: fromEnv, source: 'env', label: 'from CHROMIUM_PATH' };
    warn(`ensure-chromium: CHROMIUM_PATH=${fromEnv} is not an executable file; ignoring it`);
  }
  const bundled = playwrightChromiumPath();
  if (bundled) return { path: bundled, source: 'playwright', label: "Playwright's bundled Chromium" };
  for (const file of SYSTEM_PATHS) {
    if (isExecutable(file)) return { path: file, source: 'system', label: 'system package' };
  }
  for (const name of PATH_NAMES) {
    const file = which(name);
    if (file) return { path: file, source: 'system', label: `system, found on PATH as ${name}` };
  }
  return null;
}

/**
 * Runs a command with inherited stdio; true when it exits 0.
 * @param {string} command
 * @param {string[]} args
 */
function run(command, args) {
  console.log(`ensure-chromium: $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    shell: process.platform === 'win32',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) console.error(`ensure-chromium: ${command} failed to start: ${result.error.message}`);
  return result.status === 0;
}

/** @param {FoundChromium} found */
function foundText(found) {
  return `${found.path} (${found.label})`;
}

function main() {
  const found = findChromium();
  if (found) {
    console.log(`ensure-chromium: using ${foundText(found)}`);
    return 0;
  }

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (process.platform === 'linux' && isRoot && which('apt-get')) {
    console.log('ensure-chromium: no Chromium found; installing the distribution package with apt-get');
    if (run('apt-get', ['update']) && run('apt-get', ['install', '-y', 'chromium'])) {
      const installed = findChromium();
      if (installed) {
        console.log(`ensure-chromium: installed with apt-get; using ${foundText(installed)}`);
        return 0;
      }
    }
    console.error('ensure-chromium: apt-get did not provide a usable Chromium; trying Playwright instead');
  }

  console.log(
    "ensure-chromium: no Chromium found; downloading Playwright's with `npx playwright install chromium`",
  );
  if (run('npx', ['playwright', 'install', 'chromium'])) {
    const installed = findChromium();
    if (installed) {
      console.log(`ensure-chromium: installed with Playwright; using ${foundText(installed)}`);
      return 0;
    }
  }

  console.error(
    [
      'ensure-chromium: no Chromium available for the e2e tests, and installing one failed.',
      'Do one of:',
      "  npx playwright install chromium            (downloads Playwright's Chromium; needs network)",
      '  sudo apt-get install -y chromium           (Debian/Ubuntu system package)',
      '  CHROMIUM_PATH=/path/to/chromium npm run test:e2e   (use a Chromium/Chrome you already have)',
    ].join('\n'),
  );
  return 1;
}

function isMain() {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) process.exit(main());

/**
 * The Firefox the tests launch (for WebGPU trixie's 153 ESR, else the system's), driven by
 * puppeteer-core over WebDriver BiDi. Playwright's own Firefox build cannot be downloaded on a
 * machine without network, and its moz-firefox channel fails on Firefox ESR 153
 * ("emulation.setMediaFeaturesOverride: unknown command").
 *
 * Which Firefox: $FIREFOX_PATH when set; else, for WebGPU, trixie's Firefox ESR that
 * scripts/ci/firefox-webgpu.sh unpacks beside the system's packages (bookworm's firefox-esr
 * 140 refuses WebGPU: "not yet available in Release or late Beta builds"); else the system's
 * Firefox (Debian's firefox-esr), which a first visit uses: what a Linux user has.
 *
 * - WebGPU: Firefox on Linux ships it switched off. `webgpu: true` turns it on with the two
 *   prefs below; with Mesa's lavapipe Vulkan driver (Debian's mesa-vulkan-drivers) it then runs
 *   on the CPU through wgpu and naga: a second WebGPU implementation beside Chromium's Dawn
 *   and Tint, and a second Vulkan driver beside SwiftShader.
 * - Without `webgpu`, a first visit sees what a Linux user sees by default: no navigator.gpu.
 */
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import puppeteer, { type Browser } from 'puppeteer-core';
import { isExecutable } from './browser';

const SYSTEM_PATHS = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];
const PATH_NAMES = ['firefox-esr', 'firefox'];

export type FirefoxOptions = {
  /** WebGPU switched on (the prefs below), in the newest Firefox there is. */
  webgpu?: boolean;
  /** The newest Firefox there is (trixie's, where scripts/ci/firefox-webgpu.sh put it), WebGPU left as it ships. */
  newest?: boolean;
};
export type FoundFirefox = { path: string; why: string } | { path: null; reason: string };

/** Where scripts/ci/firefox-webgpu.sh puts trixie's Firefox (the script computes the same path). */
export function trixieFirefoxPath(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  const prefix = env.MKD_FIREFOX_PREFIX || path.join(cache, 'mkd', 'firefox-esr-trixie');
  return path.join(prefix, 'usr', 'lib', 'firefox-esr', 'firefox-esr');
}

function systemFirefox(): string | null {
  for (const file of SYSTEM_PATHS) if (isExecutable(file)) return file;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of PATH_NAMES) {
      const file = path.join(dir, name);
      if (dir && isExecutable(file)) return file;
    }
  }
  return null;
}

/** The Firefox the tests use and why that one, or why there is none (the tests then skip, saying so). */
export function findFirefox(options: FirefoxOptions = {}): FoundFirefox {
  const fromEnv = process.env.FIREFOX_PATH;
  if (fromEnv) {
    return isExecutable(fromEnv)
      ? { path: fromEnv, why: 'FIREFOX_PATH' }
      : { path: null, reason: `FIREFOX_PATH=${fromEnv} is not an executable file` };
  }
  const trixie = trixieFirefoxPath();
  if ((options.webgpu || options.newest) && isExecutable(trixie)) {
    return { path: trixie, why: "trixie's firefox-esr from scripts/ci/firefox-webgpu.sh" };
  }
  const system = systemFirefox();
  if (system) {
    const why =
      options.webgpu || options.newest
        ? `the system's Firefox (no ${trixie}: scripts/ci/firefox-webgpu.sh puts one there)`
        : "the system's Firefox";
    return { path: system, why };
  }
  return {
    path: null,
    reason:
      'no Firefox found (set FIREFOX_PATH, or on Debian/Ubuntu: apt-get install firefox-esr mesa-vulkan-drivers; .ci/run installs both)',
  };
}

/** Prefs that switch WebGPU on in Firefox on Linux (off by default there, and blocklisted on software drivers). */
export const FIREFOX_WEBGPU_PREFS = { 'dom.webgpu.enabled': true, 'gfx.webgpu.ignore-blocklist': true };

/** A headless Firefox with a fresh profile; each launch is a first visit. */
export async function launchFirefox(options: FirefoxOptions = {}): Promise<Browser> {
  const found = findFirefox(options);
  if ('reason' in found) throw new Error(found.reason);
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: found.path,
    headless: true,
    // Steps on an emulated GPU take minutes; the tests set their own deadlines.
    protocolTimeout: 0,
    extraPrefsFirefox: options.webgpu ? FIREFOX_WEBGPU_PREFS : {},
  });
}

/** "firefox/153.8.0 (/path/to/firefox-esr: why this one)", for a test's log and annotations. */
export async function describeFirefox(browser: Browser, options: FirefoxOptions = {}): Promise<string> {
  const found = findFirefox(options);
  const where = 'reason' in found ? found.reason : `${found.path}: ${found.why}`;
  return `${await browser.version()} (${where})`;
}

// How the tests launch Firefox: the system's Firefox (Debian's firefox-esr, or $FIREFOX_PATH)
// through puppeteer-core over WebDriver BiDi. Playwright's own Firefox build cannot be
// downloaded on a machine without network, and its moz-firefox channel fails on Firefox ESR
// 153 ("emulation.setMediaFeaturesOverride: unknown command").
//
// - WebGPU: Firefox on Linux ships it switched off. `webgpu: true` turns it on with the two
//   prefs below; with Mesa's lavapipe Vulkan driver (Debian's mesa-vulkan-drivers) it then runs
//   on the CPU through wgpu and naga: a second WebGPU implementation beside Chromium's Dawn
//   and Tint, and a second Vulkan driver beside SwiftShader.
// - Without `webgpu`, a first visit sees what a Linux user sees by default: no navigator.gpu.

import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import puppeteer, { type Browser } from 'puppeteer-core';

const SYSTEM_PATHS = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];
const PATH_NAMES = ['firefox-esr', 'firefox'];

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Firefox the tests use, or why there is none (the tests then skip, saying so). */
export function findFirefox(): { path: string } | { path: null; reason: string } {
  const fromEnv = process.env.FIREFOX_PATH;
  if (fromEnv) {
    return isExecutable(fromEnv)
      ? { path: fromEnv }
      : { path: null, reason: `FIREFOX_PATH=${fromEnv} is not an executable file` };
  }
  for (const file of SYSTEM_PATHS) if (isExecutable(file)) return { path: file };
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of PATH_NAMES) {
      const file = path.join(dir, name);
      if (dir && isExecutable(file)) return { path: file };
    }
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
export async function launchFirefox(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const found = findFirefox();
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

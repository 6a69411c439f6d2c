// How the e2e tests launch Chromium with WebGPU. Used by playwright.config.ts; import it in
// throwaway scripts too (chromium.launch(chromiumLaunchOptions())) so they match the tests.
//
// - Browser: Playwright's own Chromium (channel 'chromium': the full build in new headless mode)
//   when `npx playwright install chromium` has run; else $CHROMIUM_PATH or a system Chromium
//   (found by scripts/ensure-chromium.mjs, the one copy of the lookup).
// - WebGPU: always --enable-unsafe-webgpu. Without a GPU, the SwiftShader adapter (WebGPU on the
//   CPU: slow, use tiny configs) plus flags that keep Chromium off the network.
//   WEBGPU_ADAPTER=swiftshader|gpu overrides the detection.
// - navigator.gpu exists only in secure contexts: load pages from http://localhost, never file://.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import type { Browser, LaunchOptions } from '@playwright/test';

interface FoundChromium {
  path: string;
  source: 'env' | 'playwright' | 'system';
  label: string;
}

interface ChromiumLookup {
  findChromium(options?: { warn?: (message: string) => void }): FoundChromium | null;
  isExecutable(file: string): boolean;
}

// A plain .mjs (it must run under bare Node before anything is built) has no type declarations,
// so it is loaded by URL and typed here.
const lookup = (await import(new URL('../ensure-chromium.mjs', import.meta.url).href)) as ChromiumLookup;

export type WebGpuAdapterMode = 'swiftshader' | 'gpu';

/** Port of `vite preview` in the e2e tests; E2E_PORT lets two checkouts on one machine test side by side. */
export const PREVIEW_PORT = Number(process.env.E2E_PORT || process.env.PREVIEW_PORT) || 4173;
export const BASE_URL = `http://localhost:${PREVIEW_PORT}`;

/** Screenshots and other files tests want to keep (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../e2e/artifacts/', import.meta.url));

/** Path for an artifact file (e.g. a screenshot) under e2e/artifacts, creating the folder. */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}

/** True when this machine has a GPU that Chromium could use for WebGPU. */
export function hasGpu(): boolean {
  if (process.platform !== 'linux') return true; // macOS/Windows: assume one.
  if (existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** 'swiftshader' (CPU emulation) or 'gpu'; env WEBGPU_ADAPTER forces either. */
export function webgpuAdapterMode(): WebGpuAdapterMode {
  const forced = process.env.WEBGPU_ADAPTER?.trim().toLowerCase();
  if (forced === 'swiftshader' || forced === 'gpu') return forced;
  if (forced) console.warn(`WEBGPU_ADAPTER=${forced} is not 'swiftshader' or 'gpu'; detecting instead`);
  return hasGpu() ? 'gpu' : 'swiftshader';
}

function isRootOnLinux(): boolean {
  return process.platform === 'linux' && os.userInfo().uid === 0;
}

/** Chromium command-line flags for WebGPU tests on this machine. */
export function chromiumArgs(mode: WebGpuAdapterMode = webgpuAdapterMode()): string[] {
  const args = ['--enable-unsafe-webgpu'];
  if (mode === 'swiftshader') {
    args.push(
      '--use-webgpu-adapter=swiftshader',
      // Machines without a GPU are usually CI boxes without network: keep Chromium quiet.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    );
  }
  if (isRootOnLinux()) args.push('--no-sandbox');
  return args;
}

/**
 * Launch options for Playwright's chromium (use.launchOptions, or chromium.launch(...)).
 * Headless is left to Playwright (default true, `--headed` works); with Playwright's own
 * browser the 'chromium' channel selects the full build in new headless mode, and a system
 * Chromium >= 132 runs new headless for Playwright's `--headless`.
 */
export function chromiumLaunchOptions(): LaunchOptions {
  const found = lookup.findChromium();
  const options: LaunchOptions = { args: chromiumArgs() };
  if (found && found.source !== 'playwright') options.executablePath = found.path;
  else options.channel = 'chromium'; // Playwright's browser (or its "run npx playwright install" error).
  return options;
}

/** One line for logs: which browser and adapter the tests use. */
export function describeBrowser(): string {
  const found = lookup.findChromium({ warn: () => {} });
  const browser = found
    ? `${found.path} (${found.label})`
    : 'none found (run: node scripts/ensure-chromium.mjs)';
  return `chromium: ${browser}; WebGPU adapter: ${webgpuAdapterMode()}`;
}

/**
 * On SwiftShader, lowers the scheduling priority (nice 19) of every thread of the browser's GPU
 * process, where the emulator runs WebGPU's shaders on the CPU. Returns what it did, or why not.
 *
 * Why: the page's main-thread budget (no task over 50 ms) is about our code. On a real GPU the
 * shaders do not use the CPU; here they keep both cores busy, and a task that needs 10 ms of CPU
 * can take 100 ms of wall time waiting for a core. At nice 19 the emulator still trains (it gets
 * whatever the page leaves), but no longer preempts the page, so what the long-task observer
 * measures is again the page's own work. Linux only (threads are /proc/<pid>/task/<tid>); only
 * threads of this browser's GPU process, found through the DevTools protocol.
 */
export async function yieldEmulatedGpu(browser: Browser): Promise<string> {
  if (webgpuAdapterMode() !== 'swiftshader') return 'real GPU: nothing to do';
  if (process.platform !== 'linux') return `not on Linux (${process.platform}): left as is`;
  const session = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    const gpu = processInfo.filter((p) => p.type.toLowerCase() === 'gpu');
    if (gpu.length === 0) return 'no separate GPU process: left as is';
    let threads = 0;
    for (const { id } of gpu) {
      for (const tid of readdirSync(`/proc/${id}/task`)) {
        os.setPriority(Number(tid), 19);
        threads++;
      }
    }
    return `GPU process ${gpu.map((p) => p.id).join(', ')}: ${threads} threads at nice 19`;
  } finally {
    await session.detach();
  }
}

/** A plain file this user may run (the check the Chromium and Firefox lookups share). */
export const isExecutable = (file: string): boolean => lookup.isExecutable(file);

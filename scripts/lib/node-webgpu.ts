/**
 * WebGPU in Node for `npm run bench -- --node-webgpu`, through the npm package `webgpu`
 * (Dawn over Vulkan, Metal or D3D12), so a GPU machine without a browser can measure. The
 * package is not a dependency (130 MB of native builds that every `npm ci` would fetch for
 * one flag): it is loaded only here, and its absence is a clear message.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { UsageError } from './cli';

/** The part of the package used: Dawn's GPU object and the WebGPU classes and constants. */
export interface DawnModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

export interface NodeWebGpu {
  /** "vendor architecture (description)" as Dawn reports the adapter. */
  adapter: string;
  /** Dawn's fallback (CPU) adapter, or SwiftShader / llvmpipe by name. */
  emulated: boolean;
  packageVersion: string;
}

export const MISSING_PACKAGE =
  '--node-webgpu needs the npm package "webgpu" (Dawn for Node), which this project does not install: install it with npm i webgpu (npm i --no-save webgpu leaves package.json as it is), then run the bench again';

export function noAdapterMessage(platform: string = process.platform): string {
  const driver =
    platform === 'linux'
      ? "Dawn runs on Vulkan here: install the GPU's Vulkan driver and loader (libvulkan1; NVIDIA ships its ICD with the driver). For a software check without a GPU, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json uses the SwiftShader that Debian's Chromium ships (Mesa 22's lavapipe lacks a feature Dawn requires)"
      : 'check the GPU driver (Dawn uses Metal on macOS, D3D12 on Windows)';
  return `--node-webgpu: Dawn (npm webgpu) found no WebGPU adapter on this machine; ${driver}`;
}

/** The adapter's name, and whether it is software, from GPUAdapterInfo's fields. */
export function describeAdapter(info: {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}): {
  adapter: string;
  emulated: boolean;
} {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const adapter = info.description ? `${name} (${info.description})` : name;
  const soft = /swiftshader|llvmpipe|lavapipe|software/i.test(
    `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''} ${info.device ?? ''}`,
  );
  return { adapter, emulated: Boolean(info.isFallbackAdapter) || soft };
}

export type DawnLoader = () => Promise<{ dawn: DawnModule; version: string }>;

/** Loads the package; `resolve` finds it (a test passes one that finds nothing). */
export async function loadDawn(
  resolve: (id: string) => string = createRequire(import.meta.url).resolve,
): Promise<{ dawn: DawnModule; version: string }> {
  let entry: string;
  try {
    entry = resolve('webgpu');
  } catch {
    throw new UsageError(MISSING_PACKAGE);
  }
  const manifest = JSON.parse(readFileSync(resolve('webgpu/package.json'), 'utf8')) as { version?: string };
  // The resolved file, not the bare name: the package is optional, and typecheck must not need it.
  const dawn = (await import(pathToFileURL(entry).href)) as DawnModule;
  if (typeof dawn.create !== 'function' || !dawn.globals)
    throw new Error(`the "webgpu" package at ${entry} has no create() and globals: not Dawn's node-webgpu`);
  return { dawn, version: manifest.version ?? 'unknown' };
}

/**
 * Makes WebGPU visible to TF.js as in a browser: the WebGPU classes and constants on
 * globalThis, and navigator.gpu. Must run before tfjs-backend-webgpu is first imported
 * (it registers itself only when navigator.gpu exists). Throws when no adapter is found.
 */
export async function installNodeWebGpu(load: DawnLoader = () => loadDawn()): Promise<NodeWebGpu> {
  const { dawn, version } = await load();
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new UsageError(noAdapterMessage());
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  // Dawn's GPUAdapterInfo fields are prototype getters (a spread copies none); and
  // isFallbackAdapter moved from the adapter to its info in the spec, Dawn builds differ.
  const i = adapter.info as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const info = {
    vendor: i?.vendor,
    architecture: i?.architecture,
    device: i?.device,
    description: i?.description,
    isFallbackAdapter: i?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  };
  return { ...describeAdapter(info), packageVersion: version };
}

/**
 * Picks and starts a TF.js backend: webgpu first, then webgl, wasm, cpu.
 * Backend packages are imported on demand, so Node never loads the browser-only ones and
 * the page downloads only what it uses. tf.setBackend() reports failure by returning false
 * (tfjs-core engine.ts), so each attempt is checked, and the reason kept for the UI.
 */

import { type AdapterInfo, adapterName, classifyAdapter } from './spec/adapter-kind';
import {
  type ActiveBackend,
  BACKEND_NAMES,
  type BackendAttempt,
  type BackendName,
} from './spec/backend-report';
import * as tf from './tf';

export type { ActiveBackend, BackendAttempt, BackendName } from './spec/backend-report';
/** The concrete backends, in the order `auto` tries them. */
export const BACKENDS: readonly BackendName[] = BACKEND_NAMES;

export interface BackendSetup {
  /**
   * Where the wasm backend finds its .wasm binaries: a folder prefix ending in '/', or a
   * map from file name to URL (what a bundler gives). Required for wasm in browsers.
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * Threads of wasm's pool (backend-choice.ts wasmThreadCount). Without it tfjs takes
   * cores / 2, which leaves a 2-core machine one thread. Applies before wasm first starts.
   */
  wasmThreads?: number;
  /**
   * Told when a backend's start begins and when it has started (awaited). The page guards each
   * start with a deadline (state/backend-start-guard.ts), because a start that blocks the
   * worker's thread can only be seen, and ended, from outside it.
   */
  onStart?: (name: BackendName, stage: 'starting' | 'started') => void | Promise<void>;
}

/** The wasm package's thread count, once it is loaded (it is imported on demand). */
let wasmThreads: (() => number) | null = null;

async function registerBackend(name: BackendName, setup: BackendSetup): Promise<void> {
  switch (name) {
    case 'webgpu': {
      await import('@tensorflow/tfjs-backend-webgpu');
      const adapter = await globalThis.navigator?.gpu?.requestAdapter();
      webgpuInfo = adapter ? readAdapterInfo(adapter) : null;
      // The fast step's fused kernels (WGSL); other backends run their plain-op versions.
      const { registerWebGpuKernels } = await import('./kernels/webgpu');
      registerWebGpuKernels();
      return;
    }
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl');
      return;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (setup.wasmPaths) wasm.setWasmPaths(setup.wasmPaths as never);
      if (setup.wasmThreads) wasm.setThreadsCount(setup.wasmThreads);
      // The threaded build's pool of pre-made pthread workers, 8 unless the build reads this
      // (vite.config.ts patches the factory): N threads need N - 1. Each is a nested Worker,
      // and in Firefox 153 a nested Worker's constructor sometimes blocked the worker for good.
      if (setup.wasmThreads && setup.wasmThreads > 1)
        (globalThis as { __kdWasmPthreadPool?: number }).__kdWasmPthreadPool = setup.wasmThreads;
      // One thread needs no pool: the plain SIMD build starts no pthread workers at all, which
      // is what the page falls back to after a threaded start that hung (backend-start-guard.ts).
      if (setup.wasmThreads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasmThreads = wasm.getThreadsCount;
      // The flat AdamW's split, read in place (tf.split copies the whole input per part).
      const { registerWasmSplitKernel } = await import('./kernels/split-wasm');
      registerWasmSplitKernel();
      return;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    default: {
      const never: never = name;
      throw new Error(`Unknown backend ${String(never)}`);
    }
  }
}

/**
 * Runs `f` while navigator.hardwareConcurrency reads `cores`. tfjs-backend-wasm 4.22 caps its
 * pool at emscripten_num_logical_cores() / 2 (backend.cc: it assumes two hardware threads per
 * core), read from navigator when its module starts, so setThreadsCount alone cannot give a
 * 2-core machine 2 threads. The real value is restored as soon as the backend has started.
 */
async function withLogicalCores<T>(cores: number, f: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: object }).navigator;
  if (!nav) return f();
  Object.defineProperty(nav, 'hardwareConcurrency', { value: cores, configurable: true });
  try {
    return await f();
  } finally {
    // Drops the own property: the prototype's getter (the real count) shows again.
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/** Starts one backend; resolves with a reason string when it cannot run here. */
export async function tryBackend(name: BackendName, setup: BackendSetup = {}): Promise<string | null> {
  try {
    await setup.onStart?.(name, 'starting');
    await registerBackend(name, setup);
    const start = async () => {
      if (!(await tf.setBackend(name))) return false;
      await tf.ready();
      return true;
    };
    const ok =
      name === 'wasm' && setup.wasmThreads
        ? await withLogicalCores(2 * setup.wasmThreads, start)
        : await start();
    if (!ok) return `${name} is not available in this environment`;
    await setup.onStart?.(name, 'started');
    return null;
  } catch (err) {
    return `${name} failed to start: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The backend TF.js is using now, with the adapter name for webgpu, threads for wasm. */
export function describeActiveBackend(skipped: BackendAttempt[] = []): ActiveBackend {
  const name = tf.getBackend() as BackendName;
  const info = name === 'webgpu' ? webgpuAdapterInfo() : null;
  const kind = info ? classifyAdapter(info) : null;
  return {
    name,
    adapter: info ? adapterName(info) : null,
    adapterKind: kind,
    emulated: kind === 'software',
    threads: name === 'wasm' ? (wasmThreads?.() ?? null) : null,
    skipped,
    reason: null,
    timings: [],
  };
}

export type { AdapterInfo };

/**
 * The adapter's info as the browser gave it, read when webgpu registers. tfjs keeps only vendor
 * and architecture; the description and the fallback flag are what tell software from a GPU.
 */
let webgpuInfo: AdapterInfo | null = null;

/** GPUAdapterInfo's fields; `isFallbackAdapter` moved there from GPUAdapter in 2024. */
export function readAdapterInfo(adapter: GPUAdapter): AdapterInfo {
  const info = (adapter.info ?? {}) as AdapterInfo;
  const fallback = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    ...(fallback === undefined ? {} : { isFallbackAdapter: fallback }),
  };
}

function webgpuAdapterInfo(): AdapterInfo {
  return webgpuInfo ?? (tf.backend() as unknown as { adapterInfo?: AdapterInfo }).adapterInfo ?? {};
}

/** SwiftShader, Mesa's or Windows' CPU drivers, or any adapter flagged as fallback (adapter-kind.ts). */
export function isEmulatedAdapter(info: AdapterInfo): boolean {
  return classifyAdapter(info) === 'software';
}

/**
 * Picks and starts a TF.js backend: webgpu first, then webgl, wasm, cpu.
 * Backend packages are imported on demand, so Node never loads the browser-only ones and
 * the page downloads only what it uses. tf.setBackend() reports failure by returning false
 * (tfjs-core engine.ts), so each attempt is checked, and the reason kept for the UI.
 */
import * as tf from './tf';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendSetup {
  /**
   * Where the wasm backend finds its .wasm binaries: a folder prefix ending in '/', or a
   * map from file name to URL (what a bundler gives). Required for wasm in browsers.
   */
  wasmPaths?: string | Record<string, string>;
}

export interface BackendAttempt {
  name: BackendName;
  reason: string;
}

export interface ActiveBackend {
  name: BackendName;
  /** GPU adapter description for webgpu ("vendor architecture"), when the browser gives one. */
  adapter: string | null;
  /** Backends tried before this one and why each was passed over. */
  skipped: BackendAttempt[];
}

async function registerBackend(name: BackendName, setup: BackendSetup): Promise<void> {
  switch (name) {
    case 'webgpu': {
      await import('@tensorflow/tfjs-backend-webgpu');
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

/** Starts one backend; resolves with a reason string when it cannot run here. */
export async function tryBackend(name: BackendName, setup: BackendSetup = {}): Promise<string | null> {
  try {
    await registerBackend(name, setup);
    const ok = await tf.setBackend(name);
    if (!ok) return `${name} is not available in this environment`;
    await tf.ready();
    return null;
  } catch (err) {
    return `${name} failed to start: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Starts the first backend of `order` that works. `choice` other than 'auto' puts that
 * backend first (a user's forced backend still falls back, with the reason reported).
 */
export async function startBackend(
  choice: BackendName | 'auto',
  setup: BackendSetup = {},
  order: readonly BackendName[] = BACKENDS,
): Promise<ActiveBackend> {
  const candidates = choice === 'auto' ? [...order] : [choice, ...order.filter((b) => b !== choice)];
  const skipped: BackendAttempt[] = [];
  for (const name of candidates) {
    const reason = await tryBackend(name, setup);
    if (reason === null) return describeActiveBackend(skipped);
    skipped.push({ name, reason });
  }
  throw new Error(`No TF.js backend could start: ${skipped.map((s) => s.reason).join('; ')}`);
}

/** The backend TF.js is using now, with the adapter name for webgpu. */
export function describeActiveBackend(skipped: BackendAttempt[] = []): ActiveBackend {
  const name = tf.getBackend() as BackendName;
  return { name, adapter: name === 'webgpu' ? webgpuAdapterName() : null, skipped };
}

/** "vendor architecture" of the WebGPU adapter in use, e.g. "google swiftshader". */
function webgpuAdapterName(): string | null {
  const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } })
    .adapterInfo;
  const text = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
  return text || null;
}

/**
 * Starts TF.js in the worker: the chosen backend first, then webgpu > webgl > wasm > cpu.
 * A backend is used only after it passes the self-test against cpu; each one passed over
 * is reported with its reason so the page can say why it runs where it runs.
 */
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  type ActiveBackend,
  BACKENDS,
  type BackendAttempt,
  type BackendSetup,
  describeActiveBackend,
  tryBackend,
} from '../engine/backend';
import type { BackendChoice } from '../engine/config';
import { type SelfTestResult, selfTest } from '../engine/selftest';

/** The bundler serves the wasm binaries under hashed names; tell tfjs where each one is. */
export const WORKER_BACKEND_SETUP: BackendSetup = {
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  },
};

export interface BackendStart {
  backend: ActiveBackend;
  selfTests: SelfTestResult[];
}

export async function startCheckedBackend(choice: BackendChoice): Promise<BackendStart> {
  const order = choice === 'auto' ? [...BACKENDS] : [choice, ...BACKENDS.filter((b) => b !== choice)];
  const skipped: BackendAttempt[] = [];
  const selfTests: SelfTestResult[] = [];
  for (const name of order) {
    if (name === 'cpu') {
      // cpu is the reference the others are tested against; it needs no self-test.
      const reason = await tryBackend('cpu', WORKER_BACKEND_SETUP);
      if (reason === null) return { backend: describeActiveBackend(skipped), selfTests };
      skipped.push({ name, reason });
      continue;
    }
    try {
      const result = await selfTest(name, WORKER_BACKEND_SETUP);
      selfTests.push(result);
      if (result.passed) return { backend: describeActiveBackend(skipped), selfTests };
      skipped.push({ name, reason: `${name} failed its self-test: ${result.problem}` });
    } catch (err) {
      skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  throw new Error(`No backend could start: ${skipped.map((s) => s.reason).join('; ')}`);
}

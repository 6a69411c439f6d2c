/**
 * Starts TF.js in the worker. A backend is used only after it passes the self-test against
 * cpu. `auto` with a config times a few training steps of that config on every backend that
 * passes and runs the fastest (engine/backend-choice.ts decides; the result is cached per
 * config shape and adapter in IndexedDB, so the next start only self-tests the winner).
 * A forced backend runs first, falling back in order when it cannot. Each backend passed over
 * is reported with its reason, so the page can say why it runs where it runs.
 */
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  type ActiveBackend,
  BACKENDS,
  type BackendAttempt,
  type BackendName,
  type BackendSetup,
  describeActiveBackend,
  isEmulatedAdapter,
  readAdapterInfo,
  tryBackend,
} from '../engine/backend';
import {
  type BackendTiming,
  chooseBackend,
  formatStepTime,
  timingCacheKey,
  wasmThreadCount,
} from '../engine/diagnostics/backend-choice';
import { type SelfTestResult, selfTest } from '../engine/diagnostics/selftest';
import { timeTrainingSteps } from '../engine/diagnostics/step-timing';
import type { BackendChoice, RunConfig } from '../engine/spec/config';
import { memoryProblem } from '../engine/spec/memory-budget';
import { loadTimings, saveTimings } from './backend-timing-cache';

/** Told of each backend start (the worker entry reports them to the page, whose guard times them). */
let startWatcher: NonNullable<BackendSetup['onStart']> = () => {};

/** Sets who hears of each backend start; see BackendSetup.onStart. */
export function watchBackendStarts(watcher: NonNullable<BackendSetup['onStart']>): void {
  startWatcher = watcher;
}

/**
 * Caps wasm's threads (the page's fallback after a start that hung: one thread). Takes effect
 * only before wasm first starts in this worker, which is why the page asks a fresh worker.
 */
export function limitWasmThreads(threads: number): void {
  WORKER_BACKEND_SETUP.wasmThreads = Math.min(WORKER_BACKEND_SETUP.wasmThreads ?? threads, threads);
}

/** The bundler serves the wasm binaries under hashed names; tell tfjs where each one is. */
export const WORKER_BACKEND_SETUP: BackendSetup = {
  onStart: (name, stage) => startWatcher(name, stage),
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  },
  wasmThreads: wasmThreadCount(
    globalThis.navigator?.hardwareConcurrency,
    globalThis.crossOriginIsolated === true,
  ),
};

/** Backends `auto` measures; cpu (plain JS) is never faster than wasm and is only the last resort. */
const MEASURED: readonly BackendName[] = ['wasm', 'webgl', 'webgpu'];
/**
 * 2 warm-up + 3 timed steps, at most 8 s per backend: enough for a real GPU's first-step
 * shader compilation, short enough that an emulated GPU costs a few seconds once (then cached).
 */
const TIMING = { warmup: 2, timed: 3, capMs: 8000, now: () => performance.now() };

/**
 * An emulated GPU runs on the same CPU as wasm and is chosen only when faster than it, so it
 * gets no longer than the CPU backends took for the same steps (at least 2 s): the start-up
 * stays short on machines without a GPU.
 */
function capFor(emulated: boolean, measured: readonly BackendTiming[]): number {
  const cpu = measured.filter((t) => t.name === 'wasm' || t.name === 'cpu').map((t) => t.msPerStep);
  if (!emulated || cpu.length === 0) return TIMING.capMs;
  const steps = TIMING.warmup + TIMING.timed;
  return Math.min(TIMING.capMs, Math.max(2000, steps * Math.min(...cpu)));
}

export interface BackendStart {
  backend: ActiveBackend;
  selfTests: SelfTestResult[];
}

/** The WebGPU adapter before tfjs starts, for the cache key and the emulation flag; null without WebGPU. */
async function probeAdapter(): Promise<{ text: string; emulated: boolean } | null> {
  try {
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) return null;
    const info = readAdapterInfo(adapter);
    const text = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
    return { text: text || 'unknown adapter', emulated: isEmulatedAdapter(info) };
  } catch {
    return null;
  }
}

/** WebGL's renderer ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))"), or null without WebGL 2. */
function probeWebglRenderer(): string | null {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer;
  } catch {
    return null;
  }
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/**
 * Starts `name` without its self-test when this page saw it pass on the same adapter in an
 * earlier worker (`trusted`): a restart after a fault then skips the self-test's compile and
 * run (most of a minute on an emulated GPU under load). A wrong backend is still caught once
 * per page and adapter; on another adapter, or when the start fails, it is tested as usual.
 */
async function startTrusted(
  name: BackendName,
  trusted: readonly SelfTestResult[],
  selfTests: SelfTestResult[],
): Promise<boolean> {
  const earlier = trusted.find((t) => t.backend === name && t.passed);
  if (!earlier) return false;
  if ((await tryBackend(name, WORKER_BACKEND_SETUP)) !== null) return false;
  if (describeActiveBackend().adapter !== (earlier.adapter ?? null)) return false;
  selfTests.push(earlier);
  return true;
}

async function checked(
  name: BackendName,
  selfTests: SelfTestResult[],
  skipped: BackendAttempt[],
  trusted: readonly SelfTestResult[],
): Promise<boolean> {
  if (name !== 'cpu' && (await startTrusted(name, trusted, selfTests))) return true;
  if (name === 'cpu') {
    // cpu is the reference the others are tested against; it needs no self-test.
    const reason = await tryBackend('cpu', WORKER_BACKEND_SETUP);
    if (reason !== null) skipped.push({ name, reason });
    return reason === null;
  }
  try {
    const result = await selfTest(name, WORKER_BACKEND_SETUP);
    selfTests.push(result);
    if (result.passed) return true;
    skipped.push({ name, reason: `${name} failed its self-test: ${result.problem}` });
  } catch (err) {
    skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
  }
  return false;
}

async function firstThatPasses(
  order: readonly BackendName[],
  forced: BackendName | null,
  trusted: readonly SelfTestResult[],
): Promise<BackendStart> {
  const skipped: BackendAttempt[] = [];
  const selfTests: SelfTestResult[] = [];
  for (const name of order) {
    if (!(await checked(name, selfTests, skipped, trusted))) continue;
    const reason =
      forced === null
        ? 'the first backend that passed its self-test'
        : name === forced
          ? chooseBackend([], forced).reason
          : `${forced} was chosen but could not run here; ${name} is the next that passed its self-test`;
    return { backend: { ...describeActiveBackend(skipped), reason }, selfTests };
  }
  throw new Error(`No backend could start: ${skipped.map((s) => s.reason).join('; ')}`);
}

interface CachedChoice {
  name: BackendName;
  reason: string;
  timings: BackendTiming[];
}

async function measuredAuto(config: RunConfig, trusted: readonly SelfTestResult[]): Promise<BackendStart> {
  const adapter = await probeAdapter();
  const webglRenderer = probeWebglRenderer();
  const key = timingCacheKey({
    config,
    candidates: MEASURED,
    adapter: `${adapter?.text ?? '-'} / ${webglRenderer ?? '-'}`,
    wasmThreads: WORKER_BACKEND_SETUP.wasmThreads ?? null,
  });
  const skipped: BackendAttempt[] = [];
  const selfTests: SelfTestResult[] = [];

  const cached = await loadTimings<CachedChoice>(key);
  if (cached && (await checked(cached.name, selfTests, skipped, trusted))) {
    const losers = passedOver(cached.timings, cached.name);
    return {
      backend: {
        ...describeActiveBackend(losers),
        reason: `${cached.reason} (measured earlier on this device)`,
        timings: cached.timings,
      },
      selfTests,
    };
  }

  const timings: BackendTiming[] = [];
  for (const name of MEASURED) {
    if (name === 'webgpu' && !adapter) {
      skipped.push({ name, reason: 'webgpu: this browser offers no WebGPU adapter' });
      continue;
    }
    // WebGL compiles its shaders synchronously in the step, so no time cap can cut a software
    // renderer short (23 s for the tiny preset's first step here): beside a CPU backend that
    // already passed, it is not started at all.
    if (name === 'webgl' && webglRenderer && SOFTWARE_RENDERER.test(webglRenderer) && timings.length > 0) {
      skipped.push({
        name,
        reason: `webgl renders in software here (${webglRenderer}): not timed, ${timings[0]!.name} runs on the same CPU without emulation`,
      });
      continue;
    }
    // The same for a WebGPU adapter that emulates a GPU on the CPU (SwiftShader): its self-test
    // alone compiles shaders for most of a minute on two cores, work cut short by the time cap
    // keeps running in the emulator after the choice, and it has never been faster than wasm
    // (15-20x slower in docs/BENCHMARKS.md). Beside a CPU backend that passed, it is passed over.
    if (name === 'webgpu' && adapter?.emulated && timings.length > 0) {
      skipped.push({
        name,
        reason: `webgpu's adapter (${adapter.text}) emulates a GPU on the CPU: not timed, ${timings[0]!.name} runs on the same CPU without emulation`,
      });
      continue;
    }
    if (!(await checked(name, selfTests, skipped, trusted))) continue;
    const emulated = name === 'webgpu' && adapter !== null && adapter.emulated;
    const t = await timeTrainingSteps(config, { ...TIMING, capMs: capFor(emulated, timings) });
    timings.push({
      name,
      msPerStep: t.msPerStep,
      cutShort: t.cutShort,
      emulated,
      threads: name === 'wasm' ? describeActiveBackend().threads : null,
    });
  }
  if (timings.length === 0) return firstThatPasses(['cpu'], null, trusted);

  const decision = chooseBackend(timings, null);
  const problem = await tryBackend(decision.name, WORKER_BACKEND_SETUP);
  if (problem !== null)
    throw new Error(`${decision.name} passed its self-test but could not restart: ${problem}`);
  await saveTimings<CachedChoice>(key, { name: decision.name, reason: decision.reason, timings });
  return {
    backend: {
      ...describeActiveBackend([...skipped, ...passedOver(timings, decision.name)]),
      reason: decision.reason,
      timings,
    },
    selfTests,
  };
}

/** The measured backends that lost, with their step time against the winner's. */
function passedOver(timings: readonly BackendTiming[], winner: BackendName): BackendAttempt[] {
  const best = timings.find((t) => t.name === winner);
  return timings
    .filter((t) => t.name !== winner)
    .map((t) => ({
      name: t.name,
      reason: `${t.name}${t.emulated ? ' (emulated GPU)' : ''} is slower here: ${t.cutShort ? 'over ' : ''}${formatStepTime(t.msPerStep)} per step${best ? ` against ${winner}'s ${formatStepTime(best.msPerStep)}` : ''}`,
    }));
}

/**
 * Starts the backend for `choice`. With `auto` and a config, the fastest measured backend;
 * with `auto` alone, the first that passes its self-test (webgpu > webgl > wasm > cpu).
 * `trusted`: self-tests this page saw pass in an earlier worker (see startTrusted).
 */
export async function startCheckedBackend(
  choice: BackendChoice,
  config?: RunConfig,
  trusted: readonly SelfTestResult[] = [],
): Promise<BackendStart> {
  if (choice !== 'auto')
    return firstThatPasses([choice, ...BACKENDS.filter((b) => b !== choice)], choice, trusted);
  // A config too big for the smallest budget is not timed (that would allocate it three
  // times over); the run itself then refuses it with the usual advice.
  const data = { trainCount: 0, testCount: 0, imageSize: config?.teacher.imageSize ?? 0 };
  if (config && memoryProblem(config, data, 'wasm') === null) return measuredAuto(config, trusted);
  return firstThatPasses(BACKENDS, null, trusted);
}

/**
 * The Node half of `npm run bench`: the step on wasm (one thread: tfjs-backend-wasm has none
 * in Node) and, with --node-webgpu, on WebGPU through Dawn (./node-webgpu.ts), counted with
 * the worker's own GPU counters, as in Chromium.
 */
import { describeActiveBackend, tryBackend } from '../../src/engine/backend';
import { measureStepPair, type StepMeasurement } from '../../src/engine/diagnostics/benchmark';
import type { KernelCheck } from '../../src/engine/diagnostics/kernel-check';
import { webgpuDevice } from '../../src/engine/gpu-device';
import type { BenchJob } from '../../src/worker/shared/bench-protocol';
import { installGpuCounters, readGpuCounters } from '../../src/worker/shared/gpu-counters';
import { log, summary } from './bench-browser';
import { startNodeBackend } from './cli';
import { installNodeWebGpu } from './node-webgpu';

export async function runNodeWasm(jobs: BenchJob[]): Promise<StepMeasurement[]> {
  const backend = await startNodeBackend('wasm');
  if (backend.name !== 'wasm') throw new Error('the wasm backend did not start in Node');
  const results: StepMeasurement[] = [];
  for (const job of jobs) {
    for (const m of await measureStepPair({ ...job, now: () => performance.now() })) {
      const measured = { ...m, wasmThreads: backend.threads ?? 1 };
      results.push(measured);
      log(`  node ${summary(measured)}`);
    }
  }
  return results;
}

export interface NodeWebGpuRun {
  adapter: string;
  emulated: boolean;
  results: StepMeasurement[];
  kernelChecks: KernelCheck[];
  failures: { backend: string; message: string }[];
}

/**
 * The WebGPU measurement of the browser's worker, in this process. Throws (a clear message,
 * non-zero exit) when the package is missing or Dawn finds no adapter.
 */
export async function runNodeWebGpu(jobs: BenchJob[]): Promise<NodeWebGpuRun> {
  const dawn = await installNodeWebGpu();
  log(`node webgpu: Dawn (npm webgpu ${dawn.packageVersion}), adapter ${dawn.adapter}`);
  const counting = installGpuCounters();
  const problem = await tryBackend('webgpu');
  if (problem) throw new Error(`--node-webgpu: TF.js could not start WebGPU on ${dawn.adapter}: ${problem}`);
  const active = describeActiveBackend();
  const run: NodeWebGpuRun = {
    adapter: `${dawn.adapter}, Dawn in Node (npm webgpu ${dawn.packageVersion})`,
    emulated: dawn.emulated || active.emulated,
    results: [],
    kernelChecks: [],
    failures: [],
  };
  // A WebGPU validation error is otherwise silent and discards the queued work: keep it.
  const device = webgpuDevice();
  device?.addEventListener('uncapturederror', (ev) => {
    const message = `WebGPU error: ${(ev as GPUUncapturedErrorEvent).error.message}`;
    run.failures.push({ backend: 'webgpu', message });
    log(`  ${message}`);
  });
  const { checkFusedKernels } = await import('../../src/engine/diagnostics/kernel-check');
  run.kernelChecks = await checkFusedKernels();
  for (const job of jobs) {
    for (const m of await measureStepPair({
      ...job,
      now: () => performance.now(),
      counters: counting ? readGpuCounters : undefined,
    })) {
      run.results.push(m);
      log(`  node ${summary(m)}`);
    }
  }
  return run;
}

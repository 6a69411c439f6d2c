/// <reference lib="webworker" />
/**
 * The benchmark's worker (bench/index.html): starts one backend, runs measureStep for each
 * job and posts each measurement. A fresh worker per backend keeps buffer pools apart.
 */
import { describeActiveBackend, tryBackend } from '../engine/backend';
import { measureStepPair } from '../engine/diagnostics/benchmark';
import { checkFusedKernels } from '../engine/diagnostics/kernel-check';
import { webgpuDevice } from '../engine/gpu-device';
import { WORKER_BACKEND_SETUP } from './backend-setup';
import type { BenchEvent, BenchRequest } from './shared/bench-protocol';
import { installGpuCounters, readGpuCounters } from './shared/gpu-counters';

declare const self: DedicatedWorkerGlobalScope;

function post(event: BenchEvent): void {
  self.postMessage(event);
}

const counting = installGpuCounters();

self.addEventListener('message', (e: MessageEvent<BenchRequest>) => {
  void (async () => {
    try {
      const { backend, jobs, wasmThreads } = e.data;
      const setup = wasmThreads ? { ...WORKER_BACKEND_SETUP, wasmThreads } : WORKER_BACKEND_SETUP;
      const problem = await tryBackend(backend, setup);
      if (problem) throw new Error(problem);
      const active = describeActiveBackend();
      // A WebGPU validation error is otherwise silent and discards the queued work: fail loudly.
      const device = webgpuDevice();
      device?.addEventListener('uncapturederror', (ev) => {
        post({ type: 'failed', message: `WebGPU error: ${(ev as GPUUncapturedErrorEvent).error.message}` });
      });
      post({
        type: 'started',
        backend: active.name,
        adapter: active.adapter,
        kernelChecks: await checkFusedKernels(),
      });
      for (const job of jobs) {
        const measurements = await measureStepPair({
          ...job,
          now: () => performance.now(),
          counters: counting && active.name === 'webgpu' ? readGpuCounters : undefined,
        });
        for (const measurement of measurements)
          post({ type: 'result', measurement: { ...measurement, wasmThreads: active.threads } });
      }
      post({ type: 'done' });
    } catch (err) {
      post({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  })();
});

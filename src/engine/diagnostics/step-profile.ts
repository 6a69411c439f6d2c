/**
 * Profiles training steps with TF.js's profiler (tf.profile). On WebGPU every program it runs
 * is timed by itself: with GPU timestamps where the device has `timestamp-query` (TF.js then
 * ends the compute pass after each program and writes a timestamp pair around it), else by
 * the time it takes to enqueue. Programs are named as in the kernel-shape table. Other
 * backends run each kernel synchronously, so tf.profile's wall time per kernel is its cost.
 * Nothing stays hooked after the profiled steps: the training around them runs as before.
 */

import {
  type KernelCall,
  type ProfileClock,
  type StepProfile,
  summarizeProfile,
} from '../spec/profile-summary';
import * as tf from '../tf';
import { programKind } from './kernel-shapes';

type Runner = (program: { shaderKey: string }, ...rest: unknown[]) => unknown;

interface WebGpuBackendLike {
  runWebGPUProgram: Runner;
  /** TF.js's timers of the kernel being profiled: each timed program pushes {name, query}. */
  activeTimers?: unknown[] | null;
  supportTimestampQuery?: boolean;
}

export interface ProfileOptions {
  /** The adapter is a CPU emulation (reported with the profile). */
  emulated: boolean;
  now?: () => number;
}

/** Runs `step` `steps` times under the profiler and returns the per-kernel table. */
export async function profileSteps(
  step: () => void,
  steps: number,
  opts: ProfileOptions,
): Promise<StepProfile> {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`profile at least one step, got ${steps}`);
  const now = opts.now ?? (() => performance.now());
  const backendName = tf.getBackend();
  const programs: { name: string; ms: Promise<number> | number }[] = [];
  let clock: ProfileClock = 'wall';
  let restore = () => {};
  if (backendName === 'webgpu') {
    const backend = tf.backend() as unknown as WebGpuBackendLike;
    const timestamps = Boolean(backend.supportTimestampQuery);
    if (timestamps) clock = 'gpu-timestamps';
    const original = backend.runWebGPUProgram;
    backend.runWebGPUProgram = function (this: WebGpuBackendLike, program, ...rest) {
      const timers = this.activeTimers;
      const before = timers?.length ?? 0;
      const t0 = now();
      const out = original.call(this, program, ...rest);
      const pushed =
        timers && timers.length === before + 1 ? (timers[before] as { query?: Promise<number> }) : undefined;
      programs.push({
        name: programKind(program.shaderKey),
        ms: timestamps && pushed?.query ? pushed.query : now() - t0,
      });
      return out;
    } as Runner;
    restore = () => {
      backend.runWebGPUProgram = original;
    };
  }
  const start = now();
  let info: Awaited<ReturnType<typeof tf.profile>>;
  try {
    info = await tf.profile(() => {
      for (let i = 0; i < steps; i++) step();
      return [];
    });
  } finally {
    restore();
  }
  // tf.profile has awaited every kernel's timing, so the programs' queries are resolved too.
  const calls: KernelCall[] =
    backendName === 'webgpu'
      ? await Promise.all(programs.map(async (p) => ({ name: p.name, ms: await p.ms })))
      : info.kernels.map((k) => ({ name: k.name, ms: Number(k.kernelTimeMs) || 0 }));
  const wallMsPerStep = (now() - start) / steps;
  return summarizeProfile(calls, {
    steps,
    backend: backendName,
    clock,
    emulated: opts.emulated,
    wallMsPerStep,
    peakBytes: Number.isFinite(info.peakBytes) ? info.peakBytes : 0,
  });
}

/**
 * The step profile as the page shows and exports it: per kernel, calls and milliseconds per
 * step, and its share of the step. No TF.js here, so the page and tests can import it; the
 * measurement itself is step-profile.ts.
 */

/** Which clock timed the kernels. */
export type ProfileClock = 'gpu-timestamps' | 'wall';

/** One timed kernel call as the profiler saw it. */
export interface KernelCall {
  name: string;
  ms: number;
}

export interface StepProfileRow {
  kernel: string;
  callsPerStep: number;
  msPerStep: number;
  /** msPerStep over the step's total, 0..1. */
  share: number;
}

export interface StepProfile {
  /** The steps profiled; every figure below is per step, their mean. */
  steps: number;
  backend: string;
  clock: ProfileClock;
  /** The clock in words, for the page and for whoever reads an exported profile. */
  clockNote: string;
  /** The adapter is a CPU emulation (SwiftShader): its times say nothing about a GPU. */
  emulated: boolean;
  /** Every kernel's ms per step, summed: the step's time on this clock. */
  totalMsPerStep: number;
  /** Wall time of one profiled step, to the last kernel's timing read (profiling overhead included). */
  wallMsPerStep: number;
  /** Largest bytes of tensors alive at once while the profiled steps ran. */
  peakBytes: number;
  rows: StepProfileRow[];
}

export const CLOCK_NOTES: Record<ProfileClock, string> = {
  'gpu-timestamps': "GPU timestamps (WebGPU timestamp-query): each kernel's time on the device",
  wall: 'wall time per kernel (no GPU timer here: on WebGPU, the time to enqueue it)',
};

/** Rows per kernel name, the most expensive first; shares of the sum over all calls. */
export function summarizeProfile(
  calls: KernelCall[],
  meta: Omit<StepProfile, 'rows' | 'totalMsPerStep' | 'clockNote'>,
): StepProfile {
  if (!(meta.steps >= 1)) throw new Error(`a profile needs at least one step, got ${meta.steps}`);
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const c of calls) {
    const e = byName.get(c.name) ?? { calls: 0, ms: 0 };
    e.calls += 1;
    e.ms += Number.isFinite(c.ms) && c.ms > 0 ? c.ms : 0;
    byName.set(c.name, e);
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0) / meta.steps;
  const rows = [...byName]
    .map(([kernel, e]) => ({
      kernel,
      callsPerStep: e.calls / meta.steps,
      msPerStep: e.ms / meta.steps,
      share: total > 0 ? e.ms / meta.steps / total : 0,
    }))
    .sort((a, b) => b.msPerStep - a.msPerStep || b.callsPerStep - a.callsPerStep);
  return { ...meta, clockNote: CLOCK_NOTES[meta.clock], totalMsPerStep: total, rows };
}

/** The profile as the JSON file the page exports (a person with a GPU attaches it to a report). */
export function profileJson(profile: StepProfile, context: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ kind: 'mkd-step-profile', version: 1, ...context, ...profile }, null, 2)}\n`;
}

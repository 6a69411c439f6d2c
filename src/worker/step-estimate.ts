/**
 * How long a step of a config takes on the active backend, for the page's estimate before Start.
 * Measured with the same timed steps `auto` compares backends by (engine/step-timing.ts), once per
 * config shape and phase, and kept for the worker's life; the step time `auto` measured while
 * choosing the backend is reused as it is.
 */

import type { ActiveBackend } from '../engine/backend';
import { describeActiveBackend } from '../engine/backend';
import { timingCacheKey } from '../engine/diagnostics/backend-choice';
import { timeTrainingSteps } from '../engine/diagnostics/step-timing';
import type { RunConfig } from '../engine/spec/config';

/** One warm-up step, two timed, at most 6 s: a default-size step on wasm is 1-2 s. */
const TIMING = { warmup: 1, timed: 2, capMs: 6000, now: () => performance.now() };

export interface PhaseTiming {
  msPerStep: number;
  /** The cap cut the measurement short: a step takes at least msPerStep. */
  cutShort: boolean;
}

const measured = new Map<string, PhaseTiming>();

function key(config: RunConfig, phase: 'teacher' | 'student'): string {
  const { name, threads, adapter } = describeActiveBackend();
  return `${phase}|${timingCacheKey({ config, candidates: [name], adapter, wasmThreads: threads })}`;
}

/** Keeps the student step time `auto` measured for `config` on the backend it chose. */
export function rememberChoiceTiming(config: RunConfig | undefined, backend: ActiveBackend): void {
  const own = backend.timings.find((t) => t.name === backend.name);
  if (config && own)
    measured.set(key(config, 'student'), { msPerStep: own.msPerStep, cutShort: own.cutShort });
}

/**
 * Why no step time is measured here before a run, or null when one can be. WebGL compiles its
 * shaders synchronously inside the step (23 s for the tiny preset's first step on a software
 * renderer), and an emulated WebGPU adapter compiles for most of a minute: timing either would
 * hold every command behind it. Their run's own ETA is measured as it trains.
 */
export function cannotMeasure(backend: ActiveBackend): string | null {
  if (backend.name === 'webgl')
    return 'WebGL is not timed before a run (it compiles its shaders inside the step)';
  if (backend.name === 'webgpu' && backend.emulated)
    return 'an emulated GPU is not timed before a run (its shader compilation alone takes most of a minute)';
  return null;
}

/** The step time of `config` in `phase` on the active backend: remembered, or measured now. */
export async function phaseTiming(config: RunConfig, phase: 'teacher' | 'student'): Promise<PhaseTiming> {
  const k = key(config, phase);
  const known = measured.get(k);
  if (known) return known;
  const t = await timeTrainingSteps(config, { ...TIMING, phase });
  const timing = { msPerStep: t.msPerStep, cutShort: t.cutShort };
  measured.set(k, timing);
  return timing;
}

/** Forgets every step time (the backend changed). */
export function forgetTimings(): void {
  measured.clear();
}

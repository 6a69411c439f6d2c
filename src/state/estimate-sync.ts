/**
 * Keeps the estimate before Start current: whenever the settings, the teacher choice or the
 * backend change while no run is going, the worker is asked for the step times of what Start
 * would run (measured on the active backend, or remembered), and the estimate is worked out
 * (run-estimate.ts). A run longer than LONG_RUN_SECONDS also gets the lightest preset's estimate,
 * offered when it fits.
 */
import { create } from 'zustand';
import type { RunConfig } from '../engine/spec/config';
import { findPreset } from '../engine/spec/presets';
import { requestStepTimes } from './run-actions';
import {
  LONG_RUN_SECONDS,
  lightestPreset,
  planSeconds,
  type StartPlan,
  type StepTimes,
  startPlan,
  withPreset,
} from './run-estimate';
import { type AppState, useAppStore } from './store';

export interface RunEstimate {
  /** 'measuring' while the worker times steps; 'unmeasured' when it does not on this backend. */
  status: 'none' | 'measuring' | 'ready' | 'unmeasured';
  plan: StartPlan | null;
  /** Seconds of training steps the plan takes here (null until measured). */
  seconds: number | null;
  /** A step time measured is a lower bound (its measurement hit the time cap). */
  atLeast: boolean;
  times: StepTimes | null;
  /** Why nothing was measured, in words. */
  unmeasured: string | null;
  /** A preset that fits in LONG_RUN_SECONDS here, offered when the run is longer. */
  alternative: { preset: string; title: string; seconds: number } | null;
}

const NONE: RunEstimate = {
  status: 'none',
  plan: null,
  seconds: null,
  atLeast: false,
  times: null,
  unmeasured: null,
  alternative: null,
};

export const useEstimateStore = create<RunEstimate>(() => NONE);

/** Settings stay unchanged this long before the worker is asked (typing a number). */
const SETTLE_MS = 300;

/** What the estimate depends on, as one string; null while no estimate applies (a run is going). */
function estimateKey(s: AppState): string | null {
  if (s.runtime.status !== 'idle' || !s.runtime.backend) return null;
  if (s.run.status === 'loading' || s.run.status === 'training' || s.run.status === 'paused') return null;
  const { name, threads } = s.runtime.backend;
  return JSON.stringify([name, threads, s.config, s.teacherChoice, s.dataInfo?.name ?? null]);
}

async function estimateFor(
  config: RunConfig,
  teacherChoice: 'pretrained' | 'train',
  dataName: string | undefined,
): Promise<{ plan: StartPlan; seconds: number | null; times: StepTimes | null; unmeasured: string | null }> {
  const plan = startPlan(config, teacherChoice, dataName);
  const phases: ('teacher' | 'student')[] = plan.teacherSteps > 0 ? ['teacher', 'student'] : ['student'];
  const { timings, unmeasured } = await requestStepTimes(config, phases);
  return { plan, seconds: timings ? planSeconds(plan, timings) : null, times: timings, unmeasured };
}

let latest: string | null = null;

async function update(key: string): Promise<void> {
  const { config, teacherChoice, dataInfo } = useAppStore.getState();
  const dataName = dataInfo?.name;
  useEstimateStore.setState({
    ...NONE,
    status: 'measuring',
    plan: startPlan(config, teacherChoice, dataName),
  });
  try {
    const own = await estimateFor(config, teacherChoice, dataName);
    if (latest !== key) return;
    const atLeast = Boolean(own.times?.student?.cutShort || own.times?.teacher?.cutShort);
    useEstimateStore.setState({
      ...own,
      status: own.unmeasured ? 'unmeasured' : 'ready',
      atLeast,
      alternative: null,
    });
    const preset = own.seconds !== null && own.seconds > LONG_RUN_SECONDS ? lightestPreset(config) : null;
    if (!preset) return;
    const alt = await estimateFor(withPreset(config, preset), teacherChoice, dataName);
    if (latest !== key || alt.seconds === null || alt.seconds > LONG_RUN_SECONDS) return;
    useEstimateStore.setState({
      // "Tiny", not "Tiny (fast demo)": the offer is one short sentence.
      alternative: {
        preset,
        title: (findPreset(preset)?.title ?? preset).replace(/\s*\(.*\)$/, ''),
        seconds: alt.seconds,
      },
    });
  } catch {
    // The worker is restarting or busy with a failure of its own: no estimate, nothing to report.
    if (latest === key) useEstimateStore.setState(NONE);
  }
}

/** Starts following the settings; returns the function that stops it. */
export function startEstimates(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onChange = (key: string | null) => {
    clearTimeout(timer);
    latest = key;
    if (key === null) return;
    timer = setTimeout(() => void update(key), SETTLE_MS);
  };
  const stop = useAppStore.subscribe(estimateKey, onChange, { fireImmediately: true });
  return () => {
    clearTimeout(timer);
    stop();
  };
}

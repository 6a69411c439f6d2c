/**
 * The estimate before Start: what Start will run (which phases, how many steps) and how long
 * that takes at the step times measured on the active backend. Pure; estimate-sync.ts asks the
 * worker for the step times and keeps the result.
 */

import type { RunConfig } from '../engine/spec/config';
import { countParameters } from '../engine/spec/model-size';
import { PRESETS, presetConfig } from '../engine/spec/presets';
import { pretrainedTeacherFor, teacherFitsData } from './pretrained-teachers';

/** Above this a run is long: the page says so and offers a preset that fits. */
export const LONG_RUN_SECONDS = 10 * 60;

/** What Start runs with these settings. */
export interface StartPlan {
  /** Steps of a teacher phase trained here; 0 when a shipped teacher is used. */
  teacherSteps: number;
  studentSteps: number;
  /** The shipped teacher Start uses (so it goes straight to the student phase), or null. */
  shippedTeacher: string | null;
  /** Students trained side by side in the student phase: the distilled one and its baseline. */
  students: number;
}

/**
 * The phases Start runs: a shipped teacher for this data and teacher shape skips the teacher
 * phase, unless the user chose to train one here. `dataName` is the loaded data's name (once
 * loaded: CIFAR-100 files have no shipped teacher), else the config's dataset decides.
 */
export function startPlan(
  config: RunConfig,
  teacherChoice: 'pretrained' | 'train',
  dataName?: string,
): StartPlan {
  const shipped = teacherChoice === 'pretrained' ? pretrainedTeacherFor(config) : null;
  const fits = shipped !== null && (dataName === undefined || teacherFitsData(shipped, dataName));
  return {
    teacherSteps: fits ? 0 : config.optim.teacherSteps,
    studentSteps: config.optim.steps,
    shippedTeacher: fits ? shipped.name : null,
    students: config.baseline === 'none' ? 1 : 2,
  };
}

/** Milliseconds a step of each phase takes here, as measured. */
export interface StepTimes {
  teacher?: { msPerStep: number; cutShort: boolean };
  student?: { msPerStep: number; cutShort: boolean };
}

/**
 * Seconds the plan's training steps take at these step times, or null when a phase it runs has
 * none. A baseline student costs about another student step (it runs beside the distilled one,
 * without the relation terms: a little less, so this errs long). Evaluations, map reads and
 * saves come on top; the ETA during the run measures them too.
 */
export function planSeconds(plan: StartPlan, times: StepTimes): number | null {
  const student = times.student?.msPerStep;
  const teacher = plan.teacherSteps > 0 ? times.teacher?.msPerStep : 0;
  if (student === undefined || teacher === undefined) return null;
  return (plan.teacherSteps * teacher + plan.studentSteps * student * plan.students) / 1000;
}

/** "1 min", "50 min", "2 h 34 min": a duration to the minute (at least 1). */
export function formatMinutes(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** "under a minute", "about 1 min", "about 50 min", "about 2 h 34 min". */
export function formatAbout(seconds: number): string {
  return seconds < 45 ? 'under a minute' : `about ${formatMinutes(seconds)}`;
}

/** The config Start would run after picking `preset` (what applyPreset keeps: seed, data, backend). */
export function withPreset(config: RunConfig, preset: string): RunConfig {
  const { seed, data, backend } = config;
  return { ...presetConfig(preset), seed, data, backend };
}

/**
 * The preset to offer when a run is long: the one with the least work per run (parameters of
 * both models times images seen), or null when that is the current one.
 */
export function lightestPreset(config: RunConfig): string | null {
  const work = (c: RunConfig) =>
    (countParameters(c.teacher) + countParameters(c.student)) *
    c.optim.batch *
    (c.optim.steps + c.optim.teacherSteps);
  const ranked = PRESETS.map((p) => ({ name: p.name, work: work(presetConfig(p.name)) })).sort(
    (a, b) => a.work - b.work,
  );
  const lightest = ranked[0]!.name;
  return lightest === config.preset ? null : lightest;
}

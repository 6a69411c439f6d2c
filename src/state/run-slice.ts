/**
 * The run on screen: its status and progress, and the metrics it produced. `run.config`
 * is the config that produced these charts, exactly as the worker echoed it (run.config
 * events); the page never writes it itself. The config being edited lives in config-slice.
 */
import type { StateCreator } from 'zustand';
import type { Phase } from '../engine/spec/checkpoint-format';
import type { LossConfig, RunConfig } from '../engine/spec/config';
import type { PredictionHeads } from '../engine/spec/heads';
import type { EvalResult, MetricRow } from '../engine/spec/run-records';
import type { RunStatusName } from '../worker/shared/protocol';
import type { AppState } from './store';

/** A chart row: step plus one number per series. */
export interface ChartRow {
  step: number;
  [series: string]: number | undefined;
}

export interface WeightMarker {
  step: number;
  label: string;
}

/** A finished or reset run kept as faint curves, labelled by what differed. */
export interface GhostRun {
  label: string;
  config: RunConfig;
  student: ChartRow[];
  accuracy: ChartRow[];
}

export interface RunState {
  runId: number;
  status: RunStatusName | 'error';
  phase: Phase;
  step: number;
  totalSteps: number;
  epoch: number;
  imagesPerSecond: number;
  etaSeconds: number;
  /** The config that produced what is on screen, as the worker applied it (null until it says). */
  config: RunConfig | null;
  /** Loss terms per step: the teacher phase's CE, and the student's terms. */
  teacherRows: ChartRow[];
  studentRows: ChartRow[];
  /** Test accuracies: teacher, student, baselines, by step of their phase. */
  accuracyRows: ChartRow[];
  /** The heads each model's latest test accuracy came from ('student': 'dist', ...). */
  accuracyHeads: Record<string, PredictionHeads>;
  markers: WeightMarker[];
  /** Why the run paused by itself or failed, in words. */
  reason: string | null;
  lastCheckpointStep: number | null;
  /** Why the run is not saved in this browser (a lasting line in the run panel), or null. */
  notSaved: string | null;
  /** Progress messages received: the worker's sign of life while it compiles (run-recovery.ts). */
  beats: number;
  /** Metrics reads received: only they show the enqueued steps done on the GPU (run-recovery.ts). */
  reads: number;
}

export interface RunSlice {
  run: RunState;
  ghosts: GhostRun[];
  runStarted: (runId: number, totalSteps: number) => void;
  /** The worker's echo of the config it trains with; a changed loss weight becomes a chart marker. */
  runConfigApplied: (config: RunConfig, step: number) => void;
  runStatus: (
    update: { status: RunStatusName } & Pick<RunState, 'phase' | 'step' | 'totalSteps' | 'reason'>,
  ) => void;
  runProgress: (
    p: Pick<RunState, 'phase' | 'step' | 'totalSteps' | 'epoch' | 'imagesPerSecond' | 'etaSeconds'>,
  ) => void;
  appendMetrics: (phase: Phase, rows: MetricRow[]) => void;
  appendEval: (phase: Phase, result: EvalResult) => void;
  runFailed: (reason: string) => void;
  /** The worker refused to start the run (it would not fit): back to idle, saying why. */
  runRefused: (reason: string) => void;
  runCheckpointed: (step: number) => void;
  /** The worker failed: a fresh one is starting to continue the run (status 'loading' until it does). */
  runRecovering: (reason: string) => void;
  /** A save failed: `line` says so in the run panel until a save succeeds. */
  runNotSaved: (line: string) => void;
  /** Keeps the current curves as a ghost and clears the run. */
  archiveRun: () => void;
  clearGhosts: () => void;
}

export const INITIAL_RUN: RunState = {
  runId: 0,
  status: 'idle',
  phase: 'teacher',
  step: 0,
  totalSteps: 0,
  epoch: 0,
  imagesPerSecond: 0,
  etaSeconds: Number.NaN,
  config: null,
  teacherRows: [],
  studentRows: [],
  accuracyRows: [],
  accuracyHeads: {},
  markers: [],
  reason: null,
  lastCheckpointStep: null,
  notSaved: null,
  beats: 0,
  reads: 0,
};

/** Rows are capped so a long run cannot grow the page's memory without bound. */
const MAX_ROWS = 20_000;

function append<T>(rows: T[], more: T[]): T[] {
  const out = rows.concat(more);
  return out.length > MAX_ROWS ? out.filter((_, i) => i % 2 === 0 || i === out.length - 1) : out;
}

function toChartRow(row: MetricRow): ChartRow {
  const out: ChartRow = { step: row.step };
  for (const [k, v] of Object.entries(row.values)) out[k] = v;
  for (const [name, values] of Object.entries(row.baselines)) {
    for (const [k, v] of Object.entries(values)) out[`${name}:${k}`] = v;
  }
  return out;
}

/** What differs between two configs, for labelling a ghost run ("wIntra 4→0, lr 5e-4→1e-3"). */
export function describeConfigChange(before: RunConfig, after: RunConfig): string {
  const diffs: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (typeof a === 'object' && a && typeof b === 'object' && b && !Array.isArray(a)) {
      for (const key of Object.keys(a))
        walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], key);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      diffs.push(`${path} ${JSON.stringify(a)}→${JSON.stringify(b)}`);
    }
  };
  walk(before, after, '');
  return diffs.length ? diffs.slice(0, 3).join(', ') + (diffs.length > 3 ? ', …' : '') : 'same config';
}

/** The loss fields that differ, as "wIntra 4→0, tau 4→2"; empty when none do. */
export function lossChanges(before: LossConfig, after: LossConfig): string {
  return (Object.keys(after) as (keyof LossConfig)[])
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k} ${JSON.stringify(before[k])}→${JSON.stringify(after[k])}`)
    .join(', ');
}

export const createRunSlice: StateCreator<AppState, [], [], RunSlice> = (set, get) => ({
  run: INITIAL_RUN,
  ghosts: [],
  runStarted: (runId, totalSteps) => set({ run: { ...INITIAL_RUN, runId, status: 'loading', totalSteps } }),
  runConfigApplied: (config, step) =>
    set((s) => {
      const before = s.run.config;
      const changed = before ? lossChanges(before.loss, config.loss) : '';
      const markers = changed ? [...s.run.markers, { step, label: changed }] : s.run.markers;
      return { run: { ...s.run, config, markers } };
    }),
  runStatus: (u) =>
    set((s) => ({
      run: {
        ...s.run,
        status: u.status,
        phase: u.phase,
        step: u.step,
        totalSteps: u.totalSteps,
        reason: u.reason,
      },
    })),
  runProgress: (p) => set((s) => ({ run: { ...s.run, ...p, beats: s.run.beats + 1 } })),
  appendMetrics: (phase, rows) =>
    set((s) => {
      const chart = rows.map(toChartRow);
      const reads = s.run.reads + 1;
      return phase === 'teacher'
        ? { run: { ...s.run, reads, teacherRows: append(s.run.teacherRows, chart) } }
        : { run: { ...s.run, reads, studentRows: append(s.run.studentRows, chart) } };
    }),
  appendEval: (phase, result) =>
    set((s) => {
      const row: ChartRow = { step: result.step };
      for (const [name, acc] of Object.entries(result.accuracy)) {
        if (phase === 'teacher' || name !== 'teacher') row[name] = acc;
      }
      if (phase === 'student') row.teacher = result.accuracy.teacher;
      return {
        run: {
          ...s.run,
          accuracyRows: append(s.run.accuracyRows, [{ ...row, phase: phase === 'teacher' ? 0 : 1 }]),
          accuracyHeads: { ...s.run.accuracyHeads, ...result.heads },
        },
      };
    }),
  runFailed: (reason) => set((s) => ({ run: { ...s.run, status: 'error', reason } })),
  runRefused: (reason) => set({ run: { ...INITIAL_RUN, reason } }),
  runCheckpointed: (step) => set((s) => ({ run: { ...s.run, lastCheckpointStep: step, notSaved: null } })),
  runRecovering: (reason) =>
    set((s) => ({
      run: { ...s.run, status: 'loading', reason, imagesPerSecond: 0, etaSeconds: Number.NaN },
    })),
  runNotSaved: (line) => set((s) => ({ run: { ...s.run, notSaved: line } })),
  archiveRun: () => {
    const { run, ghosts } = get();
    if (run.config && run.studentRows.length) {
      const previous = ghosts[ghosts.length - 1]?.config ?? null;
      const ghost: GhostRun = {
        label: previous ? describeConfigChange(previous, run.config) : `run ${ghosts.length + 1}`,
        config: run.config,
        student: run.studentRows,
        accuracy: run.accuracyRows,
      };
      set({ ghosts: [...ghosts, ghost].slice(-5) });
    }
    set({ run: INITIAL_RUN });
  },
  clearGhosts: () => set({ ghosts: [] }),
});

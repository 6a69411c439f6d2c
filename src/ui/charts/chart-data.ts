import { downsampleIndices } from './downsample';
import { debiasedEma } from './smoothing';

/** One row of metrics: the step plus one value per series key (missing = not logged this step). */
export type MetricRow = { step: number; [key: string]: number | undefined };

/** An earlier run's rows, drawn faint and labelled by what changed ("wIntra 4→0"). */
export interface GhostRun {
  label: string;
  rows: readonly MetricRow[];
}

/** A point as recharts draws it: fields `s<k>` (smoothed) / `r<k>` (raw) per series, `g<g>_<k>` per ghost. */
export type ChartPoint = { step: number; [field: string]: number | undefined };

/** Most points drawn per run; see downsampleIndices for why. */
export const MAX_DRAWN_POINTS = 1500;

/** Field names for series index k (and ghost index g); indices, so any series key is a safe dataKey. */
export const smoothField = (k: number) => `s${k}`;
export const rawField = (k: number) => `r${k}`;
export const ghostField = (g: number, k: number) => `g${g}_${k}`;

/** Per-series values over the full rows (no thinning). */
export interface SeriesTrace {
  key: string;
  raw: number[];
  smoothed: number[];
  /** Rows with a finite raw value. */
  finiteCount: number;
  /** Smoothed points that survived thinning (and the log filter). */
  drawnCount: number;
}

export interface ChartData {
  points: ChartPoint[];
  steps: number[];
  traces: SeriesTrace[];
  ghosts: { label: string; steps: number[]; smoothed: number[][] }[];
}

function column(rows: readonly MetricRow[], key: string): number[] {
  return rows.map((r) => {
    const v = r[key];
    return typeof v === 'number' ? v : Number.NaN;
  });
}

/** Drawable value: undefined (a gap) for non-finite values, and for non-positive ones on a log axis. */
function drawable(v: number | undefined, logScale: boolean): number | undefined {
  if (v === undefined || !Number.isFinite(v)) return undefined;
  if (logScale && v <= 0) return undefined;
  return v;
}

/**
 * Smooths every series over all rows, then thins the rows to at most `maxPoints` for drawing and
 * merges earlier runs in by step. Pure, so the component can memoise it on its inputs.
 */
export function buildChartData(
  rows: readonly MetricRow[],
  keys: readonly string[],
  smoothing: number,
  logScale: boolean,
  ghosts: readonly GhostRun[],
  maxPoints = MAX_DRAWN_POINTS,
): ChartData {
  const steps = rows.map((r) => r.step);
  const traces: SeriesTrace[] = keys.map((key) => {
    const raw = column(rows, key);
    return {
      key,
      raw,
      smoothed: debiasedEma(raw, smoothing),
      finiteCount: raw.filter(Number.isFinite).length,
      drawnCount: 0,
    };
  });

  const byStep = new Map<number, ChartPoint>();
  const pointAt = (step: number): ChartPoint => {
    let p = byStep.get(step);
    if (!p) {
      p = { step };
      byStep.set(step, p);
    }
    return p;
  };

  for (const i of downsampleIndices(rows.length, maxPoints)) {
    const p = pointAt(steps[i]!);
    traces.forEach((t, k) => {
      const s = drawable(t.smoothed[i], logScale);
      p[smoothField(k)] = s;
      p[rawField(k)] = drawable(t.raw[i], logScale);
      if (s !== undefined) t.drawnCount++;
    });
  }

  const ghostData = ghosts.map((ghost, g) => {
    const gSteps = ghost.rows.map((r) => r.step);
    const smoothed = keys.map((key) => debiasedEma(column(ghost.rows, key), smoothing));
    for (const i of downsampleIndices(ghost.rows.length, maxPoints)) {
      const p = pointAt(gSteps[i]!);
      smoothed.forEach((s, k) => {
        p[ghostField(g, k)] = drawable(s[i], logScale);
      });
    }
    return { label: ghost.label, steps: gSteps, smoothed };
  });

  const points = [...byStep.values()];
  if (ghosts.length > 0) points.sort((a, b) => a.step - b.step);
  return { points, steps, traces, ghosts: ghostData };
}

/** Index of the step closest to `step` in ascending `steps`, or -1 when empty. */
export function nearestIndex(steps: readonly number[], step: number): number {
  if (steps.length === 0) return -1;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]! < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(steps[lo - 1]! - step) <= Math.abs(steps[lo]! - step)) return lo - 1;
  return lo;
}

/** Last finite smoothed value of a trace, with its step; undefined when there is none. */
export function lastFinite(
  trace: SeriesTrace,
  steps: readonly number[],
): { step: number; value: number } | undefined {
  for (let i = trace.smoothed.length - 1; i >= 0; i--) {
    const v = trace.smoothed[i]!;
    if (Number.isFinite(v)) return { step: steps[i]!, value: v };
  }
  return undefined;
}

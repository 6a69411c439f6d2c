import { type AxisScale, linearScale, logScale as logAxisScale } from './axis-ticks';
import { downsampleIndices } from './downsample';
import { DebiasedEma, debiasedEma } from './smoothing';

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
export const MAX_DRAWN_POINTS = 600;

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
  steps: readonly number[];
  traces: SeriesTrace[];
  ghosts: { label: string; steps: number[]; smoothed: number[][] }[];
  /** Step axis: from 0 to the planned steps (else the drawn steps), on whole ticks; undefined with neither. */
  x: AxisScale | undefined;
  /** Value axis: covers every drawn value (raw, smoothed, ghosts); undefined with nothing drawn. */
  y: AxisScale | undefined;
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

/** How a chart is drawn beyond its rows. */
export interface ChartOptions {
  /** Most points drawn per series (default MAX_DRAWN_POINTS). */
  maxPoints?: number;
  /** The run's last step: the step axis runs from 0 to it for the whole run. */
  stepsTotal?: number;
  /** A fixed value axis (e.g. [0, 1] for accuracies) instead of one fitted to the values. */
  yRange?: readonly [number, number];
}

/** Smallest and largest finite value, and smallest positive one (for a log axis). */
interface Extent {
  min: number;
  max: number;
  minPositive: number;
}

const emptyExtent = (): Extent => ({
  min: Number.POSITIVE_INFINITY,
  max: Number.NEGATIVE_INFINITY,
  minPositive: Number.POSITIVE_INFINITY,
});

function widen(e: Extent, v: number): void {
  if (!Number.isFinite(v)) return;
  if (v < e.min) e.min = v;
  if (v > e.max) e.max = v;
  if (v > 0 && v < e.minPositive) e.minPositive = v;
}

function merge(into: Extent, from: Extent): void {
  widen(into, from.min);
  widen(into, from.max);
  if (from.minPositive < into.minPositive) into.minPositive = from.minPositive;
}

/** One series' full columns, extended in place as rows are appended. */
interface SeriesColumns {
  raw: number[];
  smoothed: number[];
  finiteCount: number;
  ema: DebiasedEma;
}

/**
 * Builds ChartData for one chart, redraw after redraw. Rows only ever get appended (the store
 * concatenates), so the smoothed series are extended by the new rows instead of recomputed over
 * all of them: with 20,000 rows and six series, a full pass per redraw held the main thread for
 * ~90 ms. Any other change (new keys or smoothing, or rows that are not an extension of the last
 * ones, e.g. after the store thinned them) starts over. Earlier runs' curves are cached by rows.
 *
 * The returned traces share their arrays with the builder, so an older ChartData sees later rows
 * appended to them; only the latest one is meant to be drawn.
 */
export class ChartDataBuilder {
  private steps: number[] = [];
  private columns: SeriesColumns[] = [];
  private lastRow: MetricRow | undefined;
  private signature = '';
  private extent = emptyExtent();
  private readonly ghostCache = new WeakMap<
    readonly MetricRow[],
    { signature: string; smoothed: number[][]; extent: Extent }
  >();

  build(
    rows: readonly MetricRow[],
    keys: readonly string[],
    smoothing: number,
    logScale: boolean,
    ghosts: readonly GhostRun[],
    options: ChartOptions = {},
  ): ChartData {
    // What the smoothed columns depend on besides the rows; a change starts them over.
    const signature = `${smoothing}\u0000${keys.join('\u0000')}`;
    this.extend(rows, keys, smoothing, signature);
    const traces: SeriesTrace[] = keys.map((key, k) => ({
      key,
      raw: this.columns[k]!.raw,
      smoothed: this.columns[k]!.smoothed,
      finiteCount: this.columns[k]!.finiteCount,
      drawnCount: 0,
    }));
    const ghostSeries = ghosts.map((ghost) => this.ghostSmoothed(ghost, keys, smoothing, signature));
    const extent = { ...this.extent };
    for (const g of ghostSeries) merge(extent, g.extent);
    return assemble(
      this.steps,
      traces,
      ghosts,
      ghostSeries.map((g) => g.smoothed),
      logScale,
      extent,
      options,
    );
  }

  private extend(rows: readonly MetricRow[], keys: readonly string[], smoothing: number, signature: string) {
    const seen = this.steps.length;
    const continues =
      signature === this.signature && rows.length >= seen && (seen === 0 || rows[seen - 1] === this.lastRow);
    if (!continues) {
      this.signature = signature;
      this.steps = [];
      this.extent = emptyExtent();
      this.columns = keys.map(() => ({
        raw: [],
        smoothed: [],
        finiteCount: 0,
        ema: new DebiasedEma(smoothing),
      }));
    }
    for (let i = this.steps.length; i < rows.length; i++) {
      const row = rows[i]!;
      this.steps.push(row.step);
      for (let k = 0; k < keys.length; k++) {
        const c = this.columns[k]!;
        const v = row[keys[k]!];
        const x = typeof v === 'number' ? v : Number.NaN;
        const smoothed = c.ema.next(x);
        c.raw.push(x);
        c.smoothed.push(smoothed);
        if (Number.isFinite(x)) c.finiteCount++;
        widen(this.extent, x);
        widen(this.extent, smoothed);
      }
    }
    this.lastRow = rows.at(-1);
  }

  private ghostSmoothed(ghost: GhostRun, keys: readonly string[], smoothing: number, signature: string) {
    const cached = this.ghostCache.get(ghost.rows);
    if (cached?.signature === signature) return cached;
    const smoothed = keys.map((key) => debiasedEma(column(ghost.rows, key), smoothing));
    const extent = emptyExtent();
    for (const series of smoothed) for (const v of series) widen(extent, v);
    const entry = { signature, smoothed, extent };
    this.ghostCache.set(ghost.rows, entry);
    return entry;
  }
}

/**
 * Smooths every series over all rows, then thins the rows to at most `maxPoints` for drawing and
 * merges earlier runs in by step. Pure; a chart uses a ChartDataBuilder to do the same per redraw.
 */
export function buildChartData(...args: Parameters<ChartDataBuilder['build']>): ChartData {
  return new ChartDataBuilder().build(...args);
}

/**
 * The value axis starts at 0 (so it need not move as a loss falls), unless values go clearly below
 * 0: rounding can leave a KL divergence at -1e-7, which should not add a whole tick below the axis.
 */
function floorAtZero(e: Extent): number {
  return e.min < 0 && -e.min > 0.01 * (Math.max(0, e.max) - e.min) ? e.min : 0;
}

/** Thins the rows for drawing, merges earlier runs in by step, and sizes the axes. */
function assemble(
  steps: readonly number[],
  traces: SeriesTrace[],
  ghosts: readonly GhostRun[],
  ghostSeries: readonly number[][][],
  logScale: boolean,
  extent: Extent,
  options: ChartOptions,
): ChartData {
  const maxPoints = options.maxPoints ?? MAX_DRAWN_POINTS;
  const keys = traces.map((t) => t.key);
  // Field names built once: this runs on every redraw, over every drawn row.
  const sFields = keys.map((_, k) => smoothField(k));
  const rFields = keys.map((_, k) => rawField(k));

  const set = (p: ChartPoint, field: string, value: number | undefined) => {
    const v = drawable(value, logScale);
    p[field] = v;
    return v !== undefined;
  };

  const byStep = new Map<number, ChartPoint>();
  const points: ChartPoint[] = [];
  for (const i of downsampleIndices(steps.length, maxPoints)) {
    let p = byStep.get(steps[i]!);
    if (!p) {
      p = { step: steps[i]! };
      byStep.set(p.step, p);
      points.push(p);
    }
    for (let k = 0; k < traces.length; k++) {
      const t = traces[k]!;
      if (set(p, sFields[k]!, t.smoothed[i])) t.drawnCount++;
      set(p, rFields[k]!, t.raw[i]);
    }
  }

  const ghostData = ghosts.map((ghost, g) => {
    const gSteps = ghost.rows.map((r) => r.step);
    const smoothed = ghostSeries[g]!;
    const gFields = keys.map((_, k) => ghostField(g, k));
    for (const i of downsampleIndices(ghost.rows.length, maxPoints)) {
      let p = byStep.get(gSteps[i]!);
      if (!p) {
        p = { step: gSteps[i]! };
        byStep.set(p.step, p);
        points.push(p);
      }
      for (let k = 0; k < smoothed.length; k++) set(p, gFields[k]!, smoothed[k]![i]);
    }
    return { label: ghost.label, steps: gSteps, smoothed };
  });
  if (ghosts.length > 0) points.sort((a, b) => a.step - b.step);

  // Both axes stay put while a run grows, because recharts redraws its whole frame (a long task)
  // when an axis changes: the step axis spans the run's planned steps, and the value axis every
  // value since the run began (all rows, raw and smoothed, not only the drawn ones) and 0.
  const lastStep = points.at(-1)?.step;
  // With the planned steps known the step axis is drawn before the first point, so the first
  // metrics do not change it either.
  const x =
    options.stepsTotal !== undefined
      ? linearScale(0, Math.max(options.stepsTotal, lastStep ?? 0), 6)
      : lastStep === undefined
        ? undefined
        : linearScale(points[0]!.step, lastStep, 6);
  const y = options.yRange
    ? linearScale(options.yRange[0], options.yRange[1], 6)
    : logScale
      ? logAxisScale(extent.minPositive, extent.max)
      : extent.min <= extent.max
        ? linearScale(floorAtZero(extent), Math.max(0, extent.max), 6)
        : undefined;
  return { points, steps, traces, ghosts: ghostData, x, y };
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

import { OBJECTIVES, type ObjectiveId, type RunCurve, type RunResult } from './experiment-plan';

/**
 * Each finished run's training curve, kept with its result (and so in IndexedDB), and the
 * overlay the Experiment panel draws from them: per objective, the mean over its seeds.
 */

/** Most points kept per run: a chart is a few hundred pixels wide, and IndexedDB keeps every run. */
export const MAX_CURVE_POINTS = 200;

/** What the overlay can show over steps. */
export type CurveMetric = 'trainAccuracy' | 'loss';

export const CURVE_METRICS: readonly { id: CurveMetric; label: string; yLabel: string }[] = [
  { id: 'trainAccuracy', label: 'Training-batch accuracy', yLabel: 'accuracy' },
  { id: 'loss', label: "Training loss (each objective's own total)", yLabel: 'loss' },
];

type Row = { step: number; [key: string]: number | undefined };

function bucketMean(rows: readonly Row[], key: string, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = rows[i]![key];
    if (typeof v === 'number' && Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : Number.NaN;
}

/**
 * The curve of a run's student rows, at most `maxPoints` long: consecutive rows averaged in
 * equal buckets (averaged rather than picked, so a noisy per-step loss is not aliased), each
 * at its last row's step. Runs of the same length get the same steps, so seeds line up.
 */
export function runCurve(rows: readonly Row[], maxPoints = MAX_CURVE_POINTS): RunCurve {
  const size = Math.max(1, Math.ceil(rows.length / Math.max(1, maxPoints)));
  const curve: RunCurve = { step: [], loss: [], trainAccuracy: [] };
  for (let from = 0; from < rows.length; from += size) {
    const to = Math.min(rows.length, from + size);
    curve.step.push(rows[to - 1]!.step);
    curve.loss.push(bucketMean(rows, 'total', from, to));
    curve.trainAccuracy.push(bucketMean(rows, 'accuracy', from, to));
  }
  return curve;
}

export interface OverlaySeries {
  objective: ObjectiveId;
  /** Runs (seeds) whose curves the line averages. */
  runs: number;
}

/**
 * One row per step, one field per objective (its id): the mean over that objective's runs that
 * have a finite value at the step. A run resumed after a reload has its curve from the resume on,
 * so the mean is over the runs that reported the step. Objectives in OBJECTIVES' order.
 */
export function overlayRows(
  results: readonly RunResult[],
  metric: CurveMetric,
): { rows: Row[]; series: OverlaySeries[] } {
  const sums = new Map<number, Map<ObjectiveId, { sum: number; n: number }>>();
  const series: OverlaySeries[] = [];
  for (const o of OBJECTIVES) {
    const runs = results.filter((r) => r.objective === o.id && r.curve && r.curve.step.length > 0);
    if (!runs.length) continue;
    series.push({ objective: o.id, runs: runs.length });
    for (const r of runs) {
      const { step } = r.curve!;
      const values = r.curve![metric];
      step.forEach((s, i) => {
        const v = values[i]!;
        if (!Number.isFinite(v)) return;
        const at = sums.get(s) ?? new Map<ObjectiveId, { sum: number; n: number }>();
        sums.set(s, at);
        const acc = at.get(o.id) ?? { sum: 0, n: 0 };
        at.set(o.id, { sum: acc.sum + v, n: acc.n + 1 });
      });
    }
  }
  const rows = [...sums.keys()]
    .sort((a, b) => a - b)
    .map((step) => {
      const row: Row = { step };
      for (const [id, { sum, n }] of sums.get(step)!) row[id] = sum / n;
      return row;
    });
  return { rows, series };
}

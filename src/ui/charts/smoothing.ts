/** Largest smoothing weight accepted; 1 would freeze the average at its first value forever. */
export const MAX_SMOOTHING = 0.999;

/**
 * TensorBoard's de-biased exponential moving average (tensorboard `vz_line_chart2/line-chart.ts`,
 * `resmoothDataset`).
 *
 * `last = weight * last + (1 - weight) * x`, starting from `last = 0`, then divided by
 * `1 - weight^k`, where k counts the finite points seen so far (k = i + 1 while no point has been
 * skipped). Without that division the first points are pulled towards 0; with it a constant series
 * stays constant. Non-finite inputs (NaN, ±Infinity) come out as NaN and are left out of the
 * average, so one diverged step does not poison every later point.
 *
 * @param values raw series, in step order
 * @param weight smoothing weight in [0, 1): 0 returns the values unchanged; clamped into [0, 0.999]
 */
export function debiasedEma(values: readonly number[], weight: number): number[] {
  const ema = new DebiasedEma(weight);
  return values.map((x) => ema.next(x));
}

/** debiasedEma one value at a time, so a chart can extend its smoothed series as rows arrive. */
export class DebiasedEma {
  private readonly w: number;
  private last = 0;
  private seen = 0;

  constructor(weight: number) {
    this.w = Number.isFinite(weight) ? Math.min(Math.max(weight, 0), MAX_SMOOTHING) : 0;
  }

  /** The smoothed value after `x` (NaN, and left out of the average, when x is not finite). */
  next(x: number): number {
    if (!Number.isFinite(x)) return Number.NaN;
    this.last = this.last * this.w + (1 - this.w) * x;
    this.seen++;
    return this.w === 0 ? x : this.last / (1 - this.w ** this.seen);
  }
}

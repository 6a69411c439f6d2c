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
  const w = Number.isFinite(weight) ? Math.min(Math.max(weight, 0), MAX_SMOOTHING) : 0;
  const out = new Array<number>(values.length);
  let last = 0;
  let numAccum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) {
      out[i] = Number.NaN;
      continue;
    }
    last = last * w + (1 - w) * x;
    numAccum++;
    out[i] = w === 0 ? x : last / (1 - w ** numAccum);
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { MAX_CURVE_POINTS, overlayRows, runCurve } from './experiment-curves';
import type { RunResult } from './experiment-plan';

/** Student rows as the run slice keeps them: every step, a total and a batch accuracy. */
function rows(n: number, f: (step: number) => { total?: number; accuracy?: number }) {
  return Array.from({ length: n }, (_, i) => ({ step: i + 1, ...f(i + 1) }));
}

describe('runCurve', () => {
  it('keeps a short run as it is', () => {
    const r = rows(8, (s) => ({ total: 10 - s, accuracy: s / 10 }));
    expect(runCurve(r)).toEqual({
      step: [1, 2, 3, 4, 5, 6, 7, 8],
      loss: [9, 8, 7, 6, 5, 4, 3, 2],
      trainAccuracy: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    });
  });

  it('averages a long run into at most 200 buckets, each at its last step', () => {
    const r = rows(1000, (s) => ({ total: s % 7, accuracy: (s % 3) / 2 }));
    const c = runCurve(r);
    expect(c.step.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    // 1000 rows in buckets of 5: steps 5, 10, …, 1000.
    expect(c.step).toEqual(Array.from({ length: 200 }, (_, i) => 5 * (i + 1)));
    for (const [i, end] of c.step.entries()) {
      const steps = [end - 4, end - 3, end - 2, end - 1, end];
      expect(c.loss[i]).toBeCloseTo(steps.reduce((a, s) => a + (s % 7), 0) / 5, 12);
      expect(c.trainAccuracy[i]).toBeCloseTo(steps.reduce((a, s) => a + (s % 3) / 2, 0) / 5, 12);
    }
  });

  it('an uneven length keeps its last step; a bucket without finite values is NaN', () => {
    const r = rows(401, (s) => (s <= 3 ? { total: Number.NaN } : { total: 1, accuracy: 0.5 }));
    const c = runCurve(r);
    expect(c.step.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(c.step.at(-1)).toBe(401);
    expect(c.loss[0]).toBeNaN(); // steps 1-3: NaN totals only
    expect(c.trainAccuracy[0]).toBeNaN();
    expect(c.loss[1]).toBe(1);
    expect(runCurve([])).toEqual({ step: [], loss: [], trainAccuracy: [] });
  });
});

describe('overlayRows', () => {
  const run = (objective: RunResult['objective'], seed: number, steps: number[], acc: number[]) => ({
    objective,
    seed,
    testAccuracy: 0.5,
    trainSeconds: 1,
    curve: { step: steps, loss: acc.map((a) => 1 - a), trainAccuracy: acc },
  });

  it('one field per objective: the mean over its seeds at each step, objectives in panel order', () => {
    const results: RunResult[] = [
      run('kd+all', 1, [1, 2, 3], [0.1, 0.2, 0.6]),
      run('kd-only', 1, [1, 2, 3], [0.2, 0.4, 0.4]),
      run('kd+all', 2, [1, 2, 3], [0.3, Number.NaN, 0.8]),
      run('kd-only', 2, [2, 3], [0.6, 0.8]), // resumed after a reload: from step 2 on
      { objective: 'ce-only', seed: 1, testAccuracy: 0.3, trainSeconds: 1 }, // saved before curves
    ];
    const { rows: out, series } = overlayRows(results, 'trainAccuracy');
    expect(series).toEqual([
      { objective: 'kd-only', runs: 2 },
      { objective: 'kd+all', runs: 2 },
    ]);
    expect(out.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(out[0]!['kd-only']).toBeCloseTo(0.2, 12);
    expect(out[0]!['kd+all']).toBeCloseTo(0.2, 12);
    expect(out[1]!['kd-only']).toBeCloseTo(0.5, 12);
    expect(out[1]!['kd+all']).toBeCloseTo(0.2, 12); // seed 2's NaN is left out of the mean
    expect(out[2]!['kd-only']).toBeCloseTo(0.6, 12);
    expect(out[2]!['kd+all']).toBeCloseTo(0.7, 12);
    expect(out[0]!['ce-only']).toBeUndefined();
    expect(overlayRows(results, 'loss').rows[2]!['kd+all']).toBeCloseTo(0.3, 12);
  });

  it('nothing to draw without curves', () => {
    expect(overlayRows([], 'loss')).toEqual({ rows: [], series: [] });
  });
});

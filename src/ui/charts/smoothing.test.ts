import { describe, expect, it } from 'vitest';
import { downsampleIndices } from './downsample';
import { debiasedEma } from './smoothing';

describe('debiasedEma', () => {
  it('matches a hand-derived reference for weight 0.5 on [1, 2, 3]', () => {
    // last0 = 0.5*0    + 0.5*1 = 0.5    -> / (1 - 0.5^1 = 0.5)   = 1
    // last1 = 0.5*0.5  + 0.5*2 = 1.25   -> / (1 - 0.5^2 = 0.75)  = 5/3
    // last2 = 0.5*1.25 + 0.5*3 = 2.125  -> / (1 - 0.5^3 = 0.875) = 17/7
    // Check of the last one as a weighted mean: (0.25*1 + 0.5*2 + 1*3) / (0.25 + 0.5 + 1) = 4.25 / 1.75 = 17/7.
    const out = debiasedEma([1, 2, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(5 / 3, 12);
    expect(out[2]).toBeCloseTo(17 / 7, 12);
  });

  it('matches a hand-derived reference for weight 0.9 on [10, 0]', () => {
    // last0 = 0.1*10 = 1 -> / 0.1 = 10; last1 = 0.9*1 + 0.1*0 = 0.9 -> / (1 - 0.81 = 0.19) = 90/19
    const out = debiasedEma([10, 0], 0.9);
    expect(out[0]).toBeCloseTo(10, 12);
    expect(out[1]).toBeCloseTo(90 / 19, 12);
  });

  it('returns the values unchanged for weight 0', () => {
    const values = [3, -1.5, 0, 1e-8, 42];
    expect(debiasedEma(values, 0)).toEqual(values);
  });

  it('keeps a constant series constant, thanks to the de-bias', () => {
    for (const weight of [0.3, 0.9, 0.99]) {
      for (const v of debiasedEma(new Array(200).fill(2.5), weight)) expect(v).toBeCloseTo(2.5, 10);
    }
  });

  it('passes NaN and Infinity through as NaN without poisoning later points', () => {
    const out = debiasedEma([1, Number.NaN, Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY, 1], 0.8);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeNaN();
    expect(out[4]).toBeNaN();
    // Non-finite points are skipped, so the constant 1 stays 1 across the gaps.
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[3]).toBeCloseTo(1, 12);
    expect(out[5]).toBeCloseTo(1, 12);
  });

  it('skips leading NaNs and de-biases from the first finite point', () => {
    // [NaN, 4, 2], weight 0.5: last = 2 -> / 0.5 = 4; last = 1 + 1 = 2 -> / 0.75 = 8/3
    const out = debiasedEma([Number.NaN, 4, 2], 0.5);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeCloseTo(4, 12);
    expect(out[2]).toBeCloseTo(8 / 3, 12);
  });

  it('clamps weights outside [0, 1) instead of producing NaN', () => {
    expect(debiasedEma([1, 2], -1)).toEqual([1, 2]);
    for (const v of debiasedEma([5, 5, 5], 1)) expect(v).toBeCloseTo(5, 9);
  });

  it('returns an empty array for an empty series', () => {
    expect(debiasedEma([], 0.6)).toEqual([]);
  });
});

describe('downsampleIndices', () => {
  it('keeps every row when there are few enough', () => {
    expect(downsampleIndices(5, 1500)).toEqual([0, 1, 2, 3, 4]);
    expect(downsampleIndices(0, 1500)).toEqual([]);
  });

  it('stays within the limit and always keeps the first and last rows', () => {
    for (const length of [1501, 2000, 3001, 4999, 100_000]) {
      const idx = downsampleIndices(length, 1500);
      expect(idx.length).toBeLessThanOrEqual(1500);
      expect(idx[0]).toBe(0);
      expect(idx.at(-1)).toBe(length - 1);
      for (let k = 1; k < idx.length; k++) expect(idx[k]!).toBeGreaterThan(idx[k - 1]!);
    }
  });

  it('keeps the same rows as more rows are appended, until the stride doubles', () => {
    const a = downsampleIndices(2000, 1500).slice(0, -1);
    const b = downsampleIndices(2500, 1500);
    expect(b.slice(0, a.length)).toEqual(a);
  });
});

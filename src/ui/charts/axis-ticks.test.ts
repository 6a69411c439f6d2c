import { describe, expect, it } from 'vitest';
import { fittedStepEnd, linearScale, logScale, sameScale } from './axis-ticks';

describe('linearScale', () => {
  it('extends a value axis outwards to whole 1-2-5 steps', () => {
    // Range 2.24 over 4 intervals wants a step >= 0.56: the ladder gives 1.
    expect(linearScale(0.13, 2.37)).toEqual({ domain: [0, 3], ticks: [0, 1, 2, 3] });
    // Range 0.4 / 4 = 0.1 exactly: step 0.1, no binary noise in the ticks.
    expect(linearScale(2.3, 2.7)).toEqual({ domain: [2.3, 2.7], ticks: [2.3, 2.4, 2.5, 2.6, 2.7] });
    // Negative values and a step of 2 (range 7 / 4 = 1.75).
    expect(linearScale(-3.5, 3.5)).toEqual({ domain: [-4, 4], ticks: [-4, -2, 0, 2, 4] });
    // Steps of 5 (range 14 / 4 = 3.5) and 50.
    expect(linearScale(1, 15)?.ticks).toEqual([0, 5, 10, 15]);
    expect(linearScale(0, 180)?.ticks).toEqual([0, 50, 100, 150, 200]);
  });

  it('keeps a step axis at the data ends and puts ticks inside them', () => {
    expect(linearScale(12, 391, 5, false)).toEqual({ domain: [12, 391], ticks: [100, 200, 300] });
    expect(linearScale(0, 40, 5, false)).toEqual({ domain: [0, 40], ticks: [0, 10, 20, 30, 40] });
    expect(linearScale(7, 7, 5, false)).toEqual({ domain: [7, 7], ticks: [7] });
  });

  it('puts a single value in a band around it', () => {
    expect(linearScale(2, 2)).toEqual({ domain: [1.8, 2.2], ticks: [1.8, 1.9, 2, 2.1, 2.2] });
    expect(linearScale(0, 0)).toEqual({ domain: [-1, 1], ticks: [-1, -0.5, 0, 0.5, 1] });
  });

  it('covers the data with a bounded number of evenly spaced ticks for any range', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 500; trial++) {
      const scale = 10 ** (rand() * 12 - 6);
      const a = (rand() - 0.5) * scale;
      const b = a + rand() * scale;
      const s = linearScale(a, b)!;
      expect(s.domain[0]).toBeLessThanOrEqual(a);
      expect(s.domain[1]).toBeGreaterThanOrEqual(b);
      expect(s.ticks.length).toBeGreaterThanOrEqual(2);
      expect(s.ticks.length).toBeLessThanOrEqual(6);
      const step = s.ticks[1]! - s.ticks[0]!;
      // The step is 1, 2 or 5 times a power of ten.
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
      for (let i = 1; i < s.ticks.length; i++)
        expect(s.ticks[i]! - s.ticks[i - 1]!).toBeCloseTo(step, 9 - Math.log10(scale));
    }
  });

  it('has no scale for missing data', () => {
    expect(linearScale(Number.NaN, 1)).toBeUndefined();
    expect(linearScale(0, Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(linearScale(2, 1)).toBeUndefined();
  });
});

describe('logScale', () => {
  it('runs from the 1-2-5 value below the data to the one above, with those rungs as ticks', () => {
    expect(logScale(0.03, 2.3)).toEqual({ domain: [0.02, 5], ticks: [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] });
    expect(logScale(0.6, 0.9)).toEqual({ domain: [0.5, 1], ticks: [0.5, 1] });
  });

  it('keeps only the powers of ten (and the ends) over many decades', () => {
    expect(logScale(0.0013, 40)).toEqual({ domain: [0.001, 50], ticks: [0.001, 0.01, 0.1, 1, 10, 50] });
  });

  it('widens a value that sits on the ladder', () => {
    expect(logScale(2, 2)).toEqual({ domain: [1, 5], ticks: [1, 2, 5] });
  });

  it('has no scale without positive data', () => {
    expect(logScale(0, 1)).toBeUndefined();
    expect(logScale(-1, 1)).toBeUndefined();
    expect(logScale(1, Number.NaN)).toBeUndefined();
  });
});

describe('sameScale', () => {
  it('compares domains and ticks by value', () => {
    expect(sameScale(linearScale(0.13, 2.37), linearScale(0.2, 2.9))).toBe(true);
    expect(sameScale(linearScale(0.13, 2.37), linearScale(0.13, 3.1))).toBe(false);
    expect(sameScale({ domain: [0, 1], ticks: [0, 1] }, { domain: [0, 1], ticks: [0, 0.5, 1] })).toBe(false);
    expect(sameScale(undefined, undefined)).toBe(true);
    expect(sameScale(undefined, linearScale(0, 1))).toBe(false);
  });
});

describe('fittedStepEnd', () => {
  it('ends a little past the steps run so far, far short of a long run', () => {
    // Step 50 of 2,000: the axis must end well below step 200 (issue 29), and past step 50.
    const end = fittedStepEnd(50, 2000);
    expect(end).toBeGreaterThanOrEqual(50 * 1.25);
    expect(end).toBeLessThan(200);
    expect(end).toBe(80);
  });

  it('never ends before the last step, nor past the planned end', () => {
    for (let step = 0; step <= 5000; step += 7) {
      const end = fittedStepEnd(step, 3000);
      expect(end).toBeGreaterThanOrEqual(Math.min(step, 3000));
      expect(end).toBeLessThanOrEqual(Math.max(3000, step));
      // The headroom is "a little": at most twice the steps run (or the minimum span).
      expect(end).toBeLessThanOrEqual(Math.max(20, 2 * step));
    }
    expect(fittedStepEnd(1990, 2000)).toBe(2000);
    // A run past its plan (steps raised mid-run) still fits.
    expect(fittedStepEnd(2100, 2000)).toBe(2100);
  });

  it('moves only when the run outgrows it, a dozen times over a long run', () => {
    const ends = new Set<number>();
    for (let step = 0; step <= 20_000; step++) ends.add(fittedStepEnd(step));
    expect(ends.size).toBeLessThanOrEqual(30);
    // Monotone: the axis never shrinks while a run grows.
    let last = 0;
    for (let step = 0; step <= 20_000; step += 13) {
      const end = fittedStepEnd(step);
      expect(end).toBeGreaterThanOrEqual(last);
      last = end;
    }
  });

  it('spans a minimum before the first points, so a handful of steps is not stretched edge to edge', () => {
    expect(fittedStepEnd(0, 2000)).toBe(20);
    expect(fittedStepEnd(3, 2000)).toBe(20);
    expect(fittedStepEnd(0, 10)).toBe(10);
  });
});

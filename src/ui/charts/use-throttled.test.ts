import { describe, expect, it } from 'vitest';
import { nextSlotTime } from './use-throttled';

describe('nextSlotTime', () => {
  it('returns the first time at or after `earliest` in the slot of a 1 s period', () => {
    // Slot 0: whole seconds; slot 1/3: 333.3 ms past them; slot 2/3: 666.7 ms past them.
    expect(nextSlotTime(1200, 1000, 0)).toBe(2000);
    expect(nextSlotTime(1200, 1000, 1 / 3)).toBeCloseTo(1333.33, 2);
    expect(nextSlotTime(1200, 1000, 2 / 3)).toBeCloseTo(1666.67, 2);
    expect(nextSlotTime(1700, 1000, 2 / 3)).toBeCloseTo(2666.67, 2);
  });

  it('keeps a time that is already in the slot', () => {
    expect(nextSlotTime(3000, 1000, 0)).toBe(3000);
    expect(nextSlotTime(2500, 500, 0)).toBe(2500);
  });

  it('keeps different slots of the same period apart', () => {
    for (const t of [0, 17, 999, 123456.7]) {
      const times = [0, 1 / 3, 2 / 3].map((slot) => nextSlotTime(t, 1000, slot));
      for (const x of times) expect(x).toBeGreaterThanOrEqual(t - 1e-6);
      for (const x of times) expect(x - t).toBeLessThan(1000);
      const gaps = times.map((x) => ((x % 1000) + 1000) % 1000).sort((a, b) => a - b);
      expect(gaps[1]! - gaps[0]!).toBeCloseTo(333.33, 1);
      expect(gaps[2]! - gaps[1]!).toBeCloseTo(333.33, 1);
    }
  });
});

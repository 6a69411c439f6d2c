import { describe, expect, it } from 'vitest';
import { CHECKPOINT_INTERVAL_MS, checkpointDue } from './run-checkpoint';

/** The times of the checkpoints a run makes when it reads its metrics every `periodMs`. */
function checkpointTimes(periodMs: number, untilMs: number): number[] {
  const saved: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  let previousRead = 0;
  for (let readAt = periodMs; readAt <= untilMs; readAt += periodMs) {
    if (checkpointDue(readAt, last, readAt - previousRead)) {
      saved.push(readAt);
      last = readAt;
    }
    previousRead = readAt;
  }
  return saved;
}

describe('checkpointDue', () => {
  // Read periods from an idle GPU (half a second) to SwiftShader under load (11 s for ten steps).
  for (const periodMs of [500, 1_700, 3_000, 11_000, 19_000]) {
    it(`with a read every ${periodMs / 1000} s, checkpoints are never more than the interval apart, nor much closer`, () => {
      const times = checkpointTimes(periodMs, 600_000);
      expect(times[0]).toBe(periodMs); // the first read saves
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(gaps.length).toBeGreaterThan(10);
      for (const gap of gaps) {
        expect(gap).toBeLessThanOrEqual(CHECKPOINT_INTERVAL_MS);
        // No more often than needed: within one read period of the interval.
        expect(gap).toBeGreaterThanOrEqual(CHECKPOINT_INTERVAL_MS - periodMs);
      }
    });
  }
});

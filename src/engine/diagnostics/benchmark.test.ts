import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../backend';
import { measureStepPair } from './benchmark';

beforeAll(async () => {
  const problem = await tryBackend('cpu');
  if (problem) throw new Error(problem);
});

describe('measureStepPair', () => {
  it('measures both step kinds from the same start: equal loss trace, fewer kernels for the fast step, no tensor growth', async () => {
    let clock = 0;
    const [ref, fast] = await measureStepPair({
      size: 'tiny',
      timedSteps: 2,
      countSteps: 2,
      profile: true,
      now: () => (clock += 5),
    });
    expect(ref!.kind).toBe('reference');
    expect(fast!.kind).toBe('fast');
    expect(ref!.losses).toHaveLength(3);
    ref!.losses.forEach((row, i) => {
      for (const [term, value] of Object.entries(row)) {
        expect(
          Math.abs(fast!.losses[i]![term]! - value) / Math.max(Math.abs(value), 1e-12),
          term,
        ).toBeLessThan(1e-4);
      }
    });
    // The clock advances 5 ms per reading: each synced step reads it twice.
    expect(ref!.medianStepMs).toBe(5);
    expect(ref!.stepsTimed).toBe(2);
    expect(ref!.imagesPerSec).toBeCloseTo((16 * 1000) / 5, 6);
    // cpu has no GPU counters.
    expect(ref!.dispatchesPerStep).toBeNull();
    // The flat optimizer replaces ~15 ops per variable (35 here) with a few for all of them
    // (concats, splits and reshapes count as kernels too; reshapes dispatch nothing).
    expect(fast!.kernelsPerStep!).toBeLessThan(ref!.kernelsPerStep! - 5 * 35);
    expect(ref!.tensorsAfterAll).toBe(ref!.tensorsAfter2);
    expect(ref!.studentParams).toBeGreaterThan(0);
  });

  it('counts one kind alone without timed steps: the steady time is the back-to-back wall time per step', async () => {
    let clock = 0;
    const out = await measureStepPair({
      size: 'tiny',
      kinds: ['fast'],
      traceSteps: 1,
      timedSteps: 0,
      countSteps: 2,
      now: () => (clock += 5),
    });
    expect(out.map((m) => m.kind)).toEqual(['fast']);
    const [fast] = out;
    expect(fast!.losses).toHaveLength(1);
    expect(fast!.stepsTimed).toBe(0);
    // One reading before the two steps, two around each enqueue, one after the read: 5 x 5 ms.
    expect(fast!.backToBackMsPerStep).toBe(12.5);
    expect(fast!.medianStepMs).toBe(12.5);
    expect(fast!.enqueueMsPerStep).toBe(5);
    expect(fast!.firstStepMs).toBe(5);
  });
});

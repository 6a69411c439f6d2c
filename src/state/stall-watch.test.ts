import { describe, expect, it } from 'vitest';
import { StallWatch } from './stall-watch';

const limits = { floorMs: 60_000, firstStepMs: 120_000 };

describe('the stall watch', () => {
  it('waits the first-step allowance until a step is timed across a metrics read, then the floor', () => {
    const w = new StallWatch(limits);
    w.observe(true, 'teacher', 0, 0);
    expect(w.stalled(119_000)).toBe(false);
    expect(w.stalled(121_000)).toBe(true);
    w.observe(true, 'teacher', 1, 100_000);
    // 100 s of compiling is not a step time, and no step is timed yet: the allowance holds.
    expect(w.slowestStepMs).toBe(0);
    expect(w.stalled(100_000 + 119_000)).toBe(false);
    // Ten steps enqueued, one compiling a pipeline the warm-up missed (30 s); they run on the
    // GPU while the loop waits for the first read and writes the first checkpoint (70 s under
    // load). No step has been timed yet.
    w.observe(true, 'teacher', 2, 100_500, 0, 0);
    w.observe(true, 'teacher', 10, 130_500, 0, 0);
    expect(w.slowestStepMs).toBe(0);
    expect(w.stalled(130_500 + 61_000)).toBe(false);
    w.observe(true, 'teacher', 10, 165_000, 0, 1);
    w.observe(true, 'teacher', 11, 171_000, 0, 1);
    // The stretch with the first read is not timed either; the second read's is: 10 s a step.
    w.observe(true, 'teacher', 20, 172_000, 0, 1);
    expect(w.stalled(172_000 + 119_000)).toBe(false);
    w.observe(true, 'teacher', 20, 180_000, 0, 2);
    w.observe(true, 'teacher', 21, 182_000, 0, 2);
    expect(w.slowestStepMs).toBe(10_000);
    expect(w.limitMs()).toBe(100_000);
    expect(w.stalled(182_000 + 99_000)).toBe(false);
    expect(w.stalled(182_000 + 101_000)).toBe(true);
  });

  it('takes the worker beats before the first step as signs of life, and only then', () => {
    const w = new StallWatch(limits);
    w.observe(true, 'teacher', 0, 0, 1);
    // Compiling for five minutes, beating every 5 s: never stalled.
    for (let t = 5_000, beats = 2; t <= 300_000; t += 5_000, beats++) {
      w.observe(true, 'teacher', 0, t, beats);
      expect(w.stalled(t + 4_000)).toBe(false);
    }
    // The beats stop: stalled after the allowance.
    expect(w.stalled(300_000 + 121_000)).toBe(true);
    // Once steps come, beats without steps are no progress.
    w.observe(true, 'teacher', 1, 400_000, 100);
    w.observe(true, 'teacher', 11, 410_000, 101);
    w.observe(true, 'teacher', 11, 450_000, 102);
    expect(w.stalled(410_000 + 121_000)).toBe(true);
  });

  it('raises the limit to ten times the slowest step, measured per step', () => {
    const w = new StallWatch(limits);
    w.observe(true, 'teacher', 0, 0);
    w.observe(true, 'teacher', 1, 1_000);
    w.observe(true, 'teacher', 1, 5_000, 0, 1);
    w.observe(true, 'teacher', 21, 21_000, 0, 1);
    // 20 steps done by the second read, 20 s later: 1 s a step, under the floor's tenth.
    w.observe(true, 'teacher', 21, 40_000, 0, 2);
    w.observe(true, 'teacher', 41, 41_000, 0, 2);
    expect(w.slowestStepMs).toBe(1_000);
    expect(w.limitMs()).toBe(60_000);
    // One step took 9 s (an emulated GPU): the page now waits 90 s.
    w.observe(true, 'teacher', 41, 49_000, 0, 3);
    w.observe(true, 'teacher', 42, 50_000, 0, 3);
    expect(w.limitMs()).toBe(90_000);
    expect(w.stalled(50_000 + 89_000)).toBe(false);
    expect(w.stalled(50_000 + 91_000)).toBe(true);
  });

  it('counts a new phase as progress without timing the switch', () => {
    const w = new StallWatch(limits);
    w.observe(true, 'teacher', 0, 0);
    w.observe(true, 'teacher', 5, 1_000);
    w.observe(true, 'student', 0, 50_000);
    expect(w.slowestStepMs).toBe(0);
    expect(w.stalled(50_000 + 59_000)).toBe(false);
  });

  it('takes beats as signs of life again while a new phase compiles, and times its steps afresh', () => {
    const w = new StallWatch(limits);
    w.observe(true, 'teacher', 0, 0, 0, 0);
    w.observe(true, 'teacher', 1, 10_000, 1, 0);
    w.observe(true, 'teacher', 1, 12_000, 2, 1);
    w.observe(true, 'teacher', 11, 13_000, 3, 1);
    w.observe(true, 'teacher', 11, 22_000, 4, 2);
    w.observe(true, 'teacher', 21, 23_000, 5, 2);
    expect(w.limitMs()).toBe(60_000);
    // The student phase begins and compiles for three minutes, beating every 5 s.
    w.observe(true, 'student', 0, 30_000, 6, 2);
    for (let t = 35_000, beats = 7; t <= 210_000; t += 5_000, beats++) {
      w.observe(true, 'student', 0, t, beats, 2);
      expect(w.stalled(t + 4_000)).toBe(false);
    }
    // Its first step is not timed; until a step is, the first-step allowance holds.
    w.observe(true, 'student', 1, 215_000, 100, 2);
    expect(w.slowestStepMs).toBe(1_000);
    expect(w.stalled(215_000 + 119_000)).toBe(false);
    expect(w.stalled(215_000 + 121_000)).toBe(true);
  });

  it('never trips while the run is not training, and starts afresh when it trains again', () => {
    const w = new StallWatch(limits);
    w.observe(true, 'teacher', 0, 0);
    w.observe(true, 'teacher', 3, 1_000);
    w.observe(false, 'teacher', 3, 2_000);
    expect(w.stalled(1_000_000)).toBe(false);
    w.observe(true, 'teacher', 3, 1_000_000);
    expect(w.stalled(1_000_000 + 100_000)).toBe(false);
    expect(w.stalled(1_000_000 + 121_000)).toBe(true);
  });

  it('reset forgets the slowest step', () => {
    const w = new StallWatch(limits);
    w.observe(true, 'teacher', 0, 0);
    w.observe(true, 'teacher', 1, 1_000, 0, 1);
    w.observe(true, 'teacher', 2, 2_000, 0, 1);
    w.observe(true, 'teacher', 3, 32_000, 0, 2);
    expect(w.limitMs()).toBe(300_000);
    w.observe(false, 'teacher', 2, 32_000);
    w.reset();
    expect(w.slowestStepMs).toBe(0);
    expect(w.limitMs()).toBe(120_000);
  });
});

import { describe, expect, it } from 'vitest';
import { presetConfig } from '../spec/presets';
import { onCpuBackend } from '../test-utils';
import * as tf from '../tf';
import { timeTrainingSteps } from './step-timing';

onCpuBackend();

describe('timeTrainingSteps', () => {
  const config = presetConfig('tiny');
  const now = () => performance.now();

  it('runs warm-up and timed steps of the config and frees everything it made', async () => {
    const before = tf.memory().numTensors;
    const t0 = now();
    const timing = await timeTrainingSteps(config, { warmup: 1, timed: 2, capMs: 60_000, now });
    const wall = now() - t0;
    expect(timing.cutShort).toBe(false);
    expect(timing.stepsDone).toBe(3);
    // The median of two of the three steps: positive and at most the whole measurement.
    expect(timing.msPerStep).toBeGreaterThan(0);
    expect(timing.msPerStep).toBeLessThanOrEqual(wall);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("times the teacher phase's step (the teacher training, no student) and frees it too", async () => {
    const before = tf.memory().numTensors;
    const t0 = now();
    const teacher = await timeTrainingSteps(config, {
      warmup: 1,
      timed: 1,
      capMs: 60_000,
      now,
      phase: 'teacher',
    });
    expect(teacher).toMatchObject({ cutShort: false, stepsDone: 2 });
    expect(teacher.msPerStep).toBeGreaterThan(0);
    expect(teacher.msPerStep).toBeLessThanOrEqual(now() - t0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops at its cap and reports the step time as a lower bound', async () => {
    // A clock that advances 1 s per reading: start 1 s, step 2-3 s, then 4 s is past the 1.5 s cap.
    let clock = 0;
    const before = tf.memory().numTensors;
    const timing = await timeTrainingSteps(config, {
      warmup: 2,
      timed: 3,
      capMs: 1500,
      now: () => (clock += 1000),
    });
    expect(timing).toEqual({ msPerStep: 1000, cutShort: true, stepsDone: 1 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

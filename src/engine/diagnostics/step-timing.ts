/**
 * Times a few training steps of a config on the active backend, to choose between backends
 * (backend-choice.ts). The model and batch are built here, as the trainer builds them (fast
 * step, fixed batch on the device), and disposed after. Each timed step waits for its metrics:
 * a sync point, which is fine here, outside the training loop.
 */

import { makeRng } from '../random';
import { buildRig, type RigConfig } from '../rig';
import * as tf from '../tf';
import { fixedBatch } from './fixed-batch';

export interface StepTimingOptions {
  /** Steps run first and not counted (shader compilation, buffer pools). */
  warmup: number;
  timed: number;
  /** Wall-clock cap in ms over all steps: a slow (emulated) backend is cut short. */
  capMs: number;
  /** Wall clock in ms (performance.now). */
  now: () => number;
  /** Time the teacher phase's supervised step instead of the student's distillation step. */
  phase?: 'teacher' | 'student';
}

export interface StepTiming {
  /**
   * Median of the timed steps (the last warm-up step's time when none finished). Cut short
   * inside a step: at least the time that step had taken, a lower bound.
   */
  msPerStep: number;
  cutShort: boolean;
  stepsDone: number;
}

type Timed<T> = { value: T } | { late: true };

/** Resolves with the promise's value, or marks it late after `ms` (the promise keeps running). */
function within<T>(promise: Promise<T>, ms: number): Promise<Timed<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ late: true }), Math.max(0, ms));
    void promise.then((value) => {
      clearTimeout(timer);
      resolve({ value });
    });
  });
}

export async function timeTrainingSteps(config: RigConfig, opts: StepTimingOptions): Promise<StepTiming> {
  // In the teacher phase the teacher trains (and no student exists); in the student phase it is frozen.
  const rig = buildRig({ config, phase: opts.phase ?? 'student', stepKind: 'fast' });
  const sampleRng = makeRng(config.seed, 'backend-timing');
  const batch = fixedBatch(config.teacher, config.optim.batch);
  const dispose = () => {
    rig.dispose();
    tf.dispose([batch.images, batch.labels]);
  };

  const start = opts.now();
  const times: number[] = [];
  let stepsDone = 0;
  let lastMs = 0;
  const median = () => {
    const sorted = [...times].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? lastMs;
  };
  for (let i = 0; i < opts.warmup + opts.timed; i++) {
    const t0 = opts.now();
    // CPU backends compute inside step(), so the cap is also checked between steps.
    if (i > 0 && t0 - start >= opts.capMs) {
      dispose();
      return { msPerStep: median(), cutShort: true, stepsDone };
    }
    const lr = config.optim.lr;
    const student = rig.students[0];
    const metrics = student ? rig.studentStep(student, batch, { lr, sampleRng }) : rig.teacherStep(batch, lr);
    const read = metrics.data();
    const result = await within(read, opts.capMs - (t0 - start));
    if ('late' in result) {
      // The backend is still busy with this step: free everything once it is done.
      void read.then(() => {
        metrics.dispose();
        dispose();
      });
      // The step in flight has taken this long already: a lower bound of the step time.
      return { msPerStep: Math.max(opts.now() - t0, median()), cutShort: true, stepsDone };
    }
    metrics.dispose();
    stepsDone++;
    lastMs = opts.now() - t0;
    if (i >= opts.warmup) times.push(lastMs);
  }
  dispose();
  return { msPerStep: median(), cutShort: false, stepsDone };
}

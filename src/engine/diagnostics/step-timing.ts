/**
 * Times a few training steps of a config on the active backend, to choose between backends
 * (backend-choice.ts). The model and batch are built here, as the trainer builds them (fast
 * step, fixed batch on the device), and disposed after. Each timed step waits for its metrics:
 * a sync point, which is fine here, outside the training loop.
 */

import { randomSampleIndices } from '../losses';
import { createOptimizer } from '../optim';
import { makeRng } from '../random';
import { effectiveLayerPairs, patchCount, type RunConfig } from '../spec/config';
import { distillStep, teacherStep } from '../step';
import * as tf from '../tf';
import { Vit } from '../vit';

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

export async function timeTrainingSteps(
  config: Pick<RunConfig, 'teacher' | 'student' | 'loss' | 'optim' | 'seed'>,
  opts: StepTimingOptions,
): Promise<StepTiming> {
  const { batch } = config.optim;
  const tokens = batch * patchCount(config.student);
  const k = Math.min(config.loss.k, tokens);
  const teacherPhase = opts.phase === 'teacher';
  // In the teacher phase the teacher trains (and no student exists); in the student phase it is frozen.
  const teacher = Vit.create(config.teacher, config.seed, teacherPhase);
  const student = teacherPhase ? null : Vit.create(config.student, config.seed + 1);
  const optimizer = createOptimizer((student ?? teacher).namedVariables(), config.optim, 'fast');
  const pairs = effectiveLayerPairs(config.loss, config.student, config.teacher);
  const rng = makeRng(config.seed, 'backend-timing');
  const { imageSize, channels, numClasses } = config.teacher;
  const images = tf.randomNormal([batch, imageSize, imageSize, channels], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Int32Array.from({ length: batch }, (_, i) => i % numClasses),
    'int32',
  );
  const dispose = () => {
    teacher.dispose();
    student?.dispose();
    optimizer.dispose();
    images.dispose();
    labels.dispose();
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
    const metrics = student
      ? distillStep(
          {
            student,
            teacher,
            optimizer,
            loss: config.loss,
            pairs,
            lr: config.optim.lr,
            sampleIndices: pairs.map(() => randomSampleIndices(tokens, k, rng)),
            fused: true,
          },
          { images, labels },
        )
      : teacherStep(
          {
            teacher,
            optimizer,
            lr: config.optim.lr,
            labelSmoothing: config.loss.labelSmoothing,
            fused: true,
          },
          { images, labels },
        );
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

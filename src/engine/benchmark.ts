/**
 * Measures one distillation step the way the trainer runs it (teacher forward, student
 * forward and backward, AdamW), for `npm run bench`: in the browser's worker on each
 * backend, and in Node on wasm. Pure TF.js, so both hosts run exactly this code; the host
 * supplies a clock and, in the browser, the WebGPU call counters.
 */

import { effectiveLayerPairs, patchCount, type RunConfig } from './config';
import { randomSampleIndices } from './losses';
import { countParameters } from './model-size';
import { createOptimizer, type StepKind } from './optim';
import { applyLayers, presetConfig } from './presets';
import { makeRng } from './random';
import { distillMetricNames, distillStep } from './step';
import * as tf from './tf';
import { Vit } from './vit';

/** Model sizes benchmarked: the tiny and default presets, and one halfway between. */
export const BENCH_SIZES = ['tiny', 'small', 'default'] as const;
export type BenchSize = (typeof BENCH_SIZES)[number];

export function benchConfig(size: BenchSize): RunConfig {
  if (size !== 'small') return presetConfig(size);
  // Default's 32x32 images and patch 4 (64 tokens), at half the width and two thirds of the depth.
  return applyLayers(presetConfig('default'), {
    teacher: { dModel: 64, nLayers: 4, nHeads: 2 },
    student: { dModel: 32, nLayers: 4, nHeads: 2 },
    optim: { batch: 32 },
  });
}

export interface CounterSnapshot {
  dispatches: number;
  readbacks: number;
  uploadBytes: number;
  uniformBytes: number;
}

export interface StepMeasureOptions {
  size: BenchSize;
  kind: StepKind;
  /** Steps timed one by one (each waits for its result) after 3 warm-up steps. */
  timedSteps: number;
  /** Steps run back to back, as the trainer does, to count GPU calls per step. */
  countSteps: number;
  /** Wall clock in ms (performance.now). */
  now: () => number;
  /** WebGPU call counters of this thread, where they exist. */
  counters?: () => CounterSnapshot;
  /** Run one step under tf.profile for kernel count and peak memory (skip where too slow). */
  profile?: boolean;
  /** Replaces the size's batch (dispatch counts do not depend on it; timings do). */
  batch?: number;
}

export interface StepMeasurement {
  size: BenchSize;
  kind: StepKind;
  backend: string;
  batch: number;
  teacherParams: number;
  studentParams: number;
  /** First step, including shader compilation on GPU backends. */
  firstStepMs: number;
  medianStepMs: number;
  imagesPerSec: number;
  stepsTimed: number;
  /** Per step over `countSteps` back-to-back steps; null where the backend is not WebGPU. */
  dispatchesPerStep: number | null;
  readbacksPerStep: number | null;
  uploadBytesPerStep: number | null;
  uniformBytesPerStep: number | null;
  /** TF.js kernel invocations in one step (tf.profile), every backend. */
  kernelsPerStep: number | null;
  /** The same by kernel name, most frequent first: where the dispatches go. */
  kernelCounts: Record<string, number> | null;
  /** Peak bytes held by tensors during one step (tf.profile). */
  peakBytes: number | null;
  /** Bytes the backend had allocated at the end (WebGPU's buffer pool; null elsewhere). */
  backendBytes: number | null;
  tensorsAfter2: number;
  tensorsAfterAll: number;
  /** Loss terms of the first three steps, to compare step kinds on the same backend. */
  losses: Record<string, number>[];
  /** Sum and sum of squares of the student's weights after the first three steps. */
  weightDigest: { sum: number; sumSq: number };
}

export async function measureStep(opts: StepMeasureOptions): Promise<StepMeasurement> {
  const base = benchConfig(opts.size);
  const small = opts.batch
    ? { batch: opts.batch, k: Math.min(base.loss.k, opts.batch * patchCount(base.student)) }
    : null;
  const config = small ? applyLayers(base, { optim: { batch: small.batch }, loss: { k: small.k } }) : base;
  const { batch } = config.optim;
  const teacher = Vit.create(config.teacher, config.seed, false);
  const student = Vit.create(config.student, config.seed + 1);
  const optimizer = createOptimizer(student.namedVariables(), config.optim, opts.kind);
  const pairs = effectiveLayerPairs(config.loss, config.student, config.teacher);
  const names = distillMetricNames(config.loss);
  const tokens = batch * patchCount(config.student);
  const sampleRng = makeRng(config.seed, 'random-sample');
  // A fixed batch, uploaded once: the trainer's batches come from a GPU-resident dataset.
  const imageSize = config.teacher.imageSize;
  const images = tf.randomNormal(
    [batch, imageSize, imageSize, config.teacher.channels],
    0,
    1,
    'float32',
    7,
  ) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Int32Array.from({ length: batch }, (_, i) => i % config.teacher.numClasses),
    'int32',
  );

  const step = (): tf.Tensor1D =>
    distillStep(
      {
        student,
        teacher,
        optimizer,
        loss: config.loss,
        pairs,
        lr: config.optim.lr,
        sampleIndices: pairs.map(() =>
          randomSampleIndices(tokens, Math.min(config.loss.k, tokens), sampleRng),
        ),
        fused: opts.kind === 'fast',
      },
      { images, labels },
    );
  const syncedStep = async (): Promise<{ ms: number; values: Float32Array }> => {
    const t0 = opts.now();
    const m = step();
    const values = (await m.data()) as Float32Array;
    const ms = opts.now() - t0;
    m.dispose();
    return { ms, values };
  };
  const named = (values: Float32Array) => Object.fromEntries(names.map((n, i) => [n, values[i]!]));

  try {
    // Steps 1-3 give the loss trace (and the first-step time); the timed steps follow.
    const first = await syncedStep();
    const losses = [named(first.values)];
    losses.push(named((await syncedStep()).values));
    const tensorsAfter2 = tf.memory().numTensors;
    losses.push(named((await syncedStep()).values));
    const digest = tf.tidy(() => {
      const flat = tf.concat(student.variables().map((v) => v.reshape([-1])));
      return tf.stack([flat.sum(), flat.square().sum()]);
    });
    const [sum, sumSq] = Array.from(await digest.data());
    digest.dispose();

    const times: number[] = [];
    for (let i = 0; i < opts.timedSteps; i++) times.push((await syncedStep()).ms);
    times.sort((a, b) => a - b);
    const medianStepMs = times.length ? times[Math.floor((times.length - 1) / 2)]! : first.ms;

    // Back to back, metrics kept on the device and read in one transfer, as the trainer does.
    const before = opts.counters?.();
    const pending: tf.Tensor[] = [];
    for (let i = 0; i < opts.countSteps; i++) pending.push(step());
    const all = tf.concat(pending);
    tf.dispose(pending);
    await all.data();
    all.dispose();
    const after = opts.counters?.();
    const per = (key: keyof CounterSnapshot) =>
      before && after && opts.countSteps > 0 ? (after[key] - before[key]) / opts.countSteps : null;

    let kernelsPerStep: number | null = null;
    let kernelCounts: Record<string, number> | null = null;
    let peakBytes: number | null = null;
    if (opts.profile) {
      const info = await tf.profile(async () => {
        const m = step();
        await m.data();
        m.dispose();
      });
      kernelsPerStep = info.kernels.length;
      const counts = new Map<string, number>();
      for (const k of info.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
      kernelCounts = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
      peakBytes = info.peakBytes;
    }
    const memory = tf.memory() as { numTensors: number; numBytesAllocatedInGPU?: number };
    return {
      size: opts.size,
      kind: opts.kind,
      backend: tf.getBackend(),
      batch,
      teacherParams: countParameters(config.teacher),
      studentParams: countParameters(config.student),
      firstStepMs: first.ms,
      medianStepMs,
      imagesPerSec: (batch * 1000) / medianStepMs,
      stepsTimed: times.length,
      dispatchesPerStep: per('dispatches'),
      readbacksPerStep: per('readbacks'),
      uploadBytesPerStep: per('uploadBytes'),
      uniformBytesPerStep: per('uniformBytes'),
      kernelsPerStep,
      kernelCounts,
      peakBytes,
      backendBytes: memory.numBytesAllocatedInGPU ?? null,
      tensorsAfter2,
      tensorsAfterAll: tf.memory().numTensors,
      losses,
      weightDigest: { sum: sum!, sumSq: sumSq! },
    };
  } finally {
    teacher.dispose();
    student.dispose();
    optimizer.dispose();
    tf.dispose([images, labels]);
  }
}

/**
 * Compiles the shader pipelines of a run's training steps in parallel, before its first step.
 *
 * On WebGPU, TF.js compiles each pipeline synchronously the first time a kernel runs, so the
 * first step costs many steady ones. Its backend also has a compile-only mode
 * (WEBGPU_ENGINE_COMPILE_ONLY): runWebGPUProgram then starts createComputePipelineAsync for
 * each new shader and dispatches nothing. Here one step of each kind the run will take is
 * traced in that mode on stand-in models of the run's shapes, and the compilations are awaited
 * while the caller goes on (loading data, decoding a checkpoint).
 *
 * Nothing is dispatched in compile-only mode, so every value the trace makes is garbage: it
 * runs on models and optimizers of its own (same shapes, so the same shader keys), never on
 * the run's; it reads nothing back and draws from an RNG of its own. Our own kernels honour the
 * mode too (kernels/webgpu-program.ts, adamw-webgpu.ts). Other backends compile nothing: no-op.
 */

import type { BaselineSpec } from '../baselines';
import { type ImageSet, imageBytes } from '../data/dataset';
import { type AugmentConfig, DeviceImageSet } from '../data/gpu-data';
import { makeRng, type Rng } from '../random';
import { buildRig, type Rig } from '../rig';
import type { Phase } from '../spec/checkpoint-format';
import type { RunConfig } from '../spec/config';
import type { StepKind } from '../spec/step-kind';
import type { Batch } from '../step';
import * as tf from '../tf';
import { disposeBatch, makeTrainBatch } from '../train-batch';
import type { Vit } from '../vit';
import { cyclicLabels } from './fixed-batch';

export const COMPILE_ONLY_FLAG = 'WEBGPU_ENGINE_COMPILE_ONLY';

export interface WarmUpPlan {
  /** The config the run trains with (fitted to the dataset). */
  config: RunConfig;
  /** The phase the run starts in. */
  phase: Phase;
  /**
   * A teacher phase also warms the student phase that follows it (the default). The run passes
   * false and warms each phase as it begins: a restart in the teacher phase then compiles half.
   */
  followingPhase?: boolean;
  /** Step kinds to trace (the run's one; the benchmark measures both). */
  stepKinds: readonly StepKind[];
  /** Baseline students of the student phase, each with a loss of its own. */
  baselines?: readonly BaselineSpec[];
  /**
   * The trainer's augmentation: batches are gathered from a device image set and augmented as
   * the trainer does. Null: batches are used as they are (the benchmark's fixed batch).
   */
  augment: AugmentConfig | null;
}

export interface WarmUpResult {
  /** Wall time from the trace's start to the last pipeline compiled. */
  ms: number;
  /** Pipelines compiled (new shader keys). */
  pipelines: number;
  /** Compilations that failed: left to the real step, which reports the error as before. */
  failed: number;
  /** Tensors the trace left behind (0 unless it leaks; the benchmark's e2e test checks). */
  leakedTensors: number;
}

/** The backend internals used (pinned with its exact version in package.json). */
interface CompilingBackend {
  pipelineCache: Record<string, GPUComputePipeline | Promise<GPUComputePipeline>>;
}

/**
 * Shader pipelines the WebGPU backend holds now; null off WebGPU. The benchmark counts those a
 * first step adds: none after a complete warm-up, a figure no load on the machine changes.
 */
export function compiledPipelineCount(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return Object.keys((tf.backend() as unknown as CompilingBackend).pipelineCache).length;
}

/**
 * Traces the plan's steps in compile-only mode, then waits for their pipelines. Resolves to
 * null off WebGPU. The trace itself is synchronous; the returned promise is the compilation.
 */
export async function warmUpPipelines(
  plan: WarmUpPlan,
  now: () => number = () => performance.now(),
): Promise<WarmUpResult | null> {
  if (tf.getBackend() !== 'webgpu') return null;
  const t0 = now();
  const cache = (tf.backend() as unknown as CompilingBackend).pipelineCache;
  const known = new Set(Object.keys(cache));
  const env = tf.env();
  const previous = env.getBool(COMPILE_ONLY_FLAG);
  const tensors = tf.memory().numTensors;
  env.set(COMPILE_ONLY_FLAG, true);
  try {
    traceWarmUpSteps(plan);
  } finally {
    env.set(COMPILE_ONLY_FLAG, previous);
  }
  const leakedTensors = tf.memory().numTensors - tensors;
  // Pending pipelines are taken out of the cache until they resolve: a kernel run meanwhile
  // (the relation maps, an evaluation) that met a promise there would throw. Such a kernel
  // compiles its pipeline synchronously, as without the warm-up, and keeps it.
  const pending = Object.keys(cache)
    .filter((key) => !known.has(key))
    .map((key) => {
      const pipeline = cache[key]!;
      delete cache[key];
      return { key, pipeline: Promise.resolve(pipeline) };
    });
  const settled = await Promise.allSettled(pending.map((p) => p.pipeline));
  let failed = 0;
  settled.forEach((s, i) => {
    const { key } = pending[i]!;
    if (s.status === 'rejected') failed += 1;
    else if (!(key in cache)) cache[key] = s.value;
  });
  return { ms: now() - t0, pipelines: pending.length - failed, failed, leakedTensors };
}

/**
 * One step of each kind and phase of the plan, on stand-ins; frees everything it made.
 * Exported for the tests, which run it on cpu, where it computes for real.
 */
export function traceWarmUpSteps(plan: WarmUpPlan): void {
  const { config } = plan;
  const rng = makeRng(config.seed, 'warm-up');
  const { lr } = config.optim;
  const rigs: Rig[] = [];
  const batches = batchMaker(plan, rng);
  const traced = (step: (batch: Batch) => tf.Tensor) => {
    const batch = batches.next();
    try {
      step(batch).dispose();
    } finally {
      disposeBatch(batch);
    }
  };
  try {
    for (const stepKind of plan.stepKinds) {
      // A fresh teacher per kind: the teacher phase's optimizer replaces its variables' buffers.
      let teacher: Vit | undefined;
      if (plan.phase === 'teacher') {
        const teacherRig = buildRig({ config, phase: 'teacher', stepKind });
        rigs.push(teacherRig);
        teacher = teacherRig.teacher;
        traced((batch) => teacherRig.teacherStep(batch, lr));
      }
      if (plan.phase === 'teacher' && plan.followingPhase === false) continue;
      // The student phase (the one that follows a teacher phase, too). Students share one
      // stand-in: they have the same shapes, only their losses differ.
      const rig = buildRig({ config, phase: 'student', stepKind, teacher });
      rigs.push(rig);
      const run = rig.students[0]!;
      const losses = [config.loss, ...(plan.baselines ?? []).map((b) => ({ ...config.loss, ...b.loss }))];
      for (const loss of losses) traced((batch) => rig.studentStep(run, batch, { lr, sampleRng: rng, loss }));
    }
  } finally {
    for (const r of rigs.reverse()) r.dispose();
    batches.dispose();
  }
}

/**
 * Batches of the run's shape: with augmentation, made as the trainer makes them from a device
 * image set of one batch of blank images; without, a plain batch like the benchmark's.
 */
function batchMaker(plan: WarmUpPlan, rng: Rng): { next(): Batch; dispose(): void } {
  const { teacher: shape, optim } = plan.config;
  const b = optim.batch;
  const augment = plan.augment;
  if (!augment) {
    return {
      next: () => ({
        images: tf.zeros([b, shape.imageSize, shape.imageSize, shape.channels]) as tf.Tensor4D,
        labels: cyclicLabels(b, shape.numClasses),
      }),
      dispose: () => {},
    };
  }
  const set: ImageSet = {
    images: new Uint8Array(b * imageBytes(shape.imageSize)),
    labels: new Uint8Array(b),
    count: b,
    imageSize: shape.imageSize,
  };
  const device = new DeviceImageSet(set, { mean: [0, 0, 0], std: [1, 1, 1] });
  // Sliced from an order on the device, as EpochSampler gives them.
  // Longer than TF.js hands to its CPU (a real order is the whole training set).
  const order = tf.tensor1d(
    Int32Array.from({ length: Math.max(2 * b, 1024) }, (_, i) => i % b),
    'int32',
  );
  return {
    next: () => {
      const indices = order.slice(0, b);
      try {
        return makeTrainBatch(device, indices, augment, rng, augment.mixup > 0 ? 0.5 : null);
      } finally {
        indices.dispose();
      }
    },
    dispose: () => {
      device.dispose();
      order.dispose();
    },
  };
}

/**
 * Measures one distillation step the way the trainer runs it (teacher forward, student
 * forward and backward, AdamW), for `npm run bench`: in the browser's worker on each
 * backend, and in Node on wasm. Pure TF.js, so both hosts run exactly this code; the host
 * supplies a clock and, in the browser, the WebGPU call counters.
 */

import { MIN_STEPS_PER_READ } from '../pending-metrics';
import { makeRng } from '../random';
import { buildRig } from '../rig';
import { patchCount, type RunConfig } from '../spec/config';
import { countParameters } from '../spec/model-size';
import { applyLayers, presetConfig } from '../spec/presets';
import type { StepProfile } from '../spec/profile-summary';
import { STEP_KINDS, type StepKind } from '../spec/step-kind';
import { type Batch, distillMetricNames } from '../step';
import * as tf from '../tf';
import type { Vit } from '../vit';
import { fixedBatch } from './fixed-batch';
import { compileOnlyKernelShapes, type KernelShape } from './kernel-shapes';
import { profileSteps } from './step-profile';
import { compiledPipelineCount, warmUpPipelines } from './warm-up';

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
  /** Queue submits (TF.js submits every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches and before each read). */
  submits: number;
  readbacks: number;
  uploadBytes: number;
  uniformBytes: number;
}

export interface StepMeasureOptions {
  size: BenchSize;
  /** Steps timed one by one (each waits for its result), after the three of the loss trace. */
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
  /** Step kinds to measure (both by default): a slow emulated size can count the fast step alone. */
  kinds?: readonly StepKind[];
  /** Steps of the loss trace, the first of them timed apart (default 3, at least 1). */
  traceSteps?: number;
  /**
   * Record the fast step's kernel shapes (diagnostics/kernel-shapes.ts) at this batch, after
   * everything else: one step traced in TF.js's compile-only mode, so a batch too slow to run on
   * an emulated GPU (the default preset's 64) still gives its programs, dispatch sizes and all.
   */
  kernelShapesBatch?: number;
  /**
   * Compile the steps' pipelines in parallel first, as a run does (warm-up.ts): default true.
   * firstStepMs is then the first step after it, and warmUpMs its own time.
   */
  warmUp?: boolean;
  /** Profile this many fast steps per kernel (diagnostics/step-profile.ts), after the counts. */
  stepProfileSteps?: number;
  /** The adapter is a CPU emulation (reported with the step profile). */
  emulated?: boolean;
}

export interface StepMeasurement {
  size: BenchSize;
  kind: StepKind;
  backend: string;
  batch: number;
  teacherParams: number;
  studentParams: number;
  /** First step, including shader compilation on GPU backends not done by the warm-up. */
  firstStepMs: number;
  /**
   * Pipelines the first step compiled itself (0 after a complete warm-up); null off WebGPU.
   * The reference step goes first, so the fast step finds the shaders the two share.
   */
  firstStepPipelines?: number | null;
  /**
   * The warm-up before the first step (both kinds' pipelines compiled in parallel, one figure
   * shared by the kinds); null where none ran (off WebGPU, or turned off).
   */
  warmUpMs?: number | null;
  /** Pipelines the warm-up compiled, and the tensors its trace left behind (should be 0). */
  warmUpPipelines?: number | null;
  warmUpLeakedTensors?: number | null;
  /**
   * Median of the timed steps, each waiting for its result. With none timed (stepsTimed 0),
   * the back-to-back figure below.
   */
  medianStepMs: number;
  /** Wall time of the back-to-back steps (enqueue to the one read at the end) per step. */
  backToBackMsPerStep?: number | null;
  imagesPerSec: number;
  stepsTimed: number;
  /** Per step over `countSteps` back-to-back steps; null where the backend is not WebGPU. */
  dispatchesPerStep: number | null;
  /** Queue submits per step, counted as the dispatches. */
  submitsPerStep: number | null;
  /**
   * Every kernel of one fast step at `kernelShapesBatch` (WebGPU only): threads, loop iterations
   * of the busiest thread, FLOPs and bytes per dispatch; null where not recorded.
   */
  kernelShapes?: KernelShape[] | null;
  kernelShapesBatch?: number | null;
  /** Tensor bytes alive at once at the peak of that traced step (the preset's batch on WebGPU). */
  kernelShapesPeakBytes?: number | null;
  /** The fast step's time per kernel, where asked for (stepProfileSteps). */
  stepProfile?: StepProfile | null;
  /** The steps' own readbacks, plus the metrics read over max(countSteps, MIN_STEPS_PER_READ). */
  readbacksPerStep: number | null;
  uploadBytesPerStep: number | null;
  uniformBytesPerStep: number | null;
  /**
   * JavaScript time for step() to return, without waiting for the device (median over the
   * back-to-back steps): on a real GPU no step can be faster. Null where none ran back to back.
   */
  enqueueMsPerStep: number | null;
  /** wasm: threads of its pool (set by the host that knows it). */
  wasmThreads?: number | null;
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

/** One step kind, set up on a shared teacher and batch. */
interface StepRig {
  kind: StepKind;
  /** One step on the shared batch, or on another one. */
  step: (batch?: Batch) => tf.Tensor1D;
  student: Vit;
  dispose: () => void;
}

/**
 * Measures the reference and the fast step of one size on the active backend. Both start
 * from the same weights, batch and sample indices; their timed steps alternate, so a
 * change in machine load touches both alike and the ratio stays fair.
 * Returns one measurement per kind, in the order of `opts.kinds` ([reference, fast] by default).
 */
export async function measureStepPair(opts: StepMeasureOptions): Promise<StepMeasurement[]> {
  const base = benchConfig(opts.size);
  const small = opts.batch
    ? { batch: opts.batch, k: Math.min(base.loss.k, opts.batch * patchCount(base.student)) }
    : null;
  const config = small ? applyLayers(base, { optim: { batch: small.batch }, loss: { k: small.k } }) : base;
  const { batch } = config.optim;
  const names = distillMetricNames(config.loss);
  const fixed = fixedBatch(config.teacher, batch);

  // One rig per kind, on one teacher (the first rig's) and the same seed.
  let teacher: Vit | undefined;
  const rig = (kind: StepKind): StepRig => {
    const built = buildRig({ config, phase: 'student', stepKind: kind, teacher });
    teacher ??= built.teacher;
    const run = built.students[0]!;
    const sampleRng = makeRng(config.seed, 'random-sample');
    // Another batch (the kernel report's) takes the preset's K, as the preset's step does.
    const otherLoss = { ...config.loss, k: base.loss.k };
    return {
      kind,
      student: run.model,
      step: (other?: Batch) =>
        built.studentStep(run, other ?? fixed, {
          lr: config.optim.lr,
          sampleRng,
          loss: other ? otherLoss : run.loss,
        }),
      dispose: () => built.dispose(),
    };
  };
  const synced = async (r: StepRig): Promise<{ ms: number; values: Float32Array }> => {
    const t0 = opts.now();
    const m = r.step();
    const values = (await m.data()) as Float32Array;
    const ms = opts.now() - t0;
    m.dispose();
    return { ms, values };
  };
  const named = (values: Float32Array) => Object.fromEntries(names.map((n, i) => [n, values[i]!]));

  const kinds = opts.kinds ?? STEP_KINDS;
  if (kinds.length === 0) throw new Error('measureStepPair: no step kind to measure');
  const traceSteps = Math.max(1, opts.traceSteps ?? 3);
  const rigs = kinds.map(rig);
  try {
    const warm =
      (opts.warmUp ?? true)
        ? await warmUpPipelines({ config, phase: 'student', stepKinds: kinds, augment: null }, opts.now)
        : null;
    // The trace's steps give the loss trace and the first-step time (the reference goes
    // first, so the fast step finds the shaders the two share already compiled).
    const firstMs: number[] = [];
    const firstPipelines: (number | null)[] = [];
    const losses: Record<string, number>[][] = rigs.map(() => []);
    let tensorsAfter2 = 0;
    for (let s = 0; s < traceSteps; s++) {
      for (const [i, r] of rigs.entries()) {
        const compiled = compiledPipelineCount();
        const { ms, values } = await synced(r);
        if (s === 0) {
          firstMs.push(ms);
          const after = compiledPipelineCount();
          firstPipelines.push(compiled === null || after === null ? null : after - compiled);
        }
        losses[i]!.push(named(values));
      }
      if (s === Math.min(1, traceSteps - 1)) tensorsAfter2 = tf.memory().numTensors;
    }
    const digests: { sum: number; sumSq: number }[] = [];
    for (const r of rigs) {
      const digest = tf.tidy(() => {
        const flat = tf.concat(r.student.variables().map((v) => v.reshape([-1])));
        return tf.stack([flat.sum(), flat.square().sum()]);
      });
      const [sum, sumSq] = Array.from(await digest.data());
      digest.dispose();
      digests.push({ sum: sum!, sumSq: sumSq! });
    }

    const times: number[][] = rigs.map(() => []);
    for (let k = 0; k < opts.timedSteps; k++) {
      for (const [i, r] of rigs.entries()) times[i]!.push((await synced(r)).ms);
    }

    // Back to back, metrics kept on the device and read in one transfer, as the trainer does.
    const counts: (Record<keyof CounterSnapshot, number> | null)[] = [];
    const enqueueMs: (number | null)[] = [];
    const backToBackMs: (number | null)[] = [];
    for (const r of opts.countSteps > 0 ? rigs : []) {
      const before = opts.counters?.();
      const pending: tf.Tensor[] = [];
      const enqueue: number[] = [];
      const start = opts.now();
      for (let k = 0; k < opts.countSteps; k++) {
        const t0 = opts.now();
        pending.push(r.step());
        enqueue.push(opts.now() - t0);
      }
      enqueue.sort((a, b) => a - b);
      enqueueMs.push(enqueue[Math.floor((enqueue.length - 1) / 2)] ?? null);
      const enqueued = opts.counters?.();
      const all = tf.concat(pending);
      tf.dispose(pending);
      await all.data();
      all.dispose();
      backToBackMs.push((opts.now() - start) / opts.countSteps);
      const after = opts.counters?.();
      // The steps' own readbacks (none, if no step syncs), plus the one metrics read spread
      // over the steps it covers: these, or as many as the trainer reads at once at the least.
      const readSpan = Math.max(opts.countSteps, MIN_STEPS_PER_READ);
      counts.push(
        before && enqueued && after && opts.countSteps > 0
          ? {
              dispatches: (after.dispatches - before.dispatches) / opts.countSteps,
              submits: (after.submits - before.submits) / opts.countSteps,
              readbacks:
                (enqueued.readbacks - before.readbacks) / opts.countSteps +
                (after.readbacks - enqueued.readbacks) / readSpan,
              uploadBytes: (after.uploadBytes - before.uploadBytes) / opts.countSteps,
              uniformBytes: (after.uniformBytes - before.uniformBytes) / opts.countSteps,
            }
          : null,
      );
    }

    const profiles: { kernels: number; counts: Record<string, number>; peakBytes: number }[] = [];
    if (opts.profile) {
      for (const r of rigs) {
        const info = await tf.profile(async () => {
          const m = r.step();
          await m.data();
          m.dispose();
        });
        const byName = new Map<string, number>();
        for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
        profiles.push({
          kernels: info.kernels.length,
          counts: Object.fromEntries([...byName].sort((a, b) => b[1] - a[1])),
          peakBytes: info.peakBytes,
        });
      }
    }
    const fast = rigs.find((r) => r.kind === 'fast');
    const stepProfile =
      opts.stepProfileSteps && fast
        ? await profileSteps(
            () => {
              fast.step().dispose();
            },
            opts.stepProfileSteps,
            { emulated: opts.emulated ?? false, now: opts.now },
          )
        : null;
    const memory = tf.memory() as { numTensors: number; numBytesAllocatedInGPU?: number };
    // Last: the compile-only step leaves the fast rig's weights as garbage.
    const shapes =
      opts.kernelShapesBatch && fast && tf.getBackend() === 'webgpu'
        ? compileOnlyKernelShapes(fast, opts.kernelShapesBatch, config.teacher)
        : null;
    return rigs.map((r, i) => {
      const sorted = [...times[i]!].sort((a, b) => a - b);
      const backToBack = backToBackMs[i] ?? null;
      const medianStepMs = sorted.length
        ? sorted[Math.floor((sorted.length - 1) / 2)]!
        : (backToBack ?? firstMs[i]!);
      return {
        size: opts.size,
        kind: r.kind,
        backend: tf.getBackend(),
        batch,
        teacherParams: countParameters(config.teacher),
        studentParams: countParameters(config.student),
        firstStepMs: firstMs[i]!,
        firstStepPipelines: firstPipelines[i] ?? null,
        warmUpMs: warm?.ms ?? null,
        warmUpPipelines: warm?.pipelines ?? null,
        warmUpLeakedTensors: warm?.leakedTensors ?? null,
        medianStepMs,
        backToBackMsPerStep: backToBack,
        imagesPerSec: (batch * 1000) / medianStepMs,
        stepsTimed: sorted.length,
        dispatchesPerStep: counts[i]?.dispatches ?? null,
        submitsPerStep: counts[i]?.submits ?? null,
        ...(r.kind === 'fast' && shapes
          ? {
              kernelShapes: shapes.shapes,
              kernelShapesBatch: opts.kernelShapesBatch,
              kernelShapesPeakBytes: shapes.peakBytes,
            }
          : {}),
        ...(r.kind === 'fast' && stepProfile ? { stepProfile } : {}),
        readbacksPerStep: counts[i]?.readbacks ?? null,
        uploadBytesPerStep: counts[i]?.uploadBytes ?? null,
        uniformBytesPerStep: counts[i]?.uniformBytes ?? null,
        enqueueMsPerStep: enqueueMs[i] ?? null,
        kernelsPerStep: profiles[i]?.kernels ?? null,
        kernelCounts: profiles[i]?.counts ?? null,
        peakBytes: profiles[i]?.peakBytes ?? null,
        backendBytes: memory.numBytesAllocatedInGPU ?? null,
        tensorsAfter2,
        tensorsAfterAll: memory.numTensors,
        losses: losses[i]!,
        weightDigest: digests[i]!,
      };
    });
  } finally {
    // The rigs that share the first one's teacher go first.
    for (const r of [...rigs].reverse()) r.dispose();
    tf.dispose([fixed.images, fixed.labels]);
  }
}

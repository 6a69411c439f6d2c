/**
 * Checks a backend against the cpu backend before trusting it: a tiny ViT's forward pass and
 * one distillation step must agree, in the loss terms, in the gradients the step computed, and
 * in the student's weights after its AdamW update. Models are seeded on the CPU (random.ts), so
 * both backends start from identical weights and data.
 */
import { type BackendName, type BackendSetup, describeActiveBackend, tryBackend } from '../backend';
import type { ParamOptimizer } from '../optim';
import type { AdamWState } from '../optim-math';
import { makeRng } from '../random';
import { buildRig } from '../rig';
import type { SelfTestResult } from '../spec/backend-report';
import { DEFAULT_LOSS, DEFAULT_OPTIM, type LayerPair, type LossConfig, type VitConfig } from '../spec/config';
import { distillMetricNames, type MetricName } from '../step';
import * as tf from '../tf';
import { cyclicLabels } from './fixed-batch';

/** The tiny pair of browser-runtime.md: cheap enough to compile and run on an emulated GPU. */
export const SELFTEST_TEACHER: VitConfig = {
  imageSize: 16,
  patchSize: 4,
  channels: 3,
  dModel: 32,
  nLayers: 2,
  nHeads: 2,
  mlpRatio: 2,
  numClasses: 10,
  distillToken: false,
};
export const SELFTEST_STUDENT: VitConfig = { ...SELFTEST_TEACHER, dModel: 16, distillToken: true };
const SELFTEST_BATCH = 8;
const SELFTEST_PAIRS: LayerPair[] = [
  [0, 0],
  [1, 1],
];
/** Every term on, so a broken kernel anywhere in the objective shows (tests share it too). */
export const ALL_TERMS_LOSS: LossConfig = { ...DEFAULT_LOSS, wCe: 0.5, wKd: 1, wMd: 1, k: 16, tau: 2 };
/** Relative tolerance: float32 kernels differ in summation order between backends. */
export const SELFTEST_TOLERANCE = 1e-3;
/**
 * Gradients are compared relative to the largest one: a backward pass sums over more terms
 * than the forward one, so its float32 rounding differs more between backends.
 */
export const GRADIENT_TOLERANCE = 1e-2;
/**
 * Weights after the update, in units of the learning rate. Adam's first step moves each weight
 * by about lr * g / (|g| + eps), so a weight whose gradient is near zero may move by a fraction
 * of lr on one backend and not the other; a wrong, missing or doubled update moves it by lr or more.
 */
export const UPDATE_TOLERANCE = 0.25;
const SELFTEST_LR = 1e-3;

export interface StepRun {
  logits: Float32Array;
  metrics: Record<string, number>;
  /** The student's gradients as the step computed them (before clipping), flattened in parameter order. */
  gradients: Float32Array;
  /** The student's weights after the step's AdamW update, flattened in parameter order. */
  weights: Float32Array;
}

/** Passes each update through and keeps a flat copy of the gradients it was given. */
class GradientRecorder implements ParamOptimizer {
  gradients: tf.Tensor1D | null = null;
  private readonly inner: ParamOptimizer;

  constructor(inner: ParamOptimizer) {
    this.inner = inner;
  }

  get params() {
    return this.inner.params;
  }
  get step() {
    return this.inner.step;
  }
  set step(value: number) {
    this.inner.step = value;
  }

  apply(grads: (tf.Tensor | undefined)[], lr: number): void {
    this.gradients?.dispose();
    this.gradients = tf.keep(
      tf.tidy(() =>
        tf.concat(grads.map((g, i) => (g ? g.reshape([-1]) : tf.zeros([this.params[i]!.variable.size])))),
      ) as tf.Tensor1D,
    );
    this.inner.apply(grads, lr);
  }
  getState(): AdamWState {
    return this.inner.getState();
  }
  setState(state: AdamWState): void {
    this.inner.setState(state);
  }
  dispose(): void {
    this.gradients?.dispose();
    this.inner.dispose();
  }
}

/**
 * One forward and one distillation step of the tiny pair on the current backend, as the
 * trainer runs it (the fast step: fused kernels where the backend has them, which cpu,
 * the reference it is compared with, does not).
 */
export async function runTinyPair(seed = 7): Promise<StepRun> {
  const rng = makeRng(seed, 'selftest-data');
  const recorders: GradientRecorder[] = [];
  const rig = buildRig({
    config: {
      teacher: SELFTEST_TEACHER,
      student: SELFTEST_STUDENT,
      loss: { ...ALL_TERMS_LOSS, layerPairs: SELFTEST_PAIRS },
      optim: DEFAULT_OPTIM,
      seed,
    },
    phase: 'student',
    stepKind: 'fast',
    wrapOptimizer: (inner) => {
      const recorder = new GradientRecorder(inner);
      recorders.push(recorder);
      return recorder;
    },
  });
  const run = rig.students[0]!;
  const student = run.model;
  const size = SELFTEST_TEACHER.imageSize;
  const images = tf.tensor4d(
    Float32Array.from({ length: SELFTEST_BATCH * size * size * 3 }, () => 2 * rng() - 1),
    [SELFTEST_BATCH, size, size, 3],
  );
  const labels = cyclicLabels(SELFTEST_BATCH, SELFTEST_TEACHER.numClasses);
  try {
    const logitsT = tf.tidy(() => student.predictLogits(student.apply(images, { stepKind: 'fast' })));
    const metricsT = rig.studentStep(run, { images, labels }, { lr: SELFTEST_LR, sampleRng: rng });
    const weightsT = tf.tidy(() => tf.concat(student.namedVariables().map((v) => v.variable.reshape([-1]))));
    const gradientsT = recorders[0]?.gradients;
    if (!gradientsT) throw new Error('The self-test step made no update.');
    const [logits, values, gradients, weights] = await Promise.all([
      logitsT.data(),
      metricsT.data(),
      gradientsT.data(),
      weightsT.data(),
    ]); // GPU→CPU sync point
    tf.dispose([logitsT, metricsT, weightsT]);
    const names: MetricName[] = distillMetricNames(ALL_TERMS_LOSS);
    return {
      logits: logits as Float32Array,
      metrics: Object.fromEntries(names.map((n, i) => [n, values[i]!])),
      gradients: gradients as Float32Array,
      weights: weights as Float32Array,
    };
  } finally {
    tf.dispose([images, labels]);
    rig.dispose();
  }
}

export type { SelfTestResult } from '../spec/backend-report';

/**
 * Runs the tiny pair on cpu and on `backend`, compares, and leaves `backend` active.
 */
export async function selfTest(backend: BackendName, setup: BackendSetup = {}): Promise<SelfTestResult> {
  const cpuProblem = await tryBackend('cpu', setup);
  if (cpuProblem) throw new Error(`Self-test needs the cpu backend as reference: ${cpuProblem}`);
  const reference = await runTinyPair();
  const problem = await tryBackend(backend, setup);
  if (problem) throw new Error(problem);
  const adapter = describeActiveBackend().adapter;
  return { backend, adapter, ...compareStepRuns(reference, await runTinyPair()) };
}

/** How far `run` is from the cpu's `reference`, and whether that is within the tolerances. */
export function compareStepRuns(reference: StepRun, run: StepRun): Omit<SelfTestResult, 'backend'> {
  let forwardMaxAbsDiff = 0;
  let logitScale = 0;
  reference.logits.forEach((v, i) => {
    forwardMaxAbsDiff = Math.max(forwardMaxAbsDiff, Math.abs(v - run.logits[i]!));
    logitScale = Math.max(logitScale, Math.abs(v));
  });
  let stepMaxRelDiff = 0;
  let worst = '';
  for (const [name, ref] of Object.entries(reference.metrics)) {
    if (name === 'accuracy') continue;
    const rel = Math.abs((run.metrics[name] ?? Number.NaN) - ref) / Math.max(Math.abs(ref), 1e-6);
    if (!(rel <= stepMaxRelDiff)) {
      stepMaxRelDiff = rel;
      worst = name;
    }
  }
  let gradientScale = 0;
  let gradientMaxAbsDiff = run.gradients.length === reference.gradients.length ? 0 : Number.NaN;
  reference.gradients.forEach((g, i) => {
    gradientScale = Math.max(gradientScale, Math.abs(g));
    const d = Math.abs(g - run.gradients[i]!);
    if (!(d <= gradientMaxAbsDiff)) gradientMaxAbsDiff = d;
  });
  const gradientMaxRelDiff = gradientMaxAbsDiff / Math.max(gradientScale, 1e-12);
  let updateMaxDiff = run.weights.length === reference.weights.length ? 0 : Number.NaN;
  reference.weights.forEach((w, i) => {
    const d = Math.abs(w - run.weights[i]!);
    if (!(d <= updateMaxDiff)) updateMaxDiff = d;
  });
  const updateMaxDiffInLr = updateMaxDiff / SELFTEST_LR;

  const forwardOk = forwardMaxAbsDiff <= SELFTEST_TOLERANCE * Math.max(logitScale, 1e-3);
  const stepOk = stepMaxRelDiff <= SELFTEST_TOLERANCE;
  const gradientOk = gradientMaxRelDiff <= GRADIENT_TOLERANCE;
  const updateOk = updateMaxDiffInLr <= UPDATE_TOLERANCE;
  const problems: string[] = [];
  if (!forwardOk)
    problems.push(`forward logits differ from cpu by up to ${forwardMaxAbsDiff.toExponential(2)}`);
  if (!stepOk)
    problems.push(`step loss "${worst}" differs from cpu by ${(stepMaxRelDiff * 100).toPrecision(3)}%`);
  if (!gradientOk)
    problems.push(
      `gradients differ from cpu by up to ${(gradientMaxRelDiff * 100).toPrecision(3)}% of the largest`,
    );
  if (!updateOk)
    problems.push(
      `weights after the AdamW update differ from cpu by up to ${updateMaxDiffInLr.toPrecision(3)} learning rates`,
    );
  return {
    forwardMaxAbsDiff,
    stepMaxRelDiff,
    gradientMaxRelDiff,
    updateMaxDiffInLr,
    total: run.metrics.total ?? Number.NaN,
    cpuTotal: reference.metrics.total ?? Number.NaN,
    passed: forwardOk && stepOk && gradientOk && updateOk,
    problem: problems.length ? problems.join('; ') : null,
  };
}

/**
 * Checks a backend against the cpu backend before trusting it: a tiny ViT's forward pass
 * and one distillation step must agree. Models are seeded on the CPU (random.ts), so both
 * backends start from identical weights and data.
 */
import { type BackendName, type BackendSetup, tryBackend } from './backend';
import { DEFAULT_LOSS, DEFAULT_OPTIM, type LayerPair, type LossConfig, type VitConfig } from './config';
import { randomSampleIndices } from './losses';
import { createOptimizer } from './optim';
import { makeRng } from './random';
import { distillMetricNames, distillStep, type MetricName } from './step';
import * as tf from './tf';
import { Vit } from './vit';

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
/** Every term on, so a broken kernel anywhere in the objective shows. */
const SELFTEST_LOSS: LossConfig = { ...DEFAULT_LOSS, wCe: 0.5, wKd: 1, wMd: 1, k: 16, tau: 2 };
/** Relative tolerance: float32 kernels differ in summation order between backends. */
export const SELFTEST_TOLERANCE = 1e-3;

export interface StepRun {
  logits: Float32Array;
  metrics: Record<string, number>;
}

/**
 * One forward and one distillation step of the tiny pair on the current backend, as the
 * trainer runs it (the fast step: fused kernels where the backend has them, which cpu,
 * the reference it is compared with, does not).
 */
export async function runTinyPair(seed = 7): Promise<StepRun> {
  const rng = makeRng(seed, 'selftest-data');
  const teacher = Vit.create(SELFTEST_TEACHER, seed);
  const student = Vit.create(SELFTEST_STUDENT, seed + 1);
  const optimizer = createOptimizer(student.namedVariables(), DEFAULT_OPTIM, 'fast');
  const size = SELFTEST_TEACHER.imageSize;
  const images = tf.tensor4d(
    Float32Array.from({ length: SELFTEST_BATCH * size * size * 3 }, () => 2 * rng() - 1),
    [SELFTEST_BATCH, size, size, 3],
  );
  const labels = tf.tensor1d(
    Int32Array.from({ length: SELFTEST_BATCH }, (_, i) => i % SELFTEST_TEACHER.numClasses),
    'int32',
  );
  try {
    const logitsT = tf.tidy(() => student.predictLogits(student.apply(images, true)));
    const tokens = SELFTEST_BATCH * (size / SELFTEST_TEACHER.patchSize) ** 2;
    const sampleIndices = SELFTEST_PAIRS.map(() => randomSampleIndices(tokens, SELFTEST_LOSS.k, rng));
    const metricsT = distillStep(
      {
        student,
        teacher,
        optimizer,
        loss: SELFTEST_LOSS,
        pairs: SELFTEST_PAIRS,
        lr: 1e-3,
        sampleIndices,
        fused: true,
      },
      { images, labels },
    );
    const [logits, values] = await Promise.all([logitsT.data(), metricsT.data()]); // GPU→CPU sync point
    tf.dispose([logitsT, metricsT]);
    const names: MetricName[] = distillMetricNames(SELFTEST_LOSS);
    return {
      logits: logits as Float32Array,
      metrics: Object.fromEntries(names.map((n, i) => [n, values[i]!])),
    };
  } finally {
    tf.dispose([images, labels]);
    teacher.dispose();
    student.dispose();
    optimizer.dispose();
  }
}

export interface SelfTestResult {
  backend: BackendName;
  /** Largest |logit(backend) - logit(cpu)| of the forward pass. */
  forwardMaxAbsDiff: number;
  /** Largest relative difference of any step metric (loss terms, total) from the cpu's. */
  stepMaxRelDiff: number;
  /** Loss total of the step on this backend and on cpu. */
  total: number;
  cpuTotal: number;
  passed: boolean;
  /** What disagreed, in words, when it did not pass. */
  problem: string | null;
}

/**
 * Runs the tiny pair on cpu and on `backend`, compares, and leaves `backend` active.
 */
export async function selfTest(backend: BackendName, setup: BackendSetup = {}): Promise<SelfTestResult> {
  const cpuProblem = await tryBackend('cpu', setup);
  if (cpuProblem) throw new Error(`Self-test needs the cpu backend as reference: ${cpuProblem}`);
  const reference = await runTinyPair();
  const problem = await tryBackend(backend, setup);
  if (problem) throw new Error(problem);
  const run = await runTinyPair();

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
  const forwardOk = forwardMaxAbsDiff <= SELFTEST_TOLERANCE * Math.max(logitScale, 1e-3);
  const stepOk = stepMaxRelDiff <= SELFTEST_TOLERANCE;
  const problems: string[] = [];
  if (!forwardOk)
    problems.push(`forward logits differ from cpu by up to ${forwardMaxAbsDiff.toExponential(2)}`);
  if (!stepOk)
    problems.push(`step loss "${worst}" differs from cpu by ${(stepMaxRelDiff * 100).toPrecision(3)}%`);
  return {
    backend,
    forwardMaxAbsDiff,
    stepMaxRelDiff,
    total: run.metrics.total ?? Number.NaN,
    cpuTotal: reference.metrics.total ?? Number.NaN,
    passed: forwardOk && stepOk,
    problem: problems.length ? problems.join('; ') : null,
  };
}

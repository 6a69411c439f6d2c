/**
 * One training run: the teacher phase (CE on labels) or the student phase (the
 * distillation objective against a frozen teacher, optionally with baseline students
 * trained on the very same batches). The same class runs in the worker and in Node.
 *
 * Cadence: trainStep() only enqueues device work and keeps each step's metrics vector on
 * the device; readMetrics() fetches all pending vectors in one transfer. Nothing in a step
 * waits for the device.
 */

import type { BaselineSpec } from './baselines';
import { type DecodedCheckpoint, type EncodedCheckpoint, encodeCheckpoint } from './checkpoint';
import type { Dataset } from './data/dataset';
import {
  type AugmentConfig,
  channelStats,
  DeviceImageSet,
  EpochSampler,
  type Normalization,
  STANDARD_AUGMENT,
} from './data/gpu-data';
import { evaluateAccuracy } from './evaluate';
import { learningRateAt, type ParamOptimizer } from './optim';
import { type MetricRow, PendingMetrics, type PendingPart } from './pending-metrics';
import { betaSample, makeRng, restoreRng, type StatefulRng } from './random';
import { buildRig, type Rig, type StudentRun } from './rig';
import type { Phase, TrainerPosition } from './spec/checkpoint-format';
import type { LayerPair, LossConfig, RunConfig } from './spec/config';
import { assertValidConfig } from './spec/config-schema';
import type { EvalResult } from './spec/run-records';
import type { StepKind } from './spec/step-kind';
import { distillMetricNames, TEACHER_METRIC_NAMES } from './step';
import { disposeBatch, makeTrainBatch } from './train-batch';
import type { Vit } from './vit';

export type { StudentRun } from './rig';

export interface TrainerOptions {
  config: RunConfig;
  phase: Phase;
  dataset: Dataset;
  /** The trained teacher, required in the student phase; the trainer never updates it. */
  teacher?: Vit;
  baselines?: BaselineSpec[];
  /** Defaults to the resumed checkpoint's, else STANDARD_AUGMENT. */
  augment?: AugmentConfig;
  /** Continue from a checkpoint of the same phase (models, optimizers, position). */
  resume?: DecodedCheckpoint;
  /**
   * Input normalisation, when it must not come from this dataset: a given teacher's own (the
   * full training set's channel stats), so it sees the inputs it was trained on.
   */
  normalization?: Normalization;
  /** 'fast' (default) or 'reference': the same values, the latter with plain per-variable ops. */
  stepKind?: StepKind;
}

export type { EvalResult } from './spec/run-records';

/** Test images per evaluation batch: large batches mean fewer dispatches (small models are dispatch-bound). */
const EVAL_BATCH = 250;

export class Trainer {
  /** The config this run trains with; setLoss('student', …) changes its loss (the one copy in the worker). */
  get config(): RunConfig {
    return this.runConfig;
  }
  private runConfig: RunConfig;
  readonly phase: Phase;
  readonly datasetInfo: { name: string; classNames: string[] };
  readonly normalization: Normalization;
  /** The models, their optimizers and the layer pairs. */
  private readonly rig: Rig;
  step = 0;
  private readonly train: DeviceImageSet;
  private readonly test: DeviceImageSet;
  private readonly sampler: EpochSampler;
  private readonly augment: AugmentConfig;
  private readonly orderRng: StatefulRng;
  private readonly augmentRng: StatefulRng;
  private readonly sampleRng: StatefulRng;
  private readonly pending = new PendingMetrics();

  constructor(opts: TrainerOptions) {
    const config = assertValidConfig(opts.config);
    const { dataset, phase, resume } = opts;
    const classes = dataset.classNames.length;
    for (const [role, m] of [
      ['teacher', config.teacher],
      ['student', config.student],
    ] as const) {
      if (m.numClasses !== classes) {
        throw new Error(
          `The ${role} has ${m.numClasses} outputs but ${dataset.name} has ${classes} classes.`,
        );
      }
      if (m.imageSize !== dataset.train.imageSize) {
        throw new Error(
          `The ${role} expects ${m.imageSize}px images; ${dataset.name} has ${dataset.train.imageSize}px.`,
        );
      }
    }
    if (resume && resume.manifest.phase !== phase) {
      throw new Error(`Cannot continue a ${resume.manifest.phase}-phase checkpoint in the ${phase} phase.`);
    }
    this.runConfig = config;
    this.phase = phase;
    this.datasetInfo = { name: dataset.name, classNames: dataset.classNames };
    this.normalization = resume?.manifest.normalization ?? opts.normalization ?? channelStats(dataset.train);
    this.augment = opts.augment ?? resume?.manifest.augment ?? STANDARD_AUGMENT;

    const position = resume?.manifest.position ?? null;
    this.orderRng = position ? restoreRng(position.rng.order) : makeRng(config.seed, 'data-order');
    this.augmentRng = position ? restoreRng(position.rng.augment) : makeRng(config.seed, 'augment');
    this.sampleRng = position ? restoreRng(position.rng.sample) : makeRng(config.seed, 'random-sample');
    this.step = position?.step ?? 0;

    this.train = new DeviceImageSet(dataset.train, this.normalization);
    this.test = new DeviceImageSet(dataset.test, this.normalization);
    this.sampler = new EpochSampler(
      dataset.train.count,
      config.optim.batch,
      this.orderRng,
      position && resume?.epochOrder
        ? { epoch: position.epoch, cursor: position.cursor, order: resume.epochOrder }
        : undefined,
    );

    if (phase === 'student' && !opts.teacher)
      throw new Error('The student phase needs a trained teacher: train one first or load a checkpoint.');
    this.rig = buildRig({
      config,
      phase,
      stepKind: opts.stepKind ?? 'fast',
      teacher: opts.teacher,
      students: [{ name: 'student', loss: {} }, ...(opts.baselines ?? [])],
      saved: resume?.models,
    });
  }

  get stepKind(): StepKind {
    return this.rig.stepKind;
  }
  get teacher(): Vit {
    return this.rig.teacher;
  }
  /** Present in the teacher phase only. */
  get teacherOptimizer(): ParamOptimizer | null {
    return this.rig.teacherOptimizer;
  }
  /** Empty in the teacher phase. */
  get students(): StudentRun[] {
    return this.rig.students;
  }
  get pairs(): LayerPair[] {
    return this.rig.pairs;
  }

  get epoch(): number {
    return this.sampler.epoch;
  }

  get stepsPerEpoch(): number {
    return this.sampler.stepsPerEpoch;
  }

  /** Steps this phase runs: teacherSteps for the teacher, steps for the students. */
  get totalSteps(): number {
    return this.phase === 'teacher' ? this.config.optim.teacherSteps : this.config.optim.steps;
  }

  /** Replaces the schedule's rate while set (a manual override; tests use it to force divergence). */
  learningRateOverride: number | null = null;

  /** Learning rate the next step will use (warmup, then cosine over this phase's steps). */
  get learningRate(): number {
    return (
      this.learningRateOverride ?? learningRateAt(this.step, { ...this.config.optim, steps: this.totalSteps })
    );
  }

  /**
   * Changes a student's loss weights from the next step on; optimizer state is kept. The main
   * student's weights are the config's, so in the teacher phase they wait there for the student.
   */
  setLoss(name: string, loss: Partial<LossConfig>): void {
    const run = this.students.find((s) => s.name === name);
    if (!run && !(name === 'student' && this.phase === 'teacher'))
      throw new Error(`No student named "${name}" in this run.`);
    if (name === 'student') this.runConfig = { ...this.runConfig, loss: { ...this.runConfig.loss, ...loss } };
    if (run) run.loss = { ...run.loss, ...loss };
  }

  /** Runs one step of every trained model on the same batch; nothing is read back. */
  trainStep(): void {
    const lr = this.learningRate;
    const epoch = this.sampler.epoch;
    const indices = this.sampler.next();
    // Mixup pairs each image with the batch's reverse: no extra gather, no upload but lam.
    const lam = this.augment.mixup > 0 ? betaSample(this.augment.mixup, this.augmentRng) : null;
    const batch = makeTrainBatch(this.train, indices, this.augment, this.augmentRng, lam);
    indices.dispose();
    const parts: PendingPart[] = [];
    try {
      if (this.phase === 'teacher') {
        const values = this.rig.teacherStep(batch, lr);
        parts.push({ name: 'teacher', names: TEACHER_METRIC_NAMES, values });
      } else {
        for (const run of this.students) {
          const values = this.rig.studentStep(run, batch, { lr, sampleRng: this.sampleRng });
          parts.push({ name: run.name, names: distillMetricNames(run.loss), values });
        }
      }
    } finally {
      disposeBatch(batch);
    }
    this.pending.push(this.step, epoch, lr, parts);
    this.step += 1;
  }

  /** Steps run but not yet read. */
  get pendingSteps(): number {
    return this.pending.count;
  }

  /** Reads every pending step's metrics in one device transfer. */
  readMetrics(): Promise<MetricRow[]> {
    return this.pending.read();
  }

  /** Test accuracy of every model of the run, read once. */
  async evaluate(limit?: number): Promise<EvalResult> {
    const models = [
      { name: 'teacher', model: this.teacher },
      ...this.students.map((s) => ({ name: s.name, model: s.model })),
    ];
    const accs = await evaluateAccuracy(
      models.map((m) => m.model),
      this.test,
      { batch: Math.max(this.config.optim.batch, EVAL_BATCH), limit, stepKind: this.stepKind },
    );
    return {
      step: this.step,
      accuracy: Object.fromEntries(models.map((m, i) => [m.name, accs[i]!])),
      heads: Object.fromEntries(models.map((m) => [m.name, m.model.predictionHeads()])),
      count: Math.min(limit ?? this.test.count, this.test.count),
    };
  }

  position(): TrainerPosition {
    const { epoch, cursor } = this.sampler.position();
    return {
      step: this.step,
      epoch,
      cursor,
      rng: { order: this.orderRng.state(), augment: this.augmentRng.state(), sample: this.sampleRng.state() },
    };
  }

  /** Everything needed to continue this run exactly (the teacher is included in both phases). */
  async checkpoint(): Promise<EncodedCheckpoint> {
    const primary = this.phase === 'teacher' ? 'teacher' : 'student';
    return encodeCheckpoint({
      phase: this.phase,
      primary,
      config: this.config,
      normalization: this.normalization,
      dataset: this.datasetInfo,
      models: [
        { role: 'teacher', model: this.teacher, optimizer: this.teacherOptimizer },
        ...this.students.map((s) => ({ role: s.name, model: s.model, optimizer: s.optimizer })),
      ],
      baselines: this.students
        .filter((s) => s.name !== 'student')
        .map((s) => ({ name: s.name, loss: s.loss })),
      position: this.position(),
      augment: this.augment,
      epochOrder: this.sampler.position().order,
    });
  }

  /** Frees everything the run holds on the device, except a teacher passed in from outside. */
  dispose(ownTeacher = this.phase === 'teacher'): void {
    this.pending.dispose();
    this.train.dispose();
    this.test.dispose();
    this.sampler.dispose();
    this.rig.dispose(!ownTeacher);
  }
}

/**
 * The models of one distillation run and the steps that train them: the teacher, the
 * students with their optimizers, the layer pairs and the tokens the random-sampled term
 * draws. The trainer, the bench, step timing, the pipeline warm-up and the self-test all
 * build theirs here, so a seed gives the same weights, samples and step in each of them.
 */

import { randomSampleIndices } from './losses';
import { createOptimizer, type ParamOptimizer } from './optim';
import type { Rng } from './random';
import type { Phase } from './spec/checkpoint-format';
import {
  effectiveLayerPairs,
  type LayerPair,
  type LossConfig,
  patchCount,
  type RunConfig,
} from './spec/config';
import { headsTrainedBy, type TrainedHeads } from './spec/heads';
import type { StepKind } from './spec/step-kind';
import { type Batch, distillStep, teacherStep } from './step';
import type * as tf from './tf';
import { Vit } from './vit';

/** A student being trained: the main one is named 'student', baselines by their own names. */
export interface StudentRun {
  name: string;
  loss: LossConfig;
  model: Vit;
  optimizer: ParamOptimizer;
}

/** The teacher phase's CE reaches the class head only. */
export const TEACHER_PHASE_HEADS: TrainedHeads = { cls: true, dist: false };

export type RigConfig = Pick<RunConfig, 'teacher' | 'student' | 'loss' | 'optim' | 'seed'>;

export interface RigOptions {
  config: RigConfig;
  /** The teacher phase trains the teacher alone; the student phase trains students against it. */
  phase: Phase;
  stepKind: StepKind;
  /**
   * The student phase's trained teacher, which the rig never updates nor disposes. Without
   * one, the rig makes its own from the seed.
   */
  teacher?: Vit;
  /** The student phase's students, each loss layered over the config's: by default the one 'student'. */
  students?: readonly { name: string; loss: Partial<LossConfig> }[];
  /** Models (and optimizers) to continue from, by role: 'teacher' or a student's name. */
  saved?: ReadonlyMap<string, { model: Vit; optimizer: ParamOptimizer | null }>;
  /** Wraps each optimizer the rig makes (the self-test records the gradients it is given). */
  wrapOptimizer?: (optimizer: ParamOptimizer) => ParamOptimizer;
}

export interface StudentStepOptions {
  lr: number;
  /** Draws the random-sampled term's tokens (K per layer pair). */
  sampleRng: Rng;
  /** Instead of the run's own loss, for this step only. */
  loss?: LossConfig;
}

export interface Rig {
  readonly stepKind: StepKind;
  readonly phase: Phase;
  readonly teacher: Vit;
  /** Present in the teacher phase only. */
  readonly teacherOptimizer: ParamOptimizer | null;
  /** Empty in the teacher phase. */
  readonly students: StudentRun[];
  readonly pairs: LayerPair[];
  /** One supervised step of the teacher phase. Returns [ce, total, accuracy]. */
  teacherStep(batch: Batch, lr: number): tf.Tensor1D;
  /** One distillation step of one student. Returns [...active terms, total, accuracy]. */
  studentStep(run: StudentRun, batch: Batch, opts: StudentStepOptions): tf.Tensor1D;
  /** Frees the students, the optimizers, and the teacher unless it was given or `keepTeacher`. */
  dispose(keepTeacher?: boolean): void;
}

export function buildRig(opts: RigOptions): Rig {
  const { config, phase, stepKind, saved } = opts;
  const wrap = opts.wrapOptimizer ?? ((o: ParamOptimizer) => o);
  const optimizerFor = (role: string, model: Vit) =>
    saved?.get(role)?.optimizer ?? wrap(createOptimizer(model.namedVariables(), config.optim, stepKind));
  const pairs = effectiveLayerPairs(config.loss, config.student, config.teacher);

  let teacher: Vit;
  let teacherOptimizer: ParamOptimizer | null = null;
  let students: StudentRun[] = [];
  const givenTeacher = phase === 'student' && opts.teacher !== undefined;
  if (phase === 'teacher') {
    teacher = saved?.get('teacher')?.model ?? Vit.create(config.teacher, config.seed);
    teacherOptimizer = optimizerFor('teacher', teacher);
  } else {
    if (opts.teacher && JSON.stringify(opts.teacher.config) !== JSON.stringify(config.teacher)) {
      throw new Error(
        "The loaded teacher does not match the config's teacher shape; use the teacher's own config.",
      );
    }
    teacher = opts.teacher ?? Vit.create(config.teacher, config.seed, false);
    const names = new Set<string>();
    students = (opts.students ?? [{ name: 'student', loss: {} }]).map((spec) => {
      if (names.has(spec.name) || spec.name === 'teacher')
        throw new Error(`Duplicate model name "${spec.name}".`);
      names.add(spec.name);
      // Every student starts from the same weights, so curves differ only by their loss.
      const model = saved?.get(spec.name)?.model ?? Vit.create(config.student, config.seed + 1);
      return {
        name: spec.name,
        loss: { ...config.loss, ...spec.loss },
        model,
        optimizer: optimizerFor(spec.name, model),
      };
    });
  }

  return {
    stepKind,
    phase,
    teacher,
    teacherOptimizer,
    students,
    pairs,
    teacherStep(batch, lr) {
      if (!teacherOptimizer) throw new Error('A student-phase rig has no teacher step.');
      teacher.noteTrainedHeads(TEACHER_PHASE_HEADS);
      return teacherStep(
        { teacher, optimizer: teacherOptimizer, labelSmoothing: config.loss.labelSmoothing, lr, stepKind },
        batch,
      );
    },
    studentStep(run, batch, { lr, sampleRng, loss = run.loss }) {
      const tokens = batch.images.shape[0] * patchCount(run.model.config);
      // K is at most the batch's tokens (a smaller batch than the config's: the bench's).
      const k = Math.min(loss.k, tokens);
      run.model.noteTrainedHeads(headsTrainedBy(loss, run.model.config.distillToken));
      return distillStep(
        {
          student: run.model,
          teacher,
          optimizer: run.optimizer,
          loss: k === loss.k ? loss : { ...loss, k },
          pairs,
          lr,
          sampleIndices: pairs.map(() => randomSampleIndices(tokens, k, sampleRng)),
          stepKind,
        },
        batch,
      );
    },
    dispose(keepTeacher = givenTeacher) {
      teacherOptimizer?.dispose();
      if (!keepTeacher) teacher.dispose();
      for (const s of students) {
        s.model.dispose();
        s.optimizer.dispose();
      }
    },
  };
}

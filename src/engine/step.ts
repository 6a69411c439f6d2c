/**
 * One training step of each phase. Nothing here reads from the device: a step returns a
 * metrics vector that the caller reads asynchronously, every few steps, in one transfer.
 */

import { accuracy } from './kernels/fused-ops';
import {
  activeTerms,
  distillationObjective,
  labelCrossEntropy,
  type Mix,
  readsStudentBlock,
  teacherTargets,
} from './objective';
import type { ParamOptimizer } from './optim';
import type { LayerPair, LossConfig } from './spec/config';
import type { MetricName } from './spec/run-records';
import type { StepKind } from './spec/step-kind';
import * as tf from './tf';
import { patchify, type Vit } from './vit';

export type { MetricName } from './spec/run-records';

/** Names of a step's metrics vector, in order. */
export function distillMetricNames(loss: LossConfig): MetricName[] {
  return [...activeTerms(loss), 'total', 'accuracy'];
}

export const TEACHER_METRIC_NAMES: MetricName[] = ['ce', 'total', 'accuracy'];

export interface Batch {
  /** Normalised images [B, H, W, C]. */
  images: tf.Tensor4D;
  /** Class labels [B], int32. */
  labels: tf.Tensor1D;
  /** Present when the batch was made by mixup. */
  mix?: Mix;
}

export interface DistillStepInput {
  student: Vit;
  teacher: Vit;
  optimizer: ParamOptimizer;
  loss: LossConfig;
  pairs: LayerPair[];
  /** Learning rate of this step (from the schedule). */
  lr: number;
  /** K token indices for each layer pair's random-sampled term, drawn from the run's seed. */
  sampleIndices: Int32Array[];
  /** Default 'reference'; 'fast' computes the same values with far fewer kernels. */
  stepKind?: StepKind;
}

/**
 * Teacher forward (outside the tape, so the teacher is frozen by construction), student
 * forward and backward, AdamW on the student's variables only.
 * Returns [...active terms, total, accuracy] (see distillMetricNames); the caller disposes it.
 */
export function distillStep(input: DistillStepInput, batch: Batch): tf.Tensor1D {
  const { student, teacher, optimizer, loss, pairs } = input;
  return tf.tidy(() => {
    const stepKind = input.stepKind ?? 'reference';
    // The fast step cuts the images into patches once when both models use the same size.
    const p = teacher.config.patchSize;
    const patches =
      stepKind === 'fast' && student.config.patchSize === p ? patchify(batch.images, p) : undefined;
    // Its own scope: the teacher's intermediates (most of its forward) are freed here, not at the
    // end of the step; only the logits and the block outputs the relation terms read stay.
    const target = tf.tidy(
      () =>
        teacherTargets(
          teacher,
          teacher.apply(batch.images, { stepKind, patches }),
          pairs,
        ) as unknown as tf.TensorContainer,
    ) as unknown as ReturnType<typeof teacherTargets>;
    const idx = input.sampleIndices.map((a) => tf.tensor1d(a, 'int32'));
    let metrics: tf.Tensor1D | null = null;
    const { grads } = tf.variableGrads(
      () => {
        const out = student.apply(batch.images, {
          stepKind,
          lastBlockInLoss: readsStudentBlock(loss, pairs, student.config.nLayers - 1),
          patches,
        });
        const obj = distillationObjective(student, out, target, batch.labels, loss, pairs, idx, {
          mix: batch.mix,
          stepKind,
        });
        const acc = accuracy(student.predictLogits(out), batch.labels, stepKind);
        // One concat (a kernel binds at most 7 inputs: these are at most 7 pieces).
        metrics = tf.keep(
          tf.concat([...obj.termParts, obj.total.reshape([1]), acc.reshape([1])]) as tf.Tensor1D,
        );
        return obj.total;
      },
      optimizer.params.map((p) => p.variable),
    );
    optimizer.apply(
      optimizer.params.map((p) => grads[p.variable.name]),
      input.lr,
    );
    return metrics!;
  });
}

export interface TeacherStepInput {
  teacher: Vit;
  optimizer: ParamOptimizer;
  labelSmoothing: number;
  lr: number;
  /** Default 'reference'. */
  stepKind?: StepKind;
}

/** Supervised step of the teacher phase. Returns [ce, total, accuracy]. */
export function teacherStep(input: TeacherStepInput, batch: Batch): tf.Tensor1D {
  const { teacher, optimizer } = input;
  const stepKind = input.stepKind ?? 'reference';
  return tf.tidy(() => {
    let metrics: tf.Tensor1D | null = null;
    const { grads } = tf.variableGrads(
      () => {
        const out = teacher.apply(batch.images, { stepKind, lastBlockInLoss: false });
        const ce = labelCrossEntropy(out.logits, batch.labels, input.labelSmoothing, batch.mix);
        const acc = accuracy(teacher.predictLogits(out), batch.labels, stepKind);
        metrics = tf.keep(tf.stack([ce, ce, acc]) as tf.Tensor1D);
        return ce;
      },
      optimizer.params.map((p) => p.variable),
    );
    optimizer.apply(
      optimizer.params.map((p) => grads[p.variable.name]),
      input.lr,
    );
    return metrics!;
  });
}

/**
 * The distillation objective of one batch:
 *   total = wCe*CE + wKd*KD + wMd * mean over layer pairs of (wIntra*intra + wInter*inter + wRandom*random)
 * A term whose weight is 0 is not computed at all, so "CE only" costs what plain training costs.
 */

import type { LayerPair, LossConfig } from './config';
import { crossEntropy, kdLoss, manifoldTerms, manifoldTermVector, type SampleOptions } from './losses';
import { meanAll } from './reduce';
import { activeTerms, type LossTerm } from './terms';
import * as tf from './tf';
import type { Vit, VitOutput } from './vit';

export { activeTerms, LOSS_TERMS, type LossTerm } from './terms';

/** What the teacher contributes, computed outside the student's gradient tape. */
export interface TeacherTargets {
  /** Teacher logits used for KD [B, classes]. */
  logits: tf.Tensor2D;
  /** Patch tokens [B, N, Dt] of the teacher block of each layer pair, in pair order. */
  tokens: tf.Tensor3D[];
}

export interface ObjectiveValue {
  /** The weighted sum the optimizer minimises. */
  total: tf.Scalar;
  /** Unweighted value of each active term (relation terms averaged over layer pairs). */
  terms: Partial<Record<LossTerm, tf.Scalar>>;
}

/** A mixup batch: images are lam * x + (1 - lam) * partner, labels come in pairs. */
export interface Mix {
  /** Labels of each image's partner [B]. */
  labels: tf.Tensor1D;
  lam: number;
}

/** Cross-entropy on labels, or on both label sets of a mixup batch, weighted by lam. */
export function labelCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  labelSmoothing: number,
  mix?: Mix,
): tf.Scalar {
  const ce = crossEntropy(logits, labels, { labelSmoothing });
  if (!mix) return ce;
  const partner = crossEntropy(logits, mix.labels, { labelSmoothing });
  return ce.mul(mix.lam).add(partner.mul(1 - mix.lam)) as tf.Scalar;
}

/** The teacher's side of the objective for the given layer pairs. Call inside tf.tidy. */
export function teacherTargets(teacher: Vit, out: VitOutput, pairs: LayerPair[]): TeacherTargets {
  return {
    logits: teacher.predictLogits(out),
    tokens: pairs.map(([, t]) => {
      const block = out.blocks[t];
      if (!block)
        throw new Error(
          `Layer pair uses teacher block ${t}, but the teacher has ${out.blocks.length} blocks.`,
        );
      return teacher.patchTokens(block);
    }),
  };
}

/**
 * The objective for a student forward pass. With a distillation token, KD trains the
 * distillation head and CE the cls head (DeiT); otherwise both act on the one head.
 * `sampleIndices` holds the K token indices of the random-sampled term for each layer pair.
 */
export function distillationObjective(
  student: Vit,
  out: VitOutput,
  target: TeacherTargets,
  labels: tf.Tensor1D,
  loss: LossConfig,
  pairs: LayerPair[],
  sampleIndices: tf.Tensor1D[],
  mix?: Mix,
  /** The fast step's cheaper formulations (same values). */
  fast = false,
): ObjectiveValue {
  const active = new Set(activeTerms(loss));
  const terms: Partial<Record<LossTerm, tf.Scalar>> = {};
  const parts: tf.Scalar[] = [];

  if (active.has('ce')) {
    terms.ce = labelCrossEntropy(out.logits, labels, loss.labelSmoothing, mix);
    parts.push(terms.ce.mul(loss.wCe));
  }
  if (active.has('kd')) {
    terms.kd = kdLoss(out.distLogits ?? out.logits, target.logits, {
      tau: loss.tau,
      kind: loss.kd,
      fused: fast,
    });
    parts.push(terms.kd.mul(loss.wKd));
  }
  if (active.has('intra') || active.has('inter') || active.has('random')) {
    const students = pairs.map(([s]) => {
      const block = out.blocks[s];
      if (!block)
        throw new Error(
          `Layer pair uses student block ${s}, but the student has ${out.blocks.length} blocks.`,
        );
      return student.patchTokens(block);
    });
    const opts = (i: number) => ({ k: loss.k, sampleIndices: sampleIndices[i]!, gather: fast });
    if (fast) {
      parts.push(relationPartFast(students, target.tokens, opts, loss, active, terms));
    } else {
      const perPair = students.map((s, i) => manifoldTerms(s, target.tokens[i]!, opts(i)));
      // stack + mean, not addN: addN of 8 or more tensors is wrong on tfjs's WebGPU backend.
      const mean = (key: 'intra' | 'inter' | 'random') => meanAll(tf.stack(perPair.map((p) => p[key])));
      let md: tf.Scalar | null = null;
      for (const [key, w] of relationWeights(loss)) {
        if (!active.has(key)) continue;
        terms[key] = mean(key);
        const weighted = terms[key].mul(w) as tf.Scalar;
        md = md ? (md.add(weighted) as tf.Scalar) : weighted;
      }
      if (md) parts.push(md.mul(loss.wMd));
    }
  }
  if (!parts.length) throw new Error('Every loss weight is 0: give at least one term a positive weight.');
  return { total: parts.reduce((a, b) => a.add(b)) as tf.Scalar, terms };
}

function relationWeights(loss: LossConfig) {
  return [
    ['intra', loss.wIntra],
    ['inter', loss.wInter],
    ['random', loss.wRandom],
  ] as const;
}

/**
 * The fast step's relation part: each pair's terms as one [3] vector (one fused kernel on
 * WebGPU), summed pairwise, and weighted by one [1, 3] x [3, 1] matmul, so the step spends a
 * few kernels here instead of a stack, a mean and three scalar products per term.
 */
function relationPartFast(
  students: tf.Tensor3D[],
  teachers: tf.Tensor3D[],
  opts: (i: number) => SampleOptions,
  loss: LossConfig,
  active: Set<LossTerm>,
  terms: Partial<Record<LossTerm, tf.Scalar>>,
): tf.Scalar {
  const vectors = students.map((s, i) => manifoldTermVector(s, teachers[i]!, opts(i), true));
  const mean = vectors.reduce((a, b) => a.add(b)).mul(1 / vectors.length) as tf.Tensor1D; // [3]
  const weights = relationWeights(loss).map(([key, w]) => (active.has(key) ? w * loss.wMd : 0));
  // Only the metrics read the terms one by one; the loss's gradient does not pass through them.
  const split = tf.unstack(mean) as tf.Scalar[];
  relationWeights(loss).forEach(([key], i) => {
    if (active.has(key)) terms[key] = split[i]!;
  });
  return tf.matMul(mean.reshape([1, 3]), tf.tensor2d(weights, [3, 1])).reshape([]) as tf.Scalar;
}

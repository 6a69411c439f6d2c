/**
 * The distillation objective of one batch:
 *   total = wCe*CE + wKd*KD + wMd * mean over layer pairs of (wIntra*intra + wInter*inter + wRandom*random)
 * A term whose weight is 0 is not computed at all, so "CE only" costs what plain training costs.
 */

import { hasKernel, KERNELS, type WeightedTerm, weightedSum } from './kernels/fused-ops';
import {
  crossEntropy,
  dropPrefixTokens,
  kdLoss,
  manifoldTerms,
  manifoldTermVector,
  type SampleOptions,
  type TokenPrefix,
} from './losses';
import { meanAll } from './reduce';
import { type LayerPair, type LossConfig, prefixTokenCount } from './spec/config';
import type { StepKind } from './spec/step-kind';
import { activeTerms, type LossTerm } from './spec/terms';
import * as tf from './tf';
import type { Vit, VitOutput } from './vit';

export { activeTerms, LOSS_TERMS, type LossTerm } from './spec/terms';

/** What the teacher contributes, computed outside the student's gradient tape. */
export interface TeacherTargets {
  /** Teacher logits used for KD [B, classes]. */
  logits: tf.Tensor2D;
  /**
   * Output [B, prefix + N, Dt] of the teacher block of each layer pair, in pair order: all
   * tokens, so the fast step's relation kernel reads the patch tokens in place (no slice).
   */
  blocks: tf.Tensor3D[];
  /** Tokens before the patch tokens in each image's rows (cls, and distillation if any). */
  prefix: number;
}

export interface ObjectiveValue {
  /** The weighted sum the optimizer minimises. */
  total: tf.Scalar;
  /**
   * Unweighted values of the active terms in activeTerms order (relation terms averaged over
   * layer pairs), as 1-D pieces whose concatenation is the term vector: the fast step's
   * relation terms come as one [3] vector, and the step's metrics concatenate the pieces with
   * the total and the accuracy in one kernel, where cutting the vector into scalars would
   * take one slice a term.
   */
  termParts: tf.Tensor1D[];
  /** One active term's value as a scalar (a slice of termParts: tests and tools, not the step). */
  term: (name: LossTerm) => tf.Scalar;
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
    blocks: pairs.map(([, t]) => {
      const block = out.blocks[t];
      if (!block)
        throw new Error(
          `Layer pair uses teacher block ${t}, but the teacher has ${out.blocks.length} blocks.`,
        );
      return block;
    }),
    prefix: prefixTokenCount(teacher.config),
  };
}

/** Whether the objective reads student block `block`'s output (a relation term on it). */
export function readsStudentBlock(loss: LossConfig, pairs: LayerPair[], block: number): boolean {
  const active = new Set(activeTerms(loss));
  const relations = active.has('intra') || active.has('inter') || active.has('random');
  return relations && pairs.some(([s]) => s === block);
}

export interface ObjectiveOptions {
  /** Present when the batch was made by mixup. */
  mix?: Mix;
  /** 'fast': the fast step's cheaper formulations of the same values. Default 'reference'. */
  stepKind?: StepKind;
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
  { mix, stepKind = 'reference' }: ObjectiveOptions = {},
): ObjectiveValue {
  const fast = stepKind === 'fast';
  const order = activeTerms(loss);
  const active = new Set(order);
  const termParts: tf.Tensor1D[] = [];
  const parts: tf.Scalar[] = [];
  // The fast step on WebGPU sums the weighted terms in one kernel (weightedSum).
  const oneKernelTotal = fast && hasKernel(KERNELS.weightedSum);
  const weighted: WeightedTerm[] = [];
  const addTerm = (value: tf.Scalar, weight: number) => {
    const part = value.reshape([1]) as tf.Tensor1D;
    termParts.push(part);
    if (oneKernelTotal) weighted.push({ value: part, weights: [weight] });
    else parts.push(value.mul(weight));
  };

  if (active.has('ce')) addTerm(labelCrossEntropy(out.logits, labels, loss.labelSmoothing, mix), loss.wCe);
  if (active.has('kd')) {
    const kd = kdLoss(out.distLogits ?? out.logits, target.logits, {
      tau: loss.tau,
      kind: loss.kd,
      stepKind,
    });
    addTerm(kd, loss.wKd);
  }
  if (active.has('intra') || active.has('inter') || active.has('random')) {
    const students = pairs.map(([s]) => {
      const block = out.blocks[s];
      if (!block)
        throw new Error(
          `Layer pair uses student block ${s}, but the student has ${out.blocks.length} blocks.`,
        );
      return block;
    });
    const opts = (i: number) => ({ k: loss.k, sampleIndices: sampleIndices[i]!, stepKind });
    if (fast) {
      const prefix = { student: prefixTokenCount(student.config), teacher: target.prefix };
      const rel = relationPartFast(students, target.blocks, prefix, opts, loss, active);
      termParts.push(rel.terms);
      if (oneKernelTotal) weighted.push({ value: rel.mean, weights: rel.weights });
      else
        parts.push(
          tf.matMul(rel.mean.reshape([1, 3]), tf.tensor2d(rel.weights, [3, 1])).reshape([]) as tf.Scalar,
        );
    } else {
      const perPair = students.map((s, i) =>
        manifoldTerms(
          dropPrefixTokens(s, prefixTokenCount(student.config)),
          dropPrefixTokens(target.blocks[i]!, target.prefix),
          opts(i),
        ),
      );
      // stack + mean, not addN: addN of 8 or more tensors is wrong on tfjs's WebGPU backend.
      const mean = (key: 'intra' | 'inter' | 'random') => meanAll(tf.stack(perPair.map((p) => p[key])));
      let md: tf.Scalar | null = null;
      for (const [key, w] of relationWeights(loss)) {
        if (!active.has(key)) continue;
        const value = mean(key);
        termParts.push(value.reshape([1]));
        const weighted = value.mul(w) as tf.Scalar;
        md = md ? (md.add(weighted) as tf.Scalar) : weighted;
      }
      if (md) parts.push(md.mul(loss.wMd));
    }
  }
  if (!parts.length && !weighted.length)
    throw new Error('Every loss weight is 0: give at least one term a positive weight.');
  const term = (name: LossTerm): tf.Scalar => {
    const at = order.indexOf(name);
    if (at < 0)
      throw new Error(`The term ${name} is not active in this objective (active: ${order.join(', ')}).`);
    return tf.concat(termParts).slice([at], [1]).reshape([]) as tf.Scalar;
  };
  const total = oneKernelTotal
    ? weightedSum(weighted, 'fast')
    : (parts.reduce((a, b) => a.add(b)) as tf.Scalar);
  return { total, termParts, term };
}

function relationWeights(loss: LossConfig) {
  return [
    ['intra', loss.wIntra],
    ['inter', loss.wInter],
    ['random', loss.wRandom],
  ] as const;
}

/**
 * The fast step's relation part: the mean over pairs of each pair's terms as one [3] vector,
 * built pair by pair (one fused kernel each on WebGPU, which scales and adds the sum so far
 * itself), and its three weights (wMd times each term's; 0 where inactive), weighted by the
 * caller in one kernel or one [1, 3] x [3, 1] matmul: a few kernels here instead of a stack,
 * a mean and three scalar products per term. Also returns the active terms' values ([3] when
 * all three are, else a gather of them).
 */
function relationPartFast(
  students: tf.Tensor3D[],
  teachers: tf.Tensor3D[],
  prefix: TokenPrefix,
  opts: (i: number) => SampleOptions,
  loss: LossConfig,
  active: Set<LossTerm>,
): { mean: tf.Tensor1D; weights: number[]; terms: tf.Tensor1D } {
  const scale = 1 / students.length;
  let mean: tf.Tensor1D | undefined;
  students.forEach((s, i) => {
    mean = manifoldTermVector(s, teachers[i]!, opts(i), { prefix, scale, addTo: mean });
  });
  if (!mean) throw new Error('The relation terms need at least one layer pair.');
  const weights = relationWeights(loss).map(([key, w]) => (active.has(key) ? w * loss.wMd : 0));
  // Only the metrics read the terms; the loss's gradient does not pass through them.
  const on = relationWeights(loss).flatMap(([key], i) => (active.has(key) ? [i] : []));
  const terms = on.length === 3 ? mean : (tf.gather(mean, tf.tensor1d(on, 'int32')) as tf.Tensor1D);
  return { mean, weights, terms };
}

/**
 * Loss terms of fine-grained manifold distillation (Hao et al., NeurIPS 2022), in the
 * official code's form: element means per term, averaged over layer pairs.
 * Spec: ../shared/docs/manifold-distillation.md. Exports are named in interfaces.md.
 */

import { hasKernel, KERNELS, RELATION_MAX_WIDTH } from './kernels/fused-ops';
import { relationKernelFits } from './kernels/kernel-cost';
import {
  gramValue,
  groupGram,
  matMulIsSlowUnlessPlain,
  meanSquaredDistance,
  normalizedValue,
  normalizeLastAxis,
} from './kernels/wasm-ops';
import { meanAll, meanSquaredDifference, sumLastAxis } from './reduce';
import type { KdKind } from './spec/config';
import type { StepKind } from './spec/step-kind';
import * as tf from './tf';

/** Floor on a token's norm, as torch.nn.functional.normalize uses. */
const NORM_EPS = 1e-12;

export interface SampleOptions {
  /** Number of tokens in the random-sampled term (K). */
  k: number;
  /** K flat token indices in [0, B*N); replaces the random draw so the term is reproducible. */
  sampleIndices?: Int32Array | tf.Tensor1D;
  /**
   * 'fast': the same values with the K tokens picked by a gather (gradient: a scatter)
   * instead of a one-hot matmul, in manifoldTerms on wasm its routes (groupedTerms), and in
   * manifoldTermVector the relation kernel where the backend has one. Default 'reference'.
   */
  stepKind?: StepKind;
}

/** A type, not an interface, so that tf.tidy takes it as a tensor container. */
export type ManifoldTerms = {
  intra: tf.Scalar;
  inter: tf.Scalar;
  random: tf.Scalar;
};

export interface RelationMaps {
  /** [B, N, N]: patch-to-patch cosine similarity within each image. */
  intra: tf.Tensor3D;
  /** [N, B, B]: image-to-image cosine similarity at each patch position. */
  inter: tf.Tensor3D;
  /** [K, K]: cosine similarity between K tokens drawn from the whole batch. */
  random: tf.Tensor2D;
}

/** Scales every token to unit length over channels, so relation entries are cosines. */
export function normalizeTokens(tokens: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const norm = sumLastAxis(tokens.square()).sqrt().maximum(NORM_EPS); // [B, N, 1]
    return tokens.div(norm) as tf.Tensor3D;
  });
}

/**
 * K distinct indices in [0, total), uniformly, by a partial Fisher-Yates shuffle.
 * Drawn on the CPU from the run's seeded generator, so the sample is reproducible and
 * costs one K-element upload per layer pair.
 */
export function randomSampleIndices(total: number, k: number, rng: () => number): Int32Array {
  if (!Number.isInteger(k) || k < 1) throw new Error(`K must be a positive integer, got ${k}.`);
  if (k > total) {
    throw new Error(
      `K = ${k} is larger than the ${total} tokens in the batch (B*N); lower K or raise the batch.`,
    );
  }
  const pool = new Int32Array(total);
  for (let i = 0; i < total; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (total - i));
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, k);
}

function sampleTensor(total: number, opts: SampleOptions): tf.Tensor1D {
  const { k, sampleIndices } = opts;
  if (sampleIndices === undefined) return tf.tensor1d(randomSampleIndices(total, k, Math.random), 'int32');
  const n = sampleIndices instanceof Int32Array ? sampleIndices.length : sampleIndices.shape[0];
  if (n !== k) throw new Error(`sampleIndices has ${n} entries but K is ${k}.`);
  if (sampleIndices instanceof Int32Array) {
    for (const i of sampleIndices) {
      if (i < 0 || i >= total) throw new Error(`sample index ${i} is outside [0, ${total}).`);
    }
    return tf.tensor1d(sampleIndices, 'int32');
  }
  if (sampleIndices.dtype !== 'int32')
    throw new Error(`sampleIndices must be int32, got ${sampleIndices.dtype}.`);
  // The caller's tensor itself, not a clone (a kernel): callers only read it inside a tidy,
  // which leaves a tensor it did not make alone.
  return sampleIndices;
}

/** The three relation maps of one set of patch tokens [B, N, D]: what the losses compare. */
export function relationMatrices(tokens: tf.Tensor3D, opts: SampleOptions): RelationMaps {
  if (tokens.rank !== 3) throw new Error(`relationMatrices expects tokens [B, N, D], got [${tokens.shape}].`);
  const [b, n, d] = tokens.shape;
  return tf.tidy(() => {
    const f = normalizeTokens(tokens); // [B, N, D]
    const intra = tf.matMul(f, f, false, true) as tf.Tensor3D; // [B, N, N]
    const fByPos = f.transpose([1, 0, 2]) as tf.Tensor3D; // [N, B, D]
    const inter = tf.matMul(fByPos, fByPos, false, true) as tf.Tensor3D; // [N, B, B]
    const idx = sampleTensor(b * n, opts);
    const flat = f.reshape([b * n, d]) as tf.Tensor2D;
    // The reference selects rows with a one-hot matmul, because tf.gather's gradient needs
    // UnsortedSegmentSum, which the wasm backend lacks; gatherRows brings its own gradient.
    const fk =
      opts.stepKind === 'fast' ? gatherRows(flat, idx) : tf.matMul(tf.oneHot(idx, b * n).toFloat(), flat); // [K, D]
    const random = tf.matMul(fk, fk, false, true) as tf.Tensor2D; // [K, K]
    return { intra, inter, random };
  });
}

/**
 * Rows `idx` of x [R, D]. The gradient scatters dy back into those rows (ScatterNd, which
 * every backend has; it adds up repeated indices, as the gather's true gradient does).
 */
function gatherRows(x: tf.Tensor2D, idx: tf.Tensor1D): tf.Tensor2D {
  const shape = x.shape;
  // The indices are saved with the op (kept until backprop ends): the caller's tidy may
  // dispose its own handle before the gradient runs.
  const pick = tf.customGrad(((input: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([idx]);
    return {
      value: tf.gather(input, idx),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.scatterND(saved[0]!.expandDims(1), dy as tf.Tensor, shape),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return pick(x) as tf.Tensor2D;
}

/**
 * Intra-image, inter-image and random-sampled terms for one layer pair. Student [B, N, Ds]
 * and teacher [B, N, Dt] are patch tokens only; widths may differ because only cosine maps
 * are compared. Both models use the same K token indices.
 */
export function manifoldTerms(
  student: tf.Tensor3D,
  teacher: tf.Tensor3D,
  opts: SampleOptions,
): ManifoldTerms {
  if (student.rank !== 3 || teacher.rank !== 3) {
    throw new Error(
      `manifoldTerms expects [B, N, D] tokens, got student [${student.shape}], teacher [${teacher.shape}].`,
    );
  }
  if (student.shape[0] !== teacher.shape[0] || student.shape[1] !== teacher.shape[1]) {
    throw new Error(
      `student [${student.shape}] and teacher [${teacher.shape}] must have the same batch and patch count (B, N).`,
    );
  }
  const [b, n] = student.shape;
  return tf.tidy(() => {
    // One index tensor for both models: the sample must be the same tokens on each side.
    const idx = sampleTensor(b * n, opts);
    if (opts.stepKind === 'fast' && matMulIsSlowUnlessPlain()) return groupedTerms(student, teacher, idx);
    const s = relationMatrices(student, { k: opts.k, sampleIndices: idx, stepKind: opts.stepKind });
    const t = relationMatrices(teacher, { k: opts.k, sampleIndices: idx, stepKind: opts.stepKind });
    return {
      intra: meanSquaredDifference(s.intra, t.intra),
      inter: meanSquaredDifference(s.inter, t.inter),
      random: meanSquaredDifference(s.random, t.random),
    };
  });
}

/**
 * manifoldTerms by wasm's routes (kernels/wasm-ops.ts): each map a Gram matrix in the grouped
 * layout (intra [N, B, N], inter [B, N, B], random [K, 1, K]: the same entries as
 * relationMatrices' maps, in another order, the same on both sides, which is all a mean of
 * squared differences reads), normalization, Gram and mean with closed-form gradients.
 */
function groupedTerms(student: tf.Tensor3D, teacher: tf.Tensor3D, idx: tf.Tensor1D): ManifoldTerms {
  // The teacher is frozen: its maps are constants, built without saving anything for a gradient.
  const maps = (tokens: tf.Tensor3D, constant: boolean) => {
    const [b, n, d] = tokens.shape;
    const gram = constant ? gramValue : groupGram;
    const f = (constant ? normalizedValue : normalizeLastAxis)(tokens, NORM_EPS) as tf.Tensor3D; // [B, N, D]
    const fk = constant
      ? tf.gather(f.reshape([b * n, d]), idx)
      : gatherRows(f.reshape([b * n, d]) as tf.Tensor2D, idx); // [K, D]
    return {
      intra: gram(f, true),
      inter: gram(f, false),
      random: gram(fk.reshape([fk.shape[0]!, 1, d]) as tf.Tensor3D, false),
    };
  };
  const s = maps(student, false);
  const t = maps(teacher, true);
  return {
    intra: meanSquaredDistance(s.intra, t.intra),
    inter: meanSquaredDistance(s.inter, t.inter),
    random: meanSquaredDistance(s.random, t.random),
  };
}

/** A block output [B, prefix + N, D] without its first `prefix` tokens of each image: [B, N, D]. */
export function dropPrefixTokens(block: tf.Tensor3D, prefix: number): tf.Tensor3D {
  return prefix ? block.slice([0, prefix, 0], [-1, -1, -1]) : block;
}

/** Tokens before the patch tokens in each image's rows (cls, distillation) of each side. */
export interface TokenPrefix {
  student: number;
  teacher: number;
}

/** How one layer pair's term vector enters the fast step's running sum over pairs. */
export interface TermVectorOptions {
  /** Tokens before the patch tokens in each image's rows of each side (0 and 0 by default). */
  prefix?: TokenPrefix;
  /** Factor on the vector (1 / the layer pairs, for their mean; 1 by default). */
  scale?: number;
  /** The vector of the pairs before this one, added to this one's (none by default). */
  addTo?: tf.Tensor1D;
}

/**
 * scale * [intra, inter, random] of one layer pair, plus `addTo`: what the fast step averages
 * over the pairs, one pair at a time. Each side is a block output [B, prefix + N, D] whose
 * first `prefix` tokens of each image are not patches. In the fast step, on a backend that has the
 * kernel (WebGPU), this is one kernel forward (two dispatches, the scale and the sum inside)
 * and one for the student's gradient (kernels/relation-webgpu.ts), reading the patch tokens in
 * place: no slice, no pad in the gradient, no add or multiply between pairs. The teacher gets
 * no gradient, as it is frozen. Otherwise the prefix is sliced off and manifoldTerms' ops run.
 * The sample is `opts.sampleIndices` either way.
 */
export function manifoldTermVector(
  student: tf.Tensor3D,
  teacher: tf.Tensor3D,
  opts: SampleOptions,
  { prefix = { student: 0, teacher: 0 }, scale = 1, addTo }: TermVectorOptions = {},
): tf.Tensor1D {
  const width = student.shape[2];
  const kernel = `${KERNELS.relationLoss}${addTo ? 2 : 1}` as const;
  const fits =
    width <= RELATION_MAX_WIDTH &&
    relationKernelFits({
      batch: student.shape[0],
      tokens: student.shape[1] - prefix.student,
      ds: width,
      dt: teacher.shape[2],
      k: opts.k,
    });
  if (opts.stepKind !== 'fast' || !fits || !hasKernel(kernel)) {
    return tf.tidy(() => {
      const t = manifoldTerms(
        dropPrefixTokens(student, prefix.student),
        dropPrefixTokens(teacher, prefix.teacher),
        opts,
      );
      const v = tf.stack([t.intra, t.inter, t.random]) as tf.Tensor1D;
      const scaled = scale === 1 ? v : (v.mul(scale) as tf.Tensor1D);
      return addTo ? (scaled.add(addTo) as tf.Tensor1D) : scaled;
    });
  }
  const patchTokens = student.shape[1] - prefix.student;
  if (
    student.rank !== 3 ||
    teacher.rank !== 3 ||
    student.shape[0] !== teacher.shape[0] ||
    teacher.shape[1] - prefix.teacher !== patchTokens ||
    (addTo && (addTo.rank !== 1 || addTo.shape[0] !== 3))
  ) {
    throw new Error(
      `manifoldTermVector expects student [B, ${prefix.student} + N, Ds], teacher [B, ${prefix.teacher} + N, Dt] and a [3] sum so far, got [${student.shape}], [${teacher.shape}]${addTo ? ` and [${addTo.shape}]` : ''}.`,
    );
  }
  return tf.tidy(() => {
    const idx = sampleTensor(student.shape[0] * patchTokens, opts);
    const inputs = { XS: student, XT: teacher, IDX: idx, ...(addTo ? { ACC: addTo } : {}) };
    const attrs = { prefixStudent: prefix.student, prefixTeacher: prefix.teacher, scale };
    return tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor1D;
  });
}

export interface KdOptions {
  /** Softmax temperature; the soft loss is scaled by tau^2 so gradients keep their size. */
  tau: number;
  kind: KdKind;
  /** 'fast': soft KD as one kernel and one for its gradient where the backend has it. */
  stepKind?: StepKind;
}

/**
 * Knowledge distillation. soft: KL(softmax(t/tau) || softmax(s/tau)) * tau^2, batch mean.
 * hard: cross-entropy of the student against the teacher's argmax (DeiT hard distillation).
 */
export function kdLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, opts: KdOptions): tf.Scalar {
  if (!tf.util.arraysEqual(studentLogits.shape, teacherLogits.shape)) {
    throw new Error(
      `kdLoss: student logits [${studentLogits.shape}] and teacher logits [${teacherLogits.shape}] differ.`,
    );
  }
  return tf.tidy(() => {
    if (opts.kind === 'hard') {
      const target = teacherLogits.argMax(-1) as tf.Tensor1D;
      return crossEntropy(studentLogits, target);
    }
    if (opts.stepKind === 'fast' && hasKernel(KERNELS.softKd)) {
      return (
        tf
          .engine()
          .runKernel(KERNELS.softKd, { S: studentLogits, T: teacherLogits }, { tau: opts.tau }) as tf.Tensor
      ).reshape([]) as tf.Scalar;
    }
    const logPs = tf.logSoftmax(studentLogits.div(opts.tau)); // [B, C]
    const logPt = tf.logSoftmax(teacherLogits.div(opts.tau)); // [B, C]
    const kl = sumLastAxis(logPt.exp().mul(logPt.sub(logPs))); // [B, 1]
    return meanAll(kl).mul(opts.tau * opts.tau) as tf.Scalar;
  });
}

export interface CrossEntropyOptions {
  /** Mass moved from the true class to a uniform spread over all classes (0 = none). */
  labelSmoothing?: number;
}

/** Mean softmax cross-entropy of logits [B, C] against int32 labels [B]. */
export function crossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  opts: CrossEntropyOptions = {},
): tf.Scalar {
  const eps = opts.labelSmoothing ?? 0;
  const classes = logits.shape[1];
  return tf.tidy(() => {
    const logP = tf.logSoftmax(logits); // [B, C]
    const onehot = tf.oneHot(labels.toInt(), classes).toFloat(); // [B, C]
    const target = eps > 0 ? onehot.mul(1 - eps).add(eps / classes) : onehot;
    return meanAll(sumLastAxis(target.mul(logP))).neg() as tf.Scalar;
  });
}

/**
 * Compares each fused kernel with its plain-op version on the active backend: values and
 * gradients for random inputs. The benchmark worker runs it, and the browser test asserts
 * on it, because the fused kernels exist only on WebGPU.
 */

import {
  accuracy,
  addLayerNorm,
  attention,
  gelu,
  hasFusedKernels,
  layerNorm,
  linear,
  softmax,
  weightedSum,
} from '../kernels/fused-ops';
import { kdLoss, manifoldTermVector, randomSampleIndices, type TokenPrefix } from '../losses';
import { prependTokens } from '../prepend-tokens';
import { makeRng } from '../random';
import { STEP_KINDS, type StepKind } from '../spec/step-kind';
import * as tf from '../tf';
import { checkFusedAdamW } from './adamw-check';

export interface KernelCheck {
  name: string;
  /** Largest relDiff over the output and every input gradient. */
  maxRelDiff: number;
}

/**
 * Largest |a - b| / max(|b|, floor), where the floor is 1e-2 of b's largest magnitude (and
 * at least 1e-3). An entry that is a float32 sum cancelling to something small keeps the
 * rounding of its large terms, which a different summation order changes: judged against
 * itself alone, it measures the order of the sums, not the kernel (attention's gradient sat
 * at 9.7e-5 of a 1e-4 bound that way on SwiftShader, and a CPU with other vector units
 * rounds differently). A wrong kernel is off by the tensor's own scale, far above 1e-4.
 */
function relDiff(a: Float32Array, b: Float32Array): number {
  let largest = 0;
  for (let i = 0; i < b.length; i++) largest = Math.max(largest, Math.abs(b[i]!));
  const floor = Math.max(1e-2 * largest, 1e-3);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** Output and gradients of sum(f(inputs) * w) (w random, so every output entry matters). */
async function valueAndGrads(
  f: (xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  w: tf.Tensor,
): Promise<Float32Array[]> {
  const out = tf.tidy(() => {
    const y = f(inputs);
    const grads = tf.grads((...xs: tf.Tensor[]) => f(xs).mul(w).sum())(inputs);
    return [y, ...grads];
  });
  const values = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  return values;
}

export async function checkFusedKernels(seed = 3): Promise<KernelCheck[]> {
  if (!hasFusedKernels()) return [];
  const shape = [3, 17, 24]; // odd sizes: rows and widths that do not fill a workgroup
  const x = tf.randomNormal(shape, 0.3, 1.5, 'float32', seed);
  // Weights are variables, as in the models: the fused LayerNorm and linear kernels read a
  // variable weight in their gradient (weightAttrs) and leave any other tensor to plain ops.
  const weight = (t: tf.Tensor) => {
    const v = tf.variable(t, false);
    t.dispose(); // the variable keeps the data
    return v;
  };
  const gamma = weight(tf.randomNormal([shape[2]!], 1, 0.5, 'float32', seed + 1));
  const beta = tf.randomNormal([shape[2]!], 0, 0.5, 'float32', seed + 2);
  const w = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
  // A residual branch added before a LayerNorm; both outputs (stream and normalised) weighted.
  const branch = tf.randomNormal(shape, 0, 1, 'float32', seed + 23);
  const wBoth = tf.randomNormal([shape[0]!, shape[1]!, 2 * shape[2]!], 0, 1, 'float32', seed + 24);
  // Two heads of dh 12 over 17 tokens (scores q.k / sqrt(dh) of spread about 1), and the
  // default preset's attention: 65 tokens (more than a workgroup), heads of 32.
  const qkv = tf.randomNormal([shape[0]!, shape[1]!, 3 * shape[2]!], 0, 1, 'float32', seed + 4);
  const qkvWide = tf.randomNormal([2, 65, 3 * 64], 0, 1, 'float32', seed + 5);
  const wWide = tf.randomNormal([2, 65, 64], 0, 1, 'float32', seed + 6);
  // As the step passes them: block outputs with the student's cls and distillation tokens and
  // the teacher's cls token before the patches, added to a sum so far (the wide case: patch
  // tokens alone, nothing added).
  const tiny = relationCase('relations', [16, 16, 16, 32, 32], seed + 7, { student: 2, teacher: 1 }, true);
  const wide = relationCase('relations-64x64x128', [8, 64, 64, 128, 192], seed + 8);
  // More images than a workgroup's lanes (the inter term in two chunks), a width under them,
  // and K in three uneven chunks.
  const many = relationCase('relations-72x16x24x40x130', [72, 16, 24, 40, 130], seed + 33);
  const kdTiny = kdCase('kd', [16, 10], 2, seed + 9);
  const kdWide = kdCase('kd-64x10', [64, 10], 1, seed + 10);
  // A linear layer on 3 x 17 tokens, 24 -> 40; the fused one's bias gradient is the
  // column-sum kernel. The patch embedding's: patches [3, 15, 48] and a filter [4, 4, 3, 8].
  // Then tokens prepended to patches [3, 15, 24] (two, and one).
  const lin = [
    tf.randomNormal([3, 17, 24], 0, 1, 'float32', seed + 12),
    weight(tf.randomNormal([24, 40], 0, 0.3, 'float32', seed + 13)),
    tf.randomNormal([40], 0, 0.5, 'float32', seed + 14),
  ];
  const linW = tf.randomNormal([3, 17, 40], 0, 1, 'float32', seed + 15);
  // The weight gradient over many rows (each lane several), into a width no tile divides.
  const linTall = [
    tf.randomNormal([8, 65, 24], 0, 1, 'float32', seed + 34),
    weight(tf.randomNormal([24, 10], 0, 0.3, 'float32', seed + 35)),
    tf.randomNormal([10], 0, 0.5, 'float32', seed + 36),
  ];
  const linTallW = tf.randomNormal([8, 65, 10], 0, 1, 'float32', seed + 37);
  const patchLin = [
    tf.randomNormal([3, 15, 48], 0, 1, 'float32', seed + 26),
    weight(tf.randomNormal([4, 4, 3, 8], 0, 0.3, 'float32', seed + 27)),
    tf.randomNormal([8], 0, 0.5, 'float32', seed + 28),
  ];
  const patchLinW = tf.randomNormal([3, 15, 8], 0, 1, 'float32', seed + 29);
  const linSquare = weight(tf.randomNormal([24, 24], 0, 0.3, 'float32', seed + 25));
  const embed = [
    tf.randomNormal([3, 15, 24], 0, 1, 'float32', seed + 16),
    tf.randomNormal([1, 1, 24], 0, 1, 'float32', seed + 17),
    tf.randomNormal([1, 1, 24], 0, 1, 'float32', seed + 18),
    tf.randomNormal([1, 17, 24], 0, 1, 'float32', seed + 19),
  ];
  const embedW = tf.randomNormal([3, 33, 24], 0, 1, 'float32', seed + 20);
  // The loss total: KD [1], the relation terms [3] (one weight 0: an inactive term), CE [1].
  const terms = [
    tf.randomNormal([1], 1, 1, 'float32', seed + 30),
    tf.randomNormal([3], 1, 1, 'float32', seed + 31),
    tf.randomNormal([1], 1, 1, 'float32', seed + 32),
  ];
  const totalW = tf.scalar(1.3);
  const cases: {
    name: string;
    f: (stepKind: StepKind) => (xs: tf.Tensor[]) => tf.Tensor;
    inputs: tf.Tensor[];
    /** Weights of the outputs in the summed loss (shape of the output), w unless given. */
    weights?: tf.Tensor;
  }[] = [
    {
      name: 'layerNorm',
      f: (stepKind) => (xs) => layerNorm(xs[0] as tf.Tensor3D, xs[1]!, xs[2]!, stepKind),
      inputs: [x, gamma, beta],
    },
    {
      name: 'addLayerNorm',
      f: (stepKind) => (xs) =>
        tf.concat(addLayerNorm(xs[0] as tf.Tensor3D, xs[1] as tf.Tensor3D, xs[2]!, xs[3]!, stepKind), 2),
      inputs: [x, branch, gamma, beta],
      weights: wBoth,
    },
    { name: 'gelu', f: (stepKind) => (xs) => gelu(xs[0]!, stepKind), inputs: [x] },
    { name: 'softmax', f: (stepKind) => (xs) => softmax(xs[0]!, stepKind), inputs: [x] },
    {
      name: 'attention',
      f: (stepKind) => (xs) => attention(xs[0] as tf.Tensor3D, 2, stepKind),
      inputs: [qkv],
    },
    {
      name: 'attention-65x32',
      f: (stepKind) => (xs) => attention(xs[0] as tf.Tensor3D, 2, stepKind),
      inputs: [qkvWide],
      weights: wWide,
    },
    tiny.testCase,
    wide.testCase,
    many.testCase,
    kdTiny.testCase,
    kdWide.testCase,
    {
      name: 'linear',
      f: (stepKind) => (xs) => linear(xs[0]!, xs[1]!, xs[2]!, stepKind),
      inputs: lin,
      weights: linW,
    },
    {
      name: 'linear-520x24x10',
      f: (stepKind) => (xs) => linear(xs[0]!, xs[1]!, xs[2]!, stepKind),
      inputs: linTall,
      weights: linTallW,
    },
    {
      name: 'linear-patch',
      f: (stepKind) => (xs) => linear(xs[0]!, xs[1]!, xs[2]!, stepKind),
      inputs: patchLin,
      weights: patchLinW,
    },
    {
      // A linear layer's output as the residual branch of addLayerNorm, as in a block: the
      // fused bias gradient is then the column sum its gradient kernel offers.
      name: 'linearAddLayerNorm',
      f: (stepKind) => (xs) => {
        const [a, m, bias, stream, g, b] = xs as [tf.Tensor, tf.Tensor, tf.Tensor1D, ...tf.Tensor[]];
        const branch = linear(a, m, bias, stepKind) as tf.Tensor3D;
        return tf.concat(addLayerNorm(stream as tf.Tensor3D, branch, g!, b!, stepKind), 2);
      },
      inputs: [lin[0]!, linSquare, lin[2]!.slice(0, shape[2]!), x, gamma, beta],
      weights: wBoth,
    },
    {
      name: 'weightedSum',
      f: (stepKind) => (xs) =>
        weightedSum(
          [
            { value: xs[0] as tf.Tensor1D, weights: [0.7] },
            { value: xs[1] as tf.Tensor1D, weights: [1.5, 0, 2] },
            { value: xs[2] as tf.Tensor1D, weights: [0.3] },
          ],
          stepKind,
        ),
      inputs: terms,
      weights: totalW,
    },
    {
      name: 'prependTokens',
      // Two tokens (a DeiT student), then one (the pos embedding's tail: a plain ViT), side
      // by side. The plain version is the reference step's (vit.ts): tile, concat, add.
      f: (stepKind) => (xs) => {
        const [patches, cls, dist, pos] = xs as [tf.Tensor3D, tf.Tensor, tf.Tensor, tf.Tensor];
        const tail = pos.slice([0, 1, 0], [-1, -1, -1]);
        const plain = (tokens: tf.Tensor[], p: tf.Tensor) =>
          tf.concat([...tokens.map((t) => tf.tile(t, [3, 1, 1])), patches], 1).add(p);
        const one = (tokens: tf.Tensor[], p: tf.Tensor) =>
          stepKind === 'fast' ? prependTokens(patches, tokens, p) : plain(tokens, p);
        return tf.concat([one([cls, dist], pos), one([cls], tail)], 1);
      },
      inputs: embed,
      weights: embedW,
    },
  ];
  const results: KernelCheck[] = [];
  try {
    for (const c of cases) {
      const fast = await valueAndGrads(c.f('fast'), c.inputs, c.weights ?? w);
      const reference = await valueAndGrads(c.f('reference'), c.inputs, c.weights ?? w);
      results.push({ name: c.name, maxRelDiff: Math.max(...fast.map((a, i) => relDiff(a, reference[i]!))) });
    }
    results.push({ name: 'adamw', maxRelDiff: await checkFusedAdamW(seed + 11, relDiff) });
    results.push({ name: 'accuracy', maxRelDiff: await checkAccuracy(seed + 21) });
  } finally {
    tf.dispose([
      x,
      gamma,
      beta,
      w,
      branch,
      wBoth,
      qkv,
      qkvWide,
      wWide,
      ...tiny.tensors,
      ...wide.tensors,
      ...many.tensors,
      ...kdTiny.tensors,
      ...kdWide.tensors,
      ...lin,
      linW,
      ...linTall,
      linTallW,
      ...patchLin,
      patchLinW,
      linSquare,
      ...embed,
      embedW,
      ...terms,
      totalW,
    ]);
  }
  return results;
}

/**
 * The relation terms of one layer pair at [B, N, Ds, Dt, K] against the fast step's plain
 * ops, differentiated w.r.t. the student only (the teacher is frozen). Each term is weighted
 * by a fortieth of its map's size: input gradients of order 0.1, a hundred times the step's
 * own (wIntra 4 gives about 1e-3 at the tiny size), so few fall under relDiff's 1e-3 floor.
 */
function relationCase(
  name: string,
  [b, n, ds, dt, k]: number[],
  seed: number,
  prefix: TokenPrefix = { student: 0, teacher: 0 },
  chained = false,
) {
  const student = tf.randomNormal([b!, prefix.student + n!, ds!], 0.3, 1, 'float32', seed);
  const teacher = tf.randomNormal([b!, prefix.teacher + n!, dt!], 0.3, 1, 'float32', seed + 1) as tf.Tensor3D;
  const drawn = randomSampleIndices(b! * n!, k!, makeRng(seed, 'check'));
  drawn[1] = drawn[0]!; // a repeated token: its gradient adds up over both slots
  const idx = tf.tensor1d(drawn, 'int32');
  const weights = tf.tensor1d([(b! * n! * n!) / 40, (n! * b! * b!) / 40, (k! * k!) / 40]);
  // Chained, as the step's second pair: half the terms plus the pairs before (an input too,
  // so its gradient is checked).
  const before = tf.tensor1d([0.3, -0.2, 0.1]);
  return {
    tensors: [student, teacher, idx, weights, before],
    testCase: {
      name,
      f: (stepKind: StepKind) => (xs: tf.Tensor[]) =>
        manifoldTermVector(
          xs[0] as tf.Tensor3D,
          teacher,
          { k: k!, sampleIndices: idx, stepKind },
          {
            prefix,
            ...(chained ? { scale: 0.5, addTo: xs[1] as tf.Tensor1D } : {}),
          },
        ),
      inputs: chained ? [student, before] : [student],
      weights,
    },
  };
}

/**
 * The batch accuracy (no gradient) of 64 rows of 10 logits drawn from a few integers, so
 * that many rows have equal largest logits (the first one counts, as in tf.argMax), against
 * labels that match about half the rows.
 */
async function checkAccuracy(seed: number): Promise<number> {
  const [logits, labels] = tf.tidy(() => {
    const l = tf.randomUniform([64, 10], 0, 4, 'int32', seed).toFloat() as tf.Tensor2D;
    const coin = tf.randomUniform([64], 0, 1, 'float32', seed + 1).less(0.5);
    const other = tf.randomUniform([64], 0, 10, 'int32', seed + 2);
    return [l, tf.where(coin, l.argMax(-1), other) as tf.Tensor1D] as const;
  });
  try {
    const [reference, fast] = await Promise.all(
      STEP_KINDS.map((kind) => tf.tidy(() => accuracy(logits, labels, kind)).data() as Promise<Float32Array>),
    );
    return relDiff(fast!, reference!);
  } finally {
    tf.dispose([logits, labels]);
  }
}

/** Soft KD of logits [B, C] at temperature tau, weighted by B so the gradient is of order 0.1. */
function kdCase(name: string, shape: [number, number], tau: number, seed: number) {
  const student = tf.randomNormal(shape, 0, 2, 'float32', seed);
  const teacher = tf.randomNormal(shape, 0, 2, 'float32', seed + 1) as tf.Tensor2D;
  const weights = tf.scalar(shape[0]);
  return {
    tensors: [student, teacher, weights],
    testCase: {
      name,
      f: (stepKind: StepKind) => (xs: tf.Tensor[]) =>
        kdLoss(xs[0] as tf.Tensor2D, teacher, { tau, kind: 'soft' as const, stepKind }),
      inputs: [student],
      weights,
    },
  };
}

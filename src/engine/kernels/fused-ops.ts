/**
 * Ops that the fast step runs as one fused kernel where the backend has one (WebGPU: see
 * webgpu.ts) and as plain TF.js ops everywhere else. The plain versions are the reference
 * step's ops, so both steps compute the same function; the fused ones only dispatch fewer
 * kernels. Each fused kernel carries its own gradient (registered beside it). On wasm, which
 * has none of the kernels, the fast step takes the routes of wasm-ops.ts instead.
 */
import { meanLastAxis } from '../reduce';
import type { StepKind } from '../spec/step-kind';
import * as tf from '../tf';
import { attentionKernelFits } from './kernel-cost';
import { geluExact, groupMatMul, layerNormLastAxis, linearXnn, matMulIsSlowUnlessPlain } from './wasm-ops';

/** timm's LayerNorm epsilon for ViT (tf.layers' default of 1e-3 would differ from PyTorch). */
export const LN_EPS = 1e-6;

/** Kernel names; a backend that registers them runs the fused versions. */
export const KERNELS = {
  layerNorm: 'KdLayerNorm',
  layerNormGradX: 'KdLayerNormGradX',
  layerNormGradXResidual: 'KdLayerNormGradXResidual',
  layerNormGradGammaBeta: 'KdLayerNormGradGammaBeta',
  layerNormGradGammaBetaResidual: 'KdLayerNormGradGammaBetaResidual',
  addLayerNorm: 'KdAddLayerNorm',
  gelu: 'KdGelu',
  geluGrad: 'KdGeluGrad',
  softmax: 'KdSoftmax',
  softmaxGrad: 'KdSoftmaxGrad',
  attention: 'KdAttention',
  attentionGrad: 'KdAttentionGrad',
  relationLoss: 'KdRelationLoss',
  relationGrad: 'KdRelationGrad',
  softKd: 'KdSoftKd',
  softKdGrad: 'KdSoftKdGrad',
  adamW: 'KdAdamW',
  squaredNormParts: 'KdSquaredNormParts',
  splitCopy: 'KdSplitCopy',
  concatCopy: 'KdConcatCopy',
  columnSum: 'KdColumnSum',
  linear: 'KdLinear',
  matMul: 'KdMatMul',
  weightedSum: 'KdWeightedSum',
  scaleBy: 'KdScaleBy',
  accuracy: 'KdAccuracy',
  /** Followed by the token count (1 or 2): KdPrependTokens1, KdPrependTokens2. */
  prependTokens: 'KdPrependTokens',
} as const;

/**
 * Widest student the fused relation loss takes: its gradient keeps one accumulator per
 * channel in registers; wider students run the plain ops.
 */
export const RELATION_MAX_WIDTH = 256;

/**
 * Widest head the fused attention takes: each thread keeps three dh-long accumulators in
 * registers (the gradient's dq, dk, dv); wider heads run the plain ops.
 */
export const ATTENTION_MAX_HEAD_DIM = 64;

/** tf.customGrad's save callback. */
type SaveFunc = (tensors: tf.Tensor[]) => void;

/** Whether the active backend has this fused kernel (only WebGPU does, once webgpu.ts is loaded). */
type KernelName = (typeof KERNELS)[keyof typeof KERNELS];
/** A kernel name, or one registered per arity (KdPrependTokens1, KdPrependTokens2). */
export function hasKernel(name: KernelName | `${KernelName}${number}`): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Whether the active backend has the fused kernels. */
export function hasFusedKernels(): boolean {
  return hasKernel(KERNELS.layerNorm);
}

/**
 * The attrs by which a fused kernel's registered gradient reads its weight (the linear
 * layer's matrix, the LayerNorm's gamma), or null where the weight is not a tf.Variable (the
 * caller then runs the plain ops). The tape saves each input a gradient reads as a clone, an
 * Identity kernel per tensor every step; a variable is never disposed within a step, so the
 * gradient reads the variable itself, which holds the same values until the update.
 */
export function weightAttrs(weight: tf.Tensor, attrs: tf.NamedAttrMap = {}): tf.NamedAttrMap | null {
  return weight instanceof tf.Variable ? ({ ...attrs, weight } as unknown as tf.NamedAttrMap) : null;
}

/** The weight a kernel's gradient got through weightAttrs. */
export function attrWeight(attrs: tf.NamedAttrMap): tf.Variable {
  return (attrs as unknown as { weight: tf.Variable }).weight;
}

/**
 * A new tensor on t's data in `shape` (same size; t's own by default): what the Reshape
 * kernel does on WebGPU, wasm and cpu (one more reference to the data, no copy), without
 * the engine's kernel machinery (lookup, profiling, scope record), which costs the worker
 * more than the reshape itself. For the fast kernels' gradient functions: one that hands
 * the same result to two inputs must hand each its own tensor, since the tape disposes a
 * gradient it adds to. Not for webgl, whose reshape of a packed texture is a program.
 */
export function sameData<T extends tf.Tensor>(t: tf.Tensor, shape: number[] = t.shape): T {
  if (tf.util.sizeFromShape(shape) !== t.size) {
    throw new Error(
      `sameData: [${t.shape}] has ${t.size} entries, [${shape}] needs ${tf.util.sizeFromShape(shape)}.`,
    );
  }
  tf.backend().incRef(t.dataId);
  return tf.engine().makeTensorFromTensorInfo({ dataId: t.dataId, shape, dtype: t.dtype }) as T;
}

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function layerNorm(
  x: tf.Tensor3D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  stepKind: StepKind,
): tf.Tensor3D {
  const attrs = weightAttrs(gamma, { eps: LN_EPS });
  if (stepKind === 'fast' && attrs && hasFusedKernels()) {
    return tf.engine().runKernel(KERNELS.layerNorm, { X: x, G: gamma, B: beta }, attrs) as tf.Tensor3D;
  }
  if (stepKind === 'fast' && matMulIsSlowUnlessPlain())
    return layerNormLastAxis(x, gamma, beta, LN_EPS) as tf.Tensor3D;
  // Statistics by matmul (reduce.ts): no CPU-built gradient tensors.
  const centred = x.sub(meanLastAxis(x)); // [B, T, D]
  const variance = meanLastAxis(centred.square()); // [B, T, 1]
  return centred.mul(variance.add(LN_EPS).rsqrt()).mul(gamma).add(beta) as tf.Tensor3D;
}

/**
 * The residual add and the LayerNorm after it: [s, y] with s = x + a, y = LN(s). One kernel
 * on WebGPU (layernorm-webgpu.ts); the plain ops are the reference step's add and LayerNorm.
 */
export function addLayerNorm(
  x: tf.Tensor3D,
  a: tf.Tensor3D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  stepKind: StepKind,
): [tf.Tensor3D, tf.Tensor3D] {
  const attrs = weightAttrs(gamma, { eps: LN_EPS });
  if (stepKind === 'fast' && attrs && hasKernel(KERNELS.addLayerNorm)) {
    return tf.engine().runKernel(KERNELS.addLayerNorm, { X: x, A: a, G: gamma, B: beta }, attrs) as [
      tf.Tensor3D,
      tf.Tensor3D,
    ];
  }
  const s = x.add(a) as tf.Tensor3D;
  return [s, layerNorm(s, gamma, beta, stepKind)];
}

/** Exact (erf) GELU, as PyTorch's nn.GELU() default. */
export function gelu(x: tf.Tensor, stepKind: StepKind): tf.Tensor {
  if (stepKind === 'fast' && hasFusedKernels())
    return tf.engine().runKernel(KERNELS.gelu, { X: x }) as tf.Tensor;
  if (stepKind === 'fast' && matMulIsSlowUnlessPlain()) return geluExact(x);
  return x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
}

/** Softmax over the last axis. */
export function softmax(x: tf.Tensor, stepKind: StepKind): tf.Tensor {
  if (stepKind === 'fast' && hasFusedKernels())
    return tf.engine().runKernel(KERNELS.softmax, { X: x }) as tf.Tensor;
  return tf.softmax(x);
}

/**
 * Multi-head self-attention from the qkv projection [B, T, 3D] (q, k, v each [T, H, dh] per
 * image) to the heads' outputs merged back to [B, T, D]: softmax(q k^T / sqrt(dh)) v per head.
 */
export function attention(qkv: tf.Tensor3D, nHeads: number, stepKind: StepKind): tf.Tensor3D {
  const [b, t, width] = qkv.shape;
  const d = width / 3;
  const dh = d / nHeads;
  if (
    stepKind === 'fast' &&
    dh <= ATTENTION_MAX_HEAD_DIM &&
    attentionKernelFits(t, dh) &&
    hasKernel(KERNELS.attention)
  ) {
    // The kernel also writes each query row's softmax statistics, which only its gradient
    // reads: kept as saved tensors (attention-webgpu.ts says why not as a second output).
    const attrs = { heads: nHeads };
    const f = tf.customGrad(((q: tf.Tensor3D, save: SaveFunc) => {
      const [y, stats] = tf.engine().runKernel(KERNELS.attention, { QKV: q }, attrs) as tf.Tensor[];
      save([q, y!, stats!]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
          tf
            .engine()
            .runKernel(
              KERNELS.attentionGrad,
              { QKV: saved[0]!, DY: dy as tf.Tensor, Y: saved[1]!, S: saved[2]! },
              attrs,
            ) as tf.Tensor,
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(qkv) as tf.Tensor3D;
  }
  if (stepKind === 'fast' && matMulIsSlowUnlessPlain()) return groupedAttention(qkv, nHeads);
  // [B*H, T, dh] each. The fast step splits the heads with rank-4 transposes, which wasm
  // runs about 100x faster than the reference's one rank-5 transpose (0.24 against 24 ms
  // for [16, 65, 3, 4, 32] here); the values are the same.
  const [q, k, v] =
    stepKind === 'fast'
      ? splitFlat(qkv.reshape([b, t, 3, d]).transpose([2, 0, 1, 3]).reshape([-1]), [
          [b, t, d],
          [b, t, d],
          [b, t, d],
        ]).map(
          (m) =>
            m
              .reshape([b, t, nHeads, dh])
              .transpose([0, 2, 1, 3])
              .reshape([b * nHeads, t, dh]) as tf.Tensor3D,
        )
      : tf
          .unstack(qkv.reshape([b, t, 3, nHeads, dh]).transpose([2, 0, 3, 1, 4])) // [3, B, H, T, dh]
          .map((m) => m.reshape([b * nHeads, t, dh]) as tf.Tensor3D);
  const scores = tf.matMul(q!, k!, false, true).mul(1 / Math.sqrt(dh)); // [B*H, T, T]
  const mixed = tf.matMul(softmax(scores, stepKind) as tf.Tensor3D, v!); // [B*H, T, dh]
  return mixed.reshape([b, nHeads, t, dh]).transpose([0, 2, 1, 3]).reshape([b, t, d]); // [B, T, D]
}

/**
 * Attention by wasm's routes (wasm-ops.ts): q, k and v in the grouped layout [T, B*H, dh],
 * cut from one rank-4 transpose of qkv (wasm's rank-5 transpose took 24 ms where rank-4 ones
 * of the same data took 0.24), the products as grouped convolutions, the scale on q (the
 * smaller operand), and the softmax on the scores as they come, [T, B*H, T].
 */
function groupedAttention(qkv: tf.Tensor3D, nHeads: number): tf.Tensor3D {
  const [b, t, width] = qkv.shape;
  const d = width / 3;
  const dh = d / nHeads;
  const part = [t, b * nHeads, dh];
  const [q, k, v] = splitFlat(qkv.reshape([b, t, 3, d]).transpose([2, 1, 0, 3]).reshape([-1]), [
    part,
    part,
    part,
  ]) as tf.Tensor3D[];
  const scores = groupMatMul(q!.mul(1 / Math.sqrt(dh)), k!, false, true); // [T, B*H, T]
  const mixed = groupMatMul(softmax(scores, 'fast') as tf.Tensor3D, v!, false, false); // [T, B*H, dh]
  return mixed.reshape([t, b, d]).transpose([1, 0, 2]) as tf.Tensor3D; // [B, T, D]
}

/**
 * Column sums a gradient kernel computed on the way, by the data they sum: a residual add's
 * gradient is also the bias gradient of the linear layer that made its branch, and
 * KdAddLayerNorm's gradient sums it in the same pass as its gamma and beta (a dispatch fewer
 * per add). Keyed by data, which never changes, so an entry is right for whoever asks.
 */
const offeredColumnSums = new WeakMap<object, tf.Tensor1D>();

/** Offers sum as columnSum(x)'s result, to be taken once (by the linear layer's gradient). */
export function offerColumnSum(x: tf.Tensor, sum: tf.Tensor1D): void {
  offeredColumnSums.set(x.dataId, sum);
}

/**
 * Sum over every axis but the last: [..., D] -> [D]. One kernel on WebGPU (a thread per
 * column), where tf.sum over a leading axis is a transpose and a reduction, or none when a
 * gradient kernel offered it. Gradients use it (no gradient of its own).
 */
export function columnSum(x: tf.Tensor): tf.Tensor1D {
  const d = x.shape[x.rank - 1]!;
  const offered = offeredColumnSums.get(x.dataId);
  if (offered) {
    offeredColumnSums.delete(x.dataId);
    if (!offered.isDisposed && offered.shape[0] === d) return offered;
  }
  if (hasKernel(KERNELS.columnSum)) return tf.engine().runKernel(KERNELS.columnSum, { DY: x }) as tf.Tensor1D;
  return x.reshape([-1, d]).sum(0) as tf.Tensor1D;
}

/**
 * Fraction of the rows of logits [B, C] whose argmax is the row's label (a scalar on the
 * device). One kernel on WebGPU (accuracy-webgpu.ts) where the plain ops are four.
 */
export function accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D, stepKind: StepKind): tf.Scalar {
  return tf.tidy(() => {
    const y = labels.toInt();
    if (stepKind === 'fast' && hasKernel(KERNELS.accuracy)) {
      return tf.engine().runKernel(KERNELS.accuracy, { X: logits, Y: y }) as tf.Scalar;
    }
    return logits.argMax(-1).equal(y).toFloat().mean() as tf.Scalar;
  });
}

/**
 * x [..., in] @ w + b [out], w [in, out] (or any shape whose last axis is out, read as
 * [in, out]: the patch embedding's [P, P, C, D]). Plain: the leading axes flattened into one
 * matMul, then the bias added (the reference step). Fused: one KdLinear kernel on WebGPU
 * (linear-webgpu.ts: no reshapes, its bias gradient one columnSum) where w is a variable
 * (weightAttrs), else tf.fused.matMul.
 * Either way the gradient is a registered one, computed only for the inputs the tape needs
 * (none for the patch embedding's pixels).
 */
export function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, stepKind: StepKind): tf.Tensor {
  const outDim = w.shape[w.rank - 1]!;
  const attrs = weightAttrs(w);
  if (stepKind === 'fast' && attrs && hasKernel(KERNELS.linear)) {
    return tf.engine().runKernel(KERNELS.linear, { X: x, W: w, B: b }, attrs) as tf.Tensor;
  }
  const flat = x.reshape([-1, x.shape[x.rank - 1]!]) as tf.Tensor2D;
  const w2 = (w.rank === 2 ? w : w.reshape([-1, outDim])) as tf.Tensor2D;
  const y =
    stepKind !== 'fast'
      ? tf.matMul(flat, w2).add(b)
      : matMulIsSlowUnlessPlain()
        ? linearXnn(flat, w2, b)
        : tf.fused.matMul({ a: flat, b: w2, bias: b });
  return y.reshape([...x.shape.slice(0, -1), outDim]);
}

/**
 * A flat tensor cut into parts of `shapes`, one after another: KdSplitCopy where the
 * backend has it (WebGPU: buffer copies, no dispatch; wasm: copies in its heap, where its
 * Slice and Unpack copy the whole input out of the heap once per part), else split and
 * reshape (always in the reference step). Differentiable either way.
 */
export function splitFlat(flat: tf.Tensor, shapes: number[][], stepKind: StepKind = 'fast'): tf.Tensor[] {
  if (stepKind === 'fast' && hasKernel(KERNELS.splitCopy)) {
    return tf.engine().runKernel(KERNELS.splitCopy, { X: flat }, {
      shapes,
    } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  }
  const sizes = shapes.map((s) => tf.util.sizeFromShape(s));
  return tf.split(flat, sizes).map((t, i) => t.reshape(shapes[i]!));
}

/**
 * KdSplitCopy's gradient, for a flat input: its parts' gradients one after another.
 * Registered with the kernel by each backend that has one (once).
 */
export function registerSplitCopyGradient(): void {
  if (tf.getGradient(KERNELS.splitCopy)) return;
  tf.registerGradient({
    kernelName: KERNELS.splitCopy,
    gradFunc: (dys) => ({
      // biome-ignore lint/correctness/noComponentHookFactories: X is the kernel's input name, not a React component.
      X: () => tf.concat((dys as tf.Tensor[]).map((d) => d.reshape([-1]))),
    }),
  });
}

/** A loss term's values (1-D) and one weight per entry. */
export interface WeightedTerm {
  value: tf.Tensor1D;
  weights: number[];
}

/**
 * sum over terms of value . weights, a scalar. One kernel on WebGPU (weighted-sum-webgpu.ts),
 * the weights as uniforms; plain: a product with the weights and a sum per term, added.
 */
export function weightedSum(terms: WeightedTerm[], stepKind: StepKind): tf.Scalar {
  if (stepKind === 'fast' && hasKernel(KERNELS.weightedSum)) {
    const inputs = Object.fromEntries(terms.map((t, i) => [`T${i}`, t.value]));
    const attrs = { sizes: terms.map((t) => t.value.size), weights: terms.flatMap((t) => t.weights) };
    return tf.engine().runKernel(KERNELS.weightedSum, inputs, attrs) as tf.Scalar;
  }
  return terms
    .map((t) => t.value.mul(tf.tensor1d(t.weights)).sum() as tf.Scalar)
    .reduce((a, b) => a.add(b) as tf.Scalar);
}

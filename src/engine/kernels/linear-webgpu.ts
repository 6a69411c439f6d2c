/**
 * The fast step's linear layer as one TF.js kernel on WebGPU: KdLinear takes x [..., in],
 * w (any shape whose last axis is `out`, e.g. the patch embedding's [P, P, C, D]) and b
 * [out], and runs TF.js's own fused matmul program on views of their buffers. Through
 * tf.fused.matMul the same dispatch costs about ten TF.js kernels (reshapes to rank 3 and
 * back, its custom-gradient scopes, the clones it saves), and each is engine work in the
 * worker, every step. KdMatMul is the same for its gradient's two products (no gradient of
 * its own); the bias gradient is fused-ops' columnSum. The gradient is registered, so the
 * tape computes only what it needs: nothing for the patch embedding's pixels.
 *
 * A view is what TF.js's WebGPU reshape returns: the same data, another shape. The views
 * passed in are the caller's (the matmul takes its own references); the one returned
 * relabels the matmul's fresh output, which the caller then owns.
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: X, W, B are kernel input names in a gradient map, not React components.
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { attrWeight, columnSum, KERNELS } from './fused-ops';
import { kernelInputs, rowsAndWidth } from './webgpu-program';

const view = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({
  dataId: t.dataId,
  shape,
  dtype: t.dtype,
});

/** [rows, last] of a as one matrix (optionally transposed) times b as [rows, last], shaped `outShape`. */
function matMulViews(
  backend: WebGPUBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  transposeA: boolean,
  transposeB: boolean,
  outShape: number[],
): tf.TensorInfo {
  const [ar, ac] = rowsAndWidth(a.shape);
  const [br, bc] = rowsAndWidth(b.shape);
  const inner = [transposeA ? ar : ac, transposeB ? bc : br];
  const outer = [transposeA ? ac : ar, transposeB ? br : bc];
  if (inner[0] !== inner[1] || outer[0]! * outer[1]! !== tf.util.sizeFromShape(outShape)) {
    throw new Error(
      `KdMatMul: [${a.shape}]${transposeA ? '^T' : ''} x [${b.shape}]${transposeB ? '^T' : ''} cannot give [${outShape}].`,
    );
  }
  const kernel = tf.getKernel(bias ? '_FusedMatMul' : 'BatchMatMul', 'webgpu')!;
  const out = kernel.kernelFunc({
    inputs: { a: view(a, [1, ar, ac]), b: view(b, [1, br, bc]), ...(bias ? { bias } : {}) },
    attrs: { transposeA, transposeB, activation: 'linear' },
    backend,
  }) as tf.TensorInfo;
  return view(out, outShape);
}

/** Registers KdLinear (with its gradient) and KdMatMul on webgpu (called by webgpu.ts). */
export function registerLinearKernels(): void {
  tf.registerKernel({
    kernelName: KERNELS.linear,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const [x, w, b] = kernelInputs(KERNELS.linear, inputs, ['X', 'W', 'B']);
      const out = w!.shape[w!.shape.length - 1]!;
      return matMulViews(backend as WebGPUBackend, x!, w!, b!, false, false, [...x!.shape.slice(0, -1), out]);
    },
  } as tf.KernelConfig);
  tf.registerKernel({
    kernelName: KERNELS.matMul,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const [a, b] = kernelInputs(KERNELS.matMul, inputs, ['A', 'B']);
      const { transposeA, transposeB, shape } = attrs as {
        transposeA: boolean;
        transposeB: boolean;
        shape: number[];
      };
      return matMulViews(backend as WebGPUBackend, a!, b!, null, transposeA, transposeB, shape);
    },
  } as tf.KernelConfig);
  const matMul = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean, shape: number[]) =>
    tf.engine().runKernel(KERNELS.matMul, { A: a, B: b }, { transposeA, transposeB, shape }) as tf.Tensor;
  tf.registerGradient({
    kernelName: KERNELS.linear,
    inputsToSave: ['X'], // W, a variable, comes through the attrs (weightAttrs)
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const w = attrWeight(attrs);
      const g = dy as tf.Tensor;
      return {
        X: () => matMul(g, w, false, true, x.shape), // dy w^T
        W: () => matMul(x, g, true, false, w.shape), // x^T dy, over every row
        B: () => columnSum(g),
      };
    },
  });
}

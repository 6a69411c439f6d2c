/**
 * The fast step's linear layer as one TF.js kernel on WebGPU: KdLinear takes x [..., in],
 * w (any shape whose last axis is `out`, e.g. the patch embedding's [P, P, C, D]) and b
 * [out], and runs TF.js's own fused matmul program on views of their buffers. Through
 * tf.fused.matMul the same dispatch costs about ten TF.js kernels (reshapes to rank 3 and
 * back, its custom-gradient scopes, the clones it saves), and each is engine work in the
 * worker, every step. KdMatMul is the same for its gradient's two products (no gradient of
 * its own), except the weight gradient x^T dy: its inner dimension is every row of the batch
 * (4,224 at the default size) and its output a few thousand entries, so TF.js's tiled program
 * ran it on a few hundred threads walking all the rows (or a split-K program after a fill
 * dispatch); weightGradProgram splits the rows over each workgroup's lanes instead. The bias
 * gradient is fused-ops' columnSum. The gradient is registered, so the tape computes only
 * what it needs: nothing for the patch embedding's pixels.
 *
 * A view is what TF.js's WebGPU reshape returns: the same data, another shape. The views
 * passed in are the caller's (the matmul takes its own references); the one returned
 * relabels the matmul's fresh output, which the caller then owns.
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: X, W, B are kernel input names in a gradient map, not React components.
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { attrWeight, columnSum, KERNELS } from './fused-ops';
import { perLane, treeSumSteps, WORKGROUP_SIZE } from './kernel-cost';
import { groupProgram, kernelInputs, rowsAndWidth, treeSum } from './webgpu-program';

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

/** Output entries per workgroup of weightGradProgram: a TILE x TILE block. */
const TILE = 4;

/**
 * out [M, N] = A^T B for A [K, M] and B [K, N] with K large and M N small (a weight gradient):
 * a workgroup per TILE x TILE block of the output, its lanes taking every 64th k, then a tree
 * over the lanes for the block's 16 sums. No atomics, so the sum's order is fixed.
 */
function weightGradProgram(k: number, m: number, n: number): WebGPUProgram {
  const blocksM = Math.ceil(m / TILE);
  const blocks = blocksM * Math.ceil(n / TILE);
  const cells = TILE * TILE;
  return groupProgram(
    `kd_matmul_tn_${k}_${m}_${n}`,
    ['A', 'B'],
    [m, n],
    blocks,
    `
const K : i32 = ${k}; const M : i32 = ${m}; const N : i32 = ${n};
var<workgroup> part : array<f32, ${cells * WORKGROUP_SIZE}>;
fn main(index : i32) {
  let i0 = (GROUP % ${blocksM}) * ${TILE};
  let j0 = (GROUP / ${blocksM}) * ${TILE};
  var acc : array<f32, ${cells}>;
  for (var k = LANE; k < K; k += ${WORKGROUP_SIZE}) {
    for (var a = 0; a < ${TILE}; a++) {
      let i = min(i0 + a, M - 1);
      let x = A[k * M + i];
      for (var b = 0; b < ${TILE}; b++) { acc[a * ${TILE} + b] += x * B[k * N + min(j0 + b, N - 1)]; }
    }
  }
  for (var t = 0; t < ${cells}; t++) { part[t * ${WORKGROUP_SIZE} + LANE] = acc[t]; }
  ${treeSum('part', cells)}
  if (LANE < ${cells}) {
    let i = i0 + LANE / ${TILE};
    let j = j0 + LANE % ${TILE};
    if (i < M && j < N) { setOutputAtIndex(i * N + j, part[LANE * ${WORKGROUP_SIZE}]); }
  }
}`,
    {
      serialSteps: perLane(k) * TILE * (1 + TILE) + cells + treeSumSteps(cells),
      flops: 2 * k * m * n,
    },
  );
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
      if (transposeA && !transposeB) {
        const [k, m] = rowsAndWidth(a!.shape);
        const [kb, n] = rowsAndWidth(b!.shape);
        if (k !== kb || m * n !== tf.util.sizeFromShape(shape)) {
          throw new Error(`KdMatMul: [${a!.shape}]^T x [${b!.shape}] cannot give [${shape}].`);
        }
        const out = (backend as WebGPUBackend).runWebGPUProgram(
          weightGradProgram(k, m, n),
          [view(a!, [k, m]), view(b!, [k, n])],
          'float32',
        );
        return view(out, shape);
      }
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

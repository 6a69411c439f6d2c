/**
 * The fused kernels of the fast step, as WGSL programs on TF.js's WebGPU backend, each with
 * its gradient. Loaded only once the webgpu backend runs (backend.ts), so Node never sees it.
 * The program conventions they rely on are in webgpu-program.ts.
 *
 * Row kernels give one thread a whole row (a token's D channels): rows are thousands, D is
 * at most a few hundred, so one pass per row keeps every thread's loop short. Sums over the
 * rows (column sums) go to a workgroup per column instead, whose lanes split the rows.
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: X, G, B are kernel input names in gradient maps, not React components.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { registerAccuracyKernel } from './accuracy-webgpu';
import { registerAdamWKernels } from './adamw-webgpu';
import { registerAttentionKernels } from './attention-webgpu';
import { registerBufferCopyKernels } from './buffer-copy-webgpu';
import { KERNELS } from './fused-ops';
import { registerKdKernels } from './kd-webgpu';
import { treeSumSteps, WORKGROUP_SIZE } from './kernel-cost';
import { registerLayerNormKernels } from './layernorm-webgpu';
import { registerLinearKernels } from './linear-webgpu';
import { registerPrependKernel } from './prepend-webgpu';
import { registerRelationKernels } from './relation-webgpu';
import { consts, groupProgram, program, register, rowProgram, rowsAndWidth, treeSum } from './webgpu-program';
import { registerWeightedSumKernels } from './weighted-sum-webgpu';

/** abs error < 1.5e-7 (Abramowitz & Stegun 7.1.26), the formula tfjs's own Erf uses on WebGPU. */
const ERF_WGSL = `
fn erfApprox(a : f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(a));
  let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign(a) * (1.0 - poly * exp(-a * a));
}`;

/**
 * out[j] = sum over rows of dy (linear layers' bias gradient, columnSum in fused-ops.ts): one
 * workgroup per column, its lanes taking every 64th row, then a tree. One thread per column
 * walked all 4,160 rows of a default-size batch alone, on a few hundred threads in all.
 */
function columnSumProgram(shape: number[]): WebGPUProgram {
  const [rows, d] = rowsAndWidth(shape);
  const perLane = Math.ceil(rows / WORKGROUP_SIZE);
  return groupProgram(
    `kd_colsum_${rows}_${d}`,
    ['DY'],
    [d],
    d,
    `
${consts(rows, d)}
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  let j = GROUP;
  var acc = 0.0;
  for (var r = LANE; r < ROWS; r += ${WORKGROUP_SIZE}) { acc += DY[r * D + j]; }
  part[LANE] = acc;
  ${treeSum('part')}
  if (LANE == 0) { setOutputAtIndex(j, part[0]); }
}`,
    { serialSteps: perLane + treeSumSteps(), flops: rows * d },
  );
}

/** One thread per element of `shape`: `body` computes it from x = X[i], with erfApprox at hand. */
function erfElementwise(
  name: string,
  inputs: string[],
  shape: number[],
  body: string,
  flopsPerElement: number,
): WebGPUProgram {
  const size = tf.util.sizeFromShape(shape);
  return program(
    `${name}_${size}`,
    inputs,
    shape,
    size,
    `
const SIZE : i32 = ${size};
${ERF_WGSL}
fn main(i : i32) {
  if (i >= SIZE) { return; }
  let x = X[i];
${body}
}`,
    { serialSteps: 0, flops: flopsPerElement * size },
  );
}

function geluProgram(shape: number[]): WebGPUProgram {
  return erfElementwise(
    'kd_gelu',
    ['X'],
    shape,
    '  setOutputAtIndex(i, 0.5 * x * (1.0 + erfApprox(x * 0.7071067811865476)));',
    20,
  );
}

/** d gelu / dx = Phi(x) + x * phi(x). */
function geluGradProgram(shape: number[]): WebGPUProgram {
  return erfElementwise(
    'kd_gelu_dx',
    ['X', 'DY'],
    shape,
    `  let cdf = 0.5 * (1.0 + erfApprox(x * 0.7071067811865476));
  let pdf = 0.3989422804014327 * exp(-0.5 * x * x);
  setOutputAtIndex(i, DY[i] * (cdf + x * pdf));`,
    30,
  );
}

function softmaxProgram(shape: number[]): WebGPUProgram {
  return rowProgram(
    'softmax',
    ['X'],
    shape,
    shape,
    `
  var m = X[base];
  for (var j = 1; j < D; j++) { m = max(m, X[base + j]); }
  var total = 0.0;
  for (var j = 0; j < D; j++) { total += exp(X[base + j] - m); }
  for (var j = 0; j < D; j++) { setOutputAtIndex(base + j, exp(X[base + j] - m) / total); }`,
    undefined,
    3,
  );
}

/** dx = y * (dy - sum(dy * y)) per row. */
function softmaxGradProgram(shape: number[]): WebGPUProgram {
  return rowProgram(
    'softmax_dx',
    ['Y', 'DY'],
    shape,
    shape,
    `
  var s = 0.0;
  for (var j = 0; j < D; j++) { s += DY[base + j] * Y[base + j]; }
  for (var j = 0; j < D; j++) { setOutputAtIndex(base + j, Y[base + j] * (DY[base + j] - s)); }`,
    undefined,
    2,
  );
}

let registered = false;

/** Registers the fused kernels and their gradients for the webgpu backend (idempotent). */
export function registerWebGpuKernels(): void {
  if (registered) return;
  registered = true;
  registerLayerNormKernels();
  registerLinearKernels();
  register(KERNELS.columnSum, ([dy]) => columnSumProgram(dy!.shape), ['DY']);
  register(KERNELS.gelu, ([x]) => geluProgram(x!.shape), ['X']);
  register(KERNELS.geluGrad, ([x]) => geluGradProgram(x!.shape), ['X', 'DY']);
  register(KERNELS.softmax, ([x]) => softmaxProgram(x!.shape), ['X']);
  register(KERNELS.softmaxGrad, ([y]) => softmaxGradProgram(y!.shape), ['Y', 'DY']);
  registerAttentionKernels();
  registerRelationKernels();
  registerKdKernels();
  registerAdamWKernels();
  registerBufferCopyKernels();
  registerPrependKernel();
  registerAccuracyKernel();
  registerWeightedSumKernels();

  const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
    tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;

  tf.registerGradient({
    kernelName: KERNELS.gelu,
    inputsToSave: ['X'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { X: () => run(KERNELS.geluGrad, { X: x, DY: dy as tf.Tensor }) };
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as [tf.Tensor];
      return { X: () => run(KERNELS.softmaxGrad, { Y: y, DY: dy as tf.Tensor }) };
    },
  });
}

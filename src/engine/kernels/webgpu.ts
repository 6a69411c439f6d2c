/**
 * The fused kernels of the fast step, as WGSL programs on TF.js's WebGPU backend, each with
 * its gradient. Loaded only once the webgpu backend runs (backend.ts), so Node never sees it.
 * The program conventions they rely on are in webgpu-program.ts.
 *
 * Row kernels give one thread a whole row (a token's D channels): rows are thousands, D is
 * at most a few hundred, so one pass per row beats a reduction tree in dispatch count.
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: X, G, B are kernel input names in gradient maps, not React components.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { registerAdamWKernels } from './adamw-webgpu';
import { registerAttentionKernels } from './attention-webgpu';
import { KERNELS } from './fused-ops';
import { registerKdKernels } from './kd-webgpu';
import { registerPrependKernel } from './prepend-webgpu';
import { registerRelationKernels } from './relation-webgpu';
import { program, register } from './webgpu-program';

/** abs error < 1.5e-7 (Abramowitz & Stegun 7.1.26), the formula tfjs's own Erf uses on WebGPU. */
const ERF_WGSL = `
fn erfApprox(a : f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(a));
  let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign(a) * (1.0 - poly * exp(-a * a));
}`;

function rowsAndWidth(shape: number[]): [number, number] {
  const d = shape[shape.length - 1]!;
  return [tf.util.sizeFromShape(shape) / d, d];
}

/** Shared WGSL: mean and 1/std of row r of X (width D). */
const ROW_STATS_WGSL = `
fn rowMeanRstd(base : i32) -> vec2<f32> {
  var mean = 0.0;
  for (var j = 0; j < D; j++) { mean += X[base + j]; }
  mean = mean / f32(D);
  var sq = 0.0;
  for (var j = 0; j < D; j++) { let c = X[base + j] - mean; sq += c * c; }
  return vec2<f32>(mean, inverseSqrt(sq / f32(D) + EPS));
}`;

function consts(rows: number, d: number, eps = 0): string {
  return `const ROWS : i32 = ${rows}; const D : i32 = ${d}; const EPS : f32 = ${eps.toExponential()};`;
}

/**
 * One thread per row of `shape`'s last axis (width D): the body sees `row` and `base` (the
 * row's first flat index); with `eps`, also rowMeanRstd() over an input named X.
 */
function rowProgram(
  name: string,
  variableNames: string[],
  shape: number[],
  outputShape: number[],
  body: string,
  eps?: number,
): WebGPUProgram {
  const [rows, d] = rowsAndWidth(shape);
  return program(
    `kd_${name}_${rows}_${d}_${eps ?? ''}`,
    variableNames,
    outputShape,
    rows,
    `
${consts(rows, d, eps)}
${eps === undefined ? '' : ROW_STATS_WGSL}
fn main(row : i32) {
  if (row >= ROWS) { return; }
  let base = row * D;
${body}
}`,
  );
}

function layerNormProgram(shape: number[], eps: number): WebGPUProgram {
  return rowProgram(
    'ln',
    ['X', 'G', 'B'],
    shape,
    shape,
    `
  let s = rowMeanRstd(base);
  for (var j = 0; j < D; j++) {
    setOutputAtIndex(base + j, (X[base + j] - s.x) * s.y * G[j] + B[j]);
  }`,
    eps,
  );
}

/**
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma. The row statistics are
 * recomputed here (the thread reads its row anyway) rather than read from KdRowStats.
 */
function layerNormGradXProgram(shape: number[], eps: number): WebGPUProgram {
  return rowProgram(
    'ln_dx',
    ['X', 'G', 'DY'],
    shape,
    shape,
    `
  let s = rowMeanRstd(base);
  var meanG = 0.0;
  var meanGX = 0.0;
  for (var j = 0; j < D; j++) {
    let g = DY[base + j] * G[j];
    meanG += g;
    meanGX += g * (X[base + j] - s.x) * s.y;
  }
  meanG = meanG / f32(D);
  meanGX = meanGX / f32(D);
  for (var j = 0; j < D; j++) {
    let xhat = (X[base + j] - s.x) * s.y;
    setOutputAtIndex(base + j, s.y * (DY[base + j] * G[j] - meanG - xhat * meanGX));
  }`,
    eps,
  );
}

/** [rows, 2]: mean and 1/std of each row, for the gamma gradient. */
function rowStatsProgram(shape: number[], eps: number): WebGPUProgram {
  return rowProgram(
    'rowstats',
    ['X'],
    shape,
    [rowsAndWidth(shape)[0], 2],
    `
  let s = rowMeanRstd(base);
  setOutputAtIndex(row * 2, s.x);
  setOutputAtIndex(row * 2 + 1, s.y);`,
    eps,
  );
}

/**
 * [dgamma, dbeta] packed in one [2D] output: one thread per channel sums dy * xhat and dy
 * over the rows (one dispatch for both; the gradient cuts them apart with KdSplitCopy,
 * buffer copies and no dispatch).
 */
function layerNormGradGammaBetaProgram(shape: number[]): WebGPUProgram {
  const [rows, d] = rowsAndWidth(shape);
  return program(
    `kd_ln_dgb_${rows}_${d}`,
    ['X', 'DY', 'S'],
    [2 * d],
    d,
    `
${consts(rows, d)}
fn main(j : i32) {
  if (j >= D) { return; }
  var acc = 0.0;
  var accB = 0.0;
  for (var r = 0; r < ROWS; r++) {
    let dy = DY[r * D + j];
    acc += dy * (X[r * D + j] - S[r * 2]) * S[r * 2 + 1];
    accB += dy;
  }
  setOutputAtIndex(j, acc);
  setOutputAtIndex(D + j, accB);
}`,
  );
}

/** out[j] = sum over rows of dy (linear layers' bias gradient, columnSum in fused-ops.ts). */
function columnSumProgram(shape: number[]): WebGPUProgram {
  const [rows, d] = rowsAndWidth(shape);
  return program(
    `kd_colsum_${rows}_${d}`,
    ['DY'],
    [d],
    d,
    `
${consts(rows, d)}
fn main(j : i32) {
  if (j >= D) { return; }
  var acc = 0.0;
  for (var r = 0; r < ROWS; r++) { acc += DY[r * D + j]; }
  setOutputAtIndex(j, acc);
}`,
  );
}

function geluProgram(shape: number[]): WebGPUProgram {
  const size = tf.util.sizeFromShape(shape);
  return program(
    `kd_gelu_${size}`,
    ['X'],
    shape,
    size,
    `
const SIZE : i32 = ${size};
${ERF_WGSL}
fn main(i : i32) {
  if (i >= SIZE) { return; }
  let x = X[i];
  setOutputAtIndex(i, 0.5 * x * (1.0 + erfApprox(x * 0.7071067811865476)));
}`,
  );
}

/** d gelu / dx = Phi(x) + x * phi(x). */
function geluGradProgram(shape: number[]): WebGPUProgram {
  const size = tf.util.sizeFromShape(shape);
  return program(
    `kd_gelu_dx_${size}`,
    ['X', 'DY'],
    shape,
    size,
    `
const SIZE : i32 = ${size};
${ERF_WGSL}
fn main(i : i32) {
  if (i >= SIZE) { return; }
  let x = X[i];
  let cdf = 0.5 * (1.0 + erfApprox(x * 0.7071067811865476));
  let pdf = 0.3989422804014327 * exp(-0.5 * x * x);
  setOutputAtIndex(i, DY[i] * (cdf + x * pdf));
}`,
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
  );
}

let registered = false;

/** Registers the fused kernels and their gradients for the webgpu backend (idempotent). */
export function registerWebGpuKernels(): void {
  if (registered) return;
  registered = true;
  const eps = (attrs: tf.NamedAttrMap) => attrs.eps as number;
  register(KERNELS.layerNorm, ([x], a) => layerNormProgram(x!.shape, eps(a)), ['X', 'G', 'B']);
  register(KERNELS.layerNormGradX, ([x], a) => layerNormGradXProgram(x!.shape, eps(a)), ['X', 'G', 'DY']);
  register(KERNELS.rowStats, ([x], a) => rowStatsProgram(x!.shape, eps(a)), ['X']);
  register(KERNELS.layerNormGradGammaBeta, ([x]) => layerNormGradGammaBetaProgram(x!.shape), [
    'X',
    'DY',
    'S',
  ]);
  register(KERNELS.columnSum, ([dy]) => columnSumProgram(dy!.shape), ['DY']);
  register(KERNELS.gelu, ([x]) => geluProgram(x!.shape), ['X']);
  register(KERNELS.geluGrad, ([x]) => geluGradProgram(x!.shape), ['X', 'DY']);
  register(KERNELS.softmax, ([x]) => softmaxProgram(x!.shape), ['X']);
  register(KERNELS.softmaxGrad, ([y]) => softmaxGradProgram(y!.shape), ['Y', 'DY']);
  registerAttentionKernels();
  registerRelationKernels();
  registerKdKernels();
  registerAdamWKernels();
  registerPrependKernel();

  const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
    tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;

  tf.registerGradient({
    kernelName: KERNELS.layerNorm,
    inputsToSave: ['X', 'G'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      const d = gamma.size;
      // Gamma's and beta's gradients come from one kernel, made here rather than in either
      // closure: the tape disposes what one input's gradient made before the next one runs.
      // Both are wanted whenever one is (the LayerNorm's own parameters).
      const packed = run(KERNELS.layerNormGradGammaBeta, {
        X: x,
        DY: g,
        S: run(KERNELS.rowStats, { X: x }, attrs),
      });
      const [dGamma, dBeta] = tf
        .engine()
        .runKernel(KERNELS.splitCopy, { X: packed }, { sizes: [d, d] }) as tf.Tensor[];
      return {
        X: () => run(KERNELS.layerNormGradX, { X: x, G: gamma, DY: g }, attrs),
        G: () => dGamma!.reshape(gamma.shape),
        B: () => dBeta!.reshape(gamma.shape),
      };
    },
  });
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

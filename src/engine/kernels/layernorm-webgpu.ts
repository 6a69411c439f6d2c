/**
 * LayerNorm as WGSL kernels on TF.js's WebGPU backend, with its gradient, and the residual
 * add fused into the LayerNorm after it.
 *
 * In a pre-norm ViT every residual add is followed by a LayerNorm (the next sub-block's, or
 * the final norm): s = x + a, y = LN(s), with s the new residual stream. KdAddLayerNorm
 * computes both in one dispatch, into one packed output that buffer copies cut apart
 * (buffer-copy-webgpu.ts). Backward, dx = da = ds + LN'(dy) is one row kernel too, where the
 * plain ops run the LayerNorm's gradient and then an add (s feeds both the next add and the
 * LayerNorm). The row kernel also writes each row's mean and 1/std, which the gamma/beta
 * kernel reads; that kernel also sums dx's columns, the bias gradient of the linear layer
 * that made the branch a (offered to columnSum in fused-ops.ts).
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: X, G, B are kernel input names in gradient maps, not React components.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { runPacked } from './buffer-copy-webgpu';
import { attrWeight, KERNELS, offerColumnSum, sameData } from './fused-ops';
import { perLane, treeSumSteps, WORKGROUP_SIZE } from './kernel-cost';
import {
  consts,
  groupProgram,
  register,
  registerMulti,
  rowProgram,
  rowsAndWidth,
  treeSum,
} from './webgpu-program';

/** y = (x - mean) * rstd * G + B, of the row sum X (+ A with `add`), written at `yAt`. */
function normaliseRow(add: boolean, yAt: string): string {
  const xAt = add ? '(X[base + j] + A[base + j])' : 'X[base + j]';
  return `
  var mean = 0.0;
  for (var j = 0; j < D; j++) { mean += ${xAt}; }
  mean = mean / f32(D);
  var sq = 0.0;
  for (var j = 0; j < D; j++) { let c = ${xAt} - mean; sq += c * c; }
  let rstd = inverseSqrt(sq / f32(D) + EPS);
  for (var j = 0; j < D; j++) {
    let x = ${xAt};
    ${add ? 'setOutputAtIndex(base + j, x);' : ''}
    setOutputAtIndex(${yAt} + base + j, (x - mean) * rstd * G[j] + B[j]);
  }`;
}

function layerNormProgram(shape: number[], eps: number): WebGPUProgram {
  return rowProgram('ln', ['X', 'G', 'B'], shape, shape, normaliseRow(false, '0'), eps, 3);
}

/** [s, y] packed in one [2, ...shape] output: s = X + A, y = LN(s). */
function addLayerNormProgram(shape: number[], eps: number): WebGPUProgram {
  const n = tf.util.sizeFromShape(shape);
  return rowProgram('addln', ['X', 'A', 'G', 'B'], shape, [2 * n], normaliseRow(true, `${n}`), eps, 3);
}

/**
 * [dx, stats] packed: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma, plus
 * DS with `residual` (the gradient of the add's output, flowing past the LayerNorm); then
 * each row's mean and 1/std, [rows, 2], for the gamma gradient.
 */
function layerNormGradXProgram(shape: number[], eps: number, residual: boolean): WebGPUProgram {
  const [rows] = rowsAndWidth(shape);
  const n = tf.util.sizeFromShape(shape);
  return rowProgram(
    residual ? 'ln_dx_res' : 'ln_dx',
    residual ? ['X', 'G', 'DY', 'DS'] : ['X', 'G', 'DY'],
    shape,
    [n + 2 * rows],
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
    let dx = s.y * (DY[base + j] * G[j] - meanG - xhat * meanGX);
    setOutputAtIndex(base + j, ${residual ? 'DS[base + j] + dx' : 'dx'});
  }
  setOutputAtIndex(${n} + row * 2, s.x);
  setOutputAtIndex(${n} + row * 2 + 1, s.y);`,
    eps,
    2,
  );
}

/**
 * [dgamma, dbeta] packed in one [2D] output: dy * xhat and dy summed over the rows, with the
 * rows' statistics S from the dx kernel, a workgroup per channel whose lanes split the rows
 * (one thread per channel walked all the rows alone). With `residual`, also the column sums of
 * DX (the add's gradient: the bias gradient of the layer before), [3D].
 */
function layerNormGradGammaBetaProgram(shape: number[], residual: boolean): WebGPUProgram {
  const [rows, d] = rowsAndWidth(shape);
  const terms = residual ? 3 : 2;
  return groupProgram(
    `kd_ln_dgb${residual ? '_res' : ''}_${rows}_${d}`,
    residual ? ['X', 'DY', 'S', 'DX'] : ['X', 'DY', 'S'],
    [terms * d],
    d,
    `
${consts(rows, d)}
var<workgroup> part : array<f32, ${terms * WORKGROUP_SIZE}>;
fn main(index : i32) {
  let j = GROUP;
  var acc = 0.0;
  var accB = 0.0;
  var accX = 0.0;
  for (var r = LANE; r < ROWS; r += ${WORKGROUP_SIZE}) {
    let dy = DY[r * D + j];
    acc += dy * (X[r * D + j] - S[r * 2]) * S[r * 2 + 1];
    accB += dy;
    ${residual ? 'accX += DX[r * D + j];' : ''}
  }
  part[LANE] = acc;
  part[${WORKGROUP_SIZE} + LANE] = accB;
  ${residual ? `part[${2 * WORKGROUP_SIZE} + LANE] = accX;` : ''}
  ${treeSum('part', terms)}
  if (LANE == 0) {
    setOutputAtIndex(j, part[0]);
    setOutputAtIndex(D + j, part[${WORKGROUP_SIZE}]);
    ${residual ? `setOutputAtIndex(2 * D + j, part[${2 * WORKGROUP_SIZE}]);` : ''}
  }
}`,
    { serialSteps: perLane(rows) + treeSumSteps(terms), flops: (terms + 2) * rows * d },
  );
}

const eps = (attrs: tf.NamedAttrMap) => attrs.eps as number;

/**
 * Gradients of LN(x) at x (the LayerNorm's input, saved) for output gradient dy, plus ds
 * when given: [dx (+ ds), dgamma, dbeta], from two dispatches.
 */
function layerNormGrads(
  x: tf.Tensor,
  gamma: tf.Tensor,
  dy: tf.Tensor,
  ds: tf.Tensor | null,
  attrs: tf.NamedAttrMap,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const run = (name: string, inputs: tf.NamedTensorMap, a: tf.NamedAttrMap = {}) =>
    tf.engine().runKernel(name, inputs, a) as tf.Tensor | tf.Tensor[];
  const [dx, stats] = (
    ds
      ? run(KERNELS.layerNormGradXResidual, { X: x, G: gamma, DY: dy, DS: ds }, { eps: eps(attrs) })
      : run(KERNELS.layerNormGradX, { X: x, G: gamma, DY: dy }, { eps: eps(attrs) })
  ) as [tf.Tensor, tf.Tensor];
  const [dGamma, dBeta, dxSum] = (
    ds
      ? run(KERNELS.layerNormGradGammaBetaResidual, { X: x, DY: dy, S: stats, DX: dx })
      : run(KERNELS.layerNormGradGammaBeta, { X: x, DY: dy, S: stats })
  ) as tf.Tensor[];
  stats.dispose();
  if (dxSum) offerColumnSum(dx, dxSum as tf.Tensor1D);
  // gamma is [D] in every model here: a reshape (a kernel each) only for another shape.
  const shaped = (t: tf.Tensor) => (tf.util.arraysEqual(t.shape, gamma.shape) ? t : t.reshape(gamma.shape));
  return [dx, shaped(dGamma!), shaped(dBeta!)];
}

/** Registers KdLayerNorm, KdAddLayerNorm and their gradient kernels (called by webgpu.ts). */
export function registerLayerNormKernels(): void {
  register(KERNELS.layerNorm, ([x], a) => layerNormProgram(x!.shape, eps(a)), ['X', 'G', 'B']);
  registerMulti(KERNELS.addLayerNorm, ['X', 'A', 'G', 'B'], [], ([x, ...rest], backend, a) =>
    runPacked(backend, addLayerNormProgram(x!.shape, eps(a)), [x!, ...rest], [x!.shape, x!.shape]),
  );
  // The residual variants, KdAddLayerNorm's gradient: dx plus DS, and also DX's column sums.
  for (const residual of [false, true]) {
    const gradX = residual ? KERNELS.layerNormGradXResidual : KERNELS.layerNormGradX;
    registerMulti(gradX, residual ? ['X', 'G', 'DY', 'DS'] : ['X', 'G', 'DY'], [], (list, backend, a) => {
      const shape = list[0]!.shape;
      const rows = rowsAndWidth(shape)[0];
      return runPacked(backend, layerNormGradXProgram(shape, eps(a), residual), list, [shape, [rows, 2]]);
    });
    const gradGB = residual ? KERNELS.layerNormGradGammaBetaResidual : KERNELS.layerNormGradGammaBeta;
    registerMulti(gradGB, residual ? ['X', 'DY', 'S', 'DX'] : ['X', 'DY', 'S'], [], (list, backend) => {
      const d = rowsAndWidth(list[0]!.shape)[1];
      const parts = residual ? [[d], [d], [d]] : [[d], [d]];
      return runPacked(backend, layerNormGradGammaBetaProgram(list[0]!.shape, residual), list, parts);
    });
  }

  // gamma, a variable, comes through the attrs (weightAttrs in fused-ops.ts), not saved.
  tf.registerGradient({
    kernelName: KERNELS.layerNorm,
    inputsToSave: ['X'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const gamma = attrWeight(attrs);
      // Made here rather than in the closures: the tape disposes what one input's gradient
      // made before the next one runs, and all three come from the same two kernels.
      const [dx, dGamma, dBeta] = layerNormGrads(x, gamma, dy as tf.Tensor, null, attrs);
      return { X: () => dx, G: () => dGamma, B: () => dBeta };
    },
  });
  tf.registerGradient({
    kernelName: KERNELS.addLayerNorm,
    outputsToSave: [true, false],
    gradFunc: (dys, saved, attrs) => {
      const [ds, dy] = dys as tf.Tensor[];
      const [s] = saved as [tf.Tensor];
      const gamma = attrWeight(attrs);
      const [dx, dGamma, dBeta] = layerNormGrads(s, gamma, dy!, ds!, attrs);
      // s = x + a: both get the same gradient, each its own tensor on the same data.
      return { X: () => dx, A: () => sameData(dx), G: () => dGamma, B: () => dBeta };
    },
  });
}

/**
 * The flat AdamW's update (optim-flat.ts) as one WGSL kernel on TF.js's WebGPU backend. The
 * plain version is about fifteen elementwise kernels, then a slice kernel per variable
 * (tf.split): ~50 dispatches. KdAdamW writes [m', v', p'] packed in one [3N] output (a TF.js
 * program has one output); KdSplitCopy (buffer-copy-webgpu.ts) cuts it into the variables.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { KERNELS } from './fused-ops';
import { program, register } from './webgpu-program';

/** Order of the per-step scalars in the S input of KdAdamW. */
export const ADAMW_SCALARS = [
  'stepSize',
  'epsHat',
  'lrTimesDecay',
  'beta1',
  'oneMinusBeta1',
  'beta2',
  'oneMinusBeta2',
];

/**
 * Per element, the same ops in the same order as FlatAdamW's plain path (and optim-math.ts'
 * clipFactor): SUMSQ[0] is the squared norm of all gradients, clipped to `maxNorm` when that
 * is positive (optim-math.ts' clipFactor, per thread: one dispatch instead of four); FLAGS is decay (1/0) + 2 * present (1/0),
 * one input for two masks since a stage may bind only 8 storage buffers. An element whose
 * parameter got no gradient keeps its parameter and moments.
 */
function adamWProgram(n: number, maxNorm: number): WebGPUProgram {
  return program(
    `kd_adamw_${n}_${maxNorm}`,
    ['G', 'P', 'M', 'V', 'FLAGS', 'SUMSQ', 'S'],
    [3 * n],
    n,
    `
const N : i32 = ${n}; const MAXNORM : f32 = ${maxNorm.toExponential(9)};
fn main(i : i32) {
  if (i >= N) { return; }
  let p = P[i];
  let flags = FLAGS[i];
  if (flags < 1.5) {
    setOutputAtIndex(i, M[i]);
    setOutputAtIndex(N + i, V[i]);
    setOutputAtIndex(2 * N + i, p);
    return;
  }
  var clip = 1.0;
  if (MAXNORM > 0.0) { clip = min(1.0, MAXNORM / (sqrt(SUMSQ[0]) + 1e-6)); }
  let g = G[i] * clip;
  let m = M[i] * S[3] + g * S[4];
  let v = V[i] * S[5] + (g * g) * S[6];
  let next = p - m / (sqrt(v) + S[1]) * S[0];
  setOutputAtIndex(i, m);
  setOutputAtIndex(N + i, v);
  setOutputAtIndex(2 * N + i, next - p * ((flags - 2.0) * S[2]));
}`,
  );
}

/** Registers KdAdamW (called by webgpu.ts); it has no gradient. */
export function registerAdamWKernels(): void {
  register(KERNELS.adamW, ([g], a) => adamWProgram(tf.util.sizeFromShape(g!.shape), a.maxNorm as number), [
    'G',
    'P',
    'M',
    'V',
    'FLAGS',
    'SUMSQ',
    'S',
  ]);
}

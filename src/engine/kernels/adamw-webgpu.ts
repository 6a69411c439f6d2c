/**
 * The flat AdamW's update (optim-flat.ts) as one WGSL kernel on TF.js's WebGPU backend. The
 * plain version is about fifteen elementwise kernels, then a slice kernel per variable
 * (tf.split): ~50 dispatches. KdAdamW writes [m', v', p'] packed in one [3N] output (a TF.js
 * program has one output); KdSplitCopy (buffer-copy-webgpu.ts) cuts it into the variables.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { KERNELS } from './fused-ops';
import { perLane, treeSumSteps, WORKGROUP_SIZE } from './kernel-cost';
import { groupProgram, program, register, treeSum } from './webgpu-program';

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
 * clipFactor): SUMSQ holds partial sums of the squared gradients (KdSquaredNormParts, or one
 * entry holding the whole sum), which each workgroup adds up by a tree before its lanes clip
 * to `maxNorm` when that is positive (optim-math.ts' clipFactor: one dispatch instead of four);
 * FLAGS is decay (1/0) + 2 * present (1/0), one input for two masks since a stage may bind only
 * 8 storage buffers. An element whose parameter got no gradient keeps its parameter and moments.
 */
function adamWProgram(n: number, parts: number, maxNorm: number): WebGPUProgram {
  return program(
    `kd_adamw_${n}_${parts}_${maxNorm}`,
    ['G', 'P', 'M', 'V', 'FLAGS', 'SUMSQ', 'S'],
    [3 * n],
    n,
    `
const N : i32 = ${n}; const NP : i32 = ${parts}; const MAXNORM : f32 = ${maxNorm.toExponential(9)};
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(i : i32) {
  let LANE = i32(localId.x);
  var sum = 0.0;
  for (var k = LANE; k < NP; k += ${WORKGROUP_SIZE}) { sum += SUMSQ[k]; }
  part[LANE] = sum;
  ${treeSum('part')}
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
  if (MAXNORM > 0.0) { clip = min(1.0, MAXNORM / (sqrt(part[0]) + 1e-6)); }
  let g = G[i] * clip;
  let m = M[i] * S[3] + g * S[4];
  let v = V[i] * S[5] + (g * g) * S[6];
  let next = p - m / (sqrt(v) + S[1]) * S[0];
  setOutputAtIndex(i, m);
  setOutputAtIndex(N + i, v);
  setOutputAtIndex(2 * N + i, next - p * ((flags - 2.0) * S[2]));
}`,
    { serialSteps: perLane(parts) + treeSumSteps(), flops: 14 * n },
  );
}

/** Squared gradients summed by each workgroup over NORM_CHUNK entries, its lanes taking every 64th. */
const NORM_CHUNK = 32 * WORKGROUP_SIZE;

/**
 * [ceil(N / 2048)] partial sums of g^2 (the clip norm's), a workgroup per 2,048 entries: the
 * [1, N] x [N, 1] product it replaces ran on 256 threads of a few thousand steps each.
 */
function squaredNormPartsProgram(n: number): WebGPUProgram {
  const parts = Math.ceil(n / NORM_CHUNK);
  return groupProgram(
    `kd_sumsq_parts_${n}`,
    ['G'],
    [parts],
    parts,
    `
const N : i32 = ${n};
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  let start = GROUP * ${NORM_CHUNK};
  let end = min(start + ${NORM_CHUNK}, N);
  var sum = 0.0;
  for (var k = start + LANE; k < end; k += ${WORKGROUP_SIZE}) { let g = G[k]; sum += g * g; }
  part[LANE] = sum;
  ${treeSum('part')}
  if (LANE == 0) { setOutputAtIndex(GROUP, part[0]); }
}`,
    { serialSteps: NORM_CHUNK / WORKGROUP_SIZE + treeSumSteps(), flops: 2 * n },
  );
}

/** Registers KdAdamW and KdSquaredNormParts (called by webgpu.ts); neither has a gradient. */
export function registerAdamWKernels(): void {
  register(
    KERNELS.adamW,
    ([g, , , , , sumsq], a) =>
      adamWProgram(tf.util.sizeFromShape(g!.shape), tf.util.sizeFromShape(sumsq!.shape), a.maxNorm as number),
    ['G', 'P', 'M', 'V', 'FLAGS', 'SUMSQ', 'S'],
  );
  register(KERNELS.squaredNormParts, ([g]) => squaredNormPartsProgram(tf.util.sizeFromShape(g!.shape)), [
    'G',
  ]);
}

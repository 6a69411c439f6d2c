/**
 * The batch accuracy that every training step reports (step.ts' batchAccuracy) as one WGSL
 * kernel, where the plain version is an argmax, an equal, a cast and a mean: four dispatches
 * a step for one number. One workgroup reads the [B, C] logits, a row a lane, and writes the
 * fraction of rows whose largest logit is at the row's label; the first of equal largest
 * logits wins, as tf.argMax's. Metrics only: it has no gradient.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { KERNELS } from './fused-ops';
import { perLane, treeSumSteps, WORKGROUP_SIZE } from './kernel-cost';
import { groupProgram, register, treeSum } from './webgpu-program';

function accuracyProgram(shape: number[]): WebGPUProgram {
  if (shape.length !== 2) throw new Error(`Fused accuracy needs logits [B, C], got [${shape}].`);
  const [b, c] = shape as [number, number];
  return groupProgram(
    `kd_accuracy_${b}_${c}`,
    ['X', 'Y'],
    [],
    1,
    `
const NB : i32 = ${b}; const NC : i32 = ${c};
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  var hits = 0.0;
  for (var r = LANE; r < NB; r += ${WORKGROUP_SIZE}) {
    var best = 0;
    for (var j = 1; j < NC; j++) { if (X[r * NC + j] > X[r * NC + best]) { best = j; } }
    if (best == Y[r]) { hits += 1.0; }
  }
  part[LANE] = hits;
  ${treeSum('part')}
  if (LANE == 0) { setOutputAtIndex(0, part[0] / f32(NB)); }
}`,
    { serialSteps: perLane(b) * c + treeSumSteps(), flops: b * c },
  );
}

/** Registers KdAccuracy (called by webgpu.ts): logits X [B, C] float32, labels Y [B] int32. */
export function registerAccuracyKernel(): void {
  register(KERNELS.accuracy, ([x]) => accuracyProgram(x!.shape), ['X', 'Y'], ['Y']);
}

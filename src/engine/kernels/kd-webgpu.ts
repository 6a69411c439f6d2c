/**
 * Soft knowledge distillation (losses.ts' kdLoss, kind 'soft') as one WGSL kernel forward
 * and one for the student's gradient, on TF.js's WebGPU backend. The teacher's logits come
 * from its frozen forward pass: they get no gradient. With p = softmax(s / tau),
 * q = softmax(t / tau) per row of B rows:
 *   forward:  tau^2 / B * sum over rows and classes of q (log q - log p)   (one workgroup, a row a lane)
 *   gradient: d s = dy * tau / B * (p - q)                                  (one thread per row)
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: S, T are kernel input names in gradient maps, not React components.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { KERNELS } from './fused-ops';
import { perLane, treeSumSteps, WORKGROUP_SIZE } from './kernel-cost';
import { groupProgram, program, register, treeSum } from './webgpu-program';

/** WGSL: largest entry and log of the softmax denominator of row r of logits X (S or T), over tau. */
function rowStats(x: 'S' | 'T'): string {
  return `fn stats${x}(r : i32) -> vec2<f32> {
  var m = ${x}[r * NC] / TAU;
  for (var c = 1; c < NC; c++) { m = max(m, ${x}[r * NC + c] / TAU); }
  var l = 0.0;
  for (var c = 0; c < NC; c++) { l += exp(${x}[r * NC + c] / TAU - m); }
  return vec2<f32>(m, log(l));
}`;
}

function header(shape: number[], tau: number): string {
  if (shape.length !== 2) throw new Error(`Fused KD needs logits [B, C], got [${shape}].`);
  return `
const NB : i32 = ${shape[0]}; const NC : i32 = ${shape[1]}; const TAU : f32 = ${tau.toExponential(9)};
${rowStats('S')}
${rowStats('T')}`;
}

function key(name: string, shape: number[], tau: number): string {
  return `kd_${name}_${shape.join('_')}_${tau}`;
}

function kdProgram(shape: number[], tau: number): WebGPUProgram {
  const [b, c] = shape as [number, number];
  return groupProgram(
    key('softkd', shape, tau),
    ['S', 'T'],
    [1],
    1,
    `${header(shape, tau)}
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  var total = 0.0;
  for (var r = LANE; r < NB; r += ${WORKGROUP_SIZE}) {
    let ps = statsS(r);
    let pt = statsT(r);
    var row = 0.0;
    for (var c = 0; c < NC; c++) {
      let logQ = T[r * NC + c] / TAU - pt.x - pt.y;
      let logP = S[r * NC + c] / TAU - ps.x - ps.y;
      row += exp(logQ) * (logQ - logP);
    }
    total += row;
  }
  part[LANE] = total;
  ${treeSum('part')}
  if (LANE == 0) { setOutputAtIndex(0, part[0] / f32(NB) * TAU * TAU); }
}`,
    // Each row: the two sides' largest entry and denominator (two passes each), then the sum.
    { serialSteps: perLane(b) * 5 * c + treeSumSteps(), flops: 12 * b * c },
  );
}

function kdGradProgram(shape: number[], tau: number): WebGPUProgram {
  return program(
    key('softkd_ds', shape, tau),
    ['S', 'T', 'DY'],
    shape,
    shape[0]!,
    `${header(shape, tau)}
fn main(r : i32) {
  if (r >= NB) { return; }
  let ps = statsS(r);
  let pt = statsT(r);
  let scale = DY[0] * TAU / f32(NB);
  for (var c = 0; c < NC; c++) {
    let p = exp(S[r * NC + c] / TAU - ps.x - ps.y);
    let q = exp(T[r * NC + c] / TAU - pt.x - pt.y);
    setOutputAtIndex(r * NC + c, scale * (p - q));
  }
}`,
    { serialSteps: 5 * shape[1]!, flops: 12 * shape[0]! * shape[1]! },
  );
}

/** Registers the soft-KD kernels and the forward's gradient (called by webgpu.ts). */
export function registerKdKernels(): void {
  const tau = (a: tf.NamedAttrMap) => a.tau as number;
  register(KERNELS.softKd, ([s], a) => kdProgram(s!.shape, tau(a)), ['S', 'T']);
  register(KERNELS.softKdGrad, ([s], a) => kdGradProgram(s!.shape, tau(a)), ['S', 'T', 'DY']);
  tf.registerGradient({
    kernelName: KERNELS.softKd,
    inputsToSave: ['S', 'T'],
    gradFunc: (dy, saved, attrs) => {
      const [s, t] = saved as [tf.Tensor, tf.Tensor];
      return {
        S: () =>
          tf.engine().runKernel(KERNELS.softKdGrad, { S: s, T: t, DY: dy as tf.Tensor }, attrs) as tf.Tensor,
        T: () => {
          throw new Error('The fused KD loss has no teacher gradient: the teacher must be frozen.');
        },
      };
    },
  });
}

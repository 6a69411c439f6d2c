/**
 * The three relation terms of one layer pair (losses.ts' manifoldTerms) as WGSL kernels on
 * TF.js's WebGPU backend: two forward (per-row partial sums, then the three means) and one
 * for the student's gradient. The inputs are each side's block output [B, prefix + N, D] as
 * the model wrote it (cls and distillation tokens first: the kernels skip them, so no slice
 * and no gradient pad is dispatched) and the K sample indices, which count patch tokens only
 * (b * N + n); normalising, the three cosine maps and their squared
 * differences all happen inside, so none of those [B, N, N]-sized tensors is ever stored.
 * The teacher is frozen: its side has no gradient.
 *
 * With f = x / max(|x|, eps) per token and cos_pq = f_p . f_q on each side, d = cos_s - cos_t:
 *   intra  = mean over (b, i, j) of d^2 for tokens (b, i), (b, j)        [B, N, N]
 *   inter  = mean over (n, b, c) of d^2 for tokens (b, n), (c, n)        [N, B, B]
 *   random = mean over (a, a') of d^2 for tokens idx[a], idx[a']         [K, K]
 * Each map is symmetric, so dL/df_p = sum over the map's entries in p's row of 4 d w f_q / size,
 * with w the term's upstream gradient; then dx = (g - f (f . g)) / |x| (g / eps below eps).
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: XS, XT are kernel input names in gradient maps, not React components.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { KERNELS, sameData } from './fused-ops';
import {
  perLane,
  type RelationShape,
  relationKernelFits,
  relationSerialSteps,
  WORKGROUP_SIZE,
} from './kernel-cost';
import { groupProgram, register, registerMulti, treeSum } from './webgpu-program';

/** torch.nn.functional.normalize's floor, as losses.ts' NORM_EPS. */
const NORM_EPS = 1e-12;

interface RelationDims extends RelationShape {
  batch: number;
  /** Patch tokens per image (N). */
  tokens: number;
  ds: number;
  dt: number;
  k: number;
  /** Tokens before the patches in each image's rows (cls, distillation), student and teacher. */
  ps: number;
  pt: number;
  /** Factor on the three terms (1 / the layer pairs: the step's mean over pairs). */
  scale: number;
}

function dims(s: number[], t: number[], idx: number[], ps: number, pt: number, scale: number): RelationDims {
  const [batch, rowsS, ds] = s as [number, number, number];
  const tokens = rowsS - ps;
  if (s.length !== 3 || t.length !== 3 || t[0] !== batch || t[1]! - pt !== tokens || idx.length !== 1) {
    throw new Error(
      `Fused relation loss needs student [B, ${ps} + N, Ds], teacher [B, ${pt} + N, Dt], indices [K]; got [${s}], [${t}], [${idx}].`,
    );
  }
  const d = { batch, tokens, ds, dt: t[2]!, k: idx[0]!, ps, pt, scale };
  if (!relationKernelFits(d)) {
    throw new Error(
      `Fused relation loss: [B ${batch}, N ${tokens}, Ds ${ds}, Dt ${d.dt}, K ${d.k}] needs more loop iterations a thread than its kernels allow; the plain ops take this shape.`,
    );
  }
  return d;
}

function key(name: string, d: RelationDims): string {
  return `kd_${name}_${d.batch}_${d.tokens}_${d.ds}_${d.dt}_${d.k}_${d.ps}_${d.pt}_${d.scale}`;
}

function consts(d: RelationDims): string {
  return `
const NB : i32 = ${d.batch}; const NN : i32 = ${d.tokens}; const DS : i32 = ${d.ds};
const DT : i32 = ${d.dt}; const NK : i32 = ${d.k}; const EPS : f32 = ${NORM_EPS.toExponential()};
const PS : i32 = ${d.ps}; const PT : i32 = ${d.pt}; const SCALE : f32 = ${d.scale.toExponential(9)};`;
}

/**
 * Constants and the cosine difference of two patch tokens (reads XS and XT). Patch token
 * p = b * N + n starts at row b * (prefix + N) + prefix + n of its side's block output.
 */
function header(d: RelationDims): string {
  return `${consts(d)}
fn rowS(p : i32) -> i32 { return ((p / NN) * (PS + NN) + PS + p % NN) * DS; }
fn rowT(p : i32) -> i32 { return ((p / NN) * (PT + NN) + PT + p % NN) * DT; }
fn normS(p : i32) -> f32 {
  let o = rowS(p);
  var s = 0.0;
  for (var c = 0; c < DS; c++) { let x = XS[o + c]; s += x * x; }
  return sqrt(s);
}
fn normT(p : i32) -> f32 {
  let o = rowT(p);
  var s = 0.0;
  for (var c = 0; c < DT; c++) { let x = XT[o + c]; s += x * x; }
  return sqrt(s);
}
// cos_s - cos_t of tokens p and q, given the clamped norms of p on each side; q's norms are
// summed in the same pass as the dot products (DS + DT iterations). With \`nq\`, also
// q's clamped student norm, which the gradient divides by.
fn diffAndNorm(p : i32, q : i32, nsp : f32, ntp : f32) -> vec2<f32> {
  let sp = rowS(p);
  let sq = rowS(q);
  var dot = 0.0;
  var nn = 0.0;
  for (var c = 0; c < DS; c++) { let x = XS[sq + c]; dot += XS[sp + c] * x; nn += x * x; }
  let nsq = max(sqrt(nn), EPS);
  let cs = dot / (nsp * nsq);
  let tp = rowT(p);
  let tq = rowT(q);
  dot = 0.0;
  nn = 0.0;
  for (var c = 0; c < DT; c++) { let x = XT[tq + c]; dot += XT[tp + c] * x; nn += x * x; }
  let ct = dot / (ntp * max(sqrt(nn), EPS));
  return vec2<f32>(cs - ct, nsq);
}`;
}

/** Multiply-adds of all the forward's cosines (each pair's two dot products and q's norms). */
function forwardFlops(d: RelationDims): number {
  const pairs = d.batch * d.tokens * d.tokens + d.tokens * d.batch * d.batch + d.k * d.k;
  return 4 * pairs * (d.ds + d.dt);
}

/**
 * [2BN + K]: row sums of d^2, a workgroup per row whose lanes split the row's cosines. Rows
 * 0..BN are intra rows (token (b, i) against its image), BN..2BN inter rows (image b at
 * position n against the other images), then the K sampled rows.
 */
function partialsProgram(d: RelationDims): WebGPUProgram {
  const rows = 2 * d.batch * d.tokens + d.k;
  return groupProgram(
    key('rel_rows', d),
    ['XS', 'XT', 'IDX'],
    [rows],
    rows,
    `${header(d)}
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  let r = GROUP;
  // The row's token p, and how its partners q are found: q = first + j * step for j < count,
  // or IDX[j] for the sampled rows.
  var p = 0;
  var first = 0;
  var step = 1;
  var count = NK;
  if (r < NB * NN) {
    p = r;
    first = (r / NN) * NN;
    count = NN;
  } else if (r < 2 * NB * NN) {
    let q = r - NB * NN;
    let n = q / NB;
    p = (q % NB) * NN + n;
    first = n;
    step = NN;
    count = NB;
  } else {
    p = IDX[r - 2 * NB * NN];
  }
  let sampled = r >= 2 * NB * NN;
  let nsp = max(normS(p), EPS);
  let ntp = max(normT(p), EPS);
  var acc = 0.0;
  for (var j = LANE; j < count; j += ${WORKGROUP_SIZE}) {
    var q = first + j * step;
    if (sampled) { q = IDX[j]; }
    let e = diffAndNorm(p, q, nsp, ntp).x;
    acc += e * e;
  }
  part[LANE] = acc;
  ${treeSum('part')}
  if (LANE == 0) { setOutputAtIndex(r, part[0]); }
}`,
    { serialSteps: relationSerialSteps(d).rows, flops: forwardFlops(d) },
  );
}

/**
 * [3]: intra, inter, random, each the mean of its rows' sums over its map's size, times SCALE,
 * a workgroup per term; with \`acc\`, plus the [3] vector ACC (the pairs before this one: no
 * add kernel between pairs).
 */
function meansProgram(d: RelationDims, acc: boolean): WebGPUProgram {
  return groupProgram(
    key(acc ? 'rel_means_acc' : 'rel_means', d),
    acc ? ['P', 'ACC'] : ['P'],
    [3],
    3,
    `${consts(d)}
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  let t = GROUP;
  let bn = NB * NN;
  var start = 0;
  var end = bn;
  var size = f32(NB) * f32(NN) * f32(NN);
  if (t == 1) { start = bn; end = 2 * bn; size = f32(NN) * f32(NB) * f32(NB); }
  if (t == 2) { start = 2 * bn; end = 2 * bn + NK; size = f32(NK) * f32(NK); }
  var sum = 0.0;
  for (var r = start + LANE; r < end; r += ${WORKGROUP_SIZE}) { sum += P[r]; }
  part[LANE] = sum;
  ${treeSum('part')}
  if (LANE == 0) { setOutputAtIndex(t, ${acc ? 'ACC[t] + ' : ''}part[0] / size * SCALE); }
}`,
    { serialSteps: relationSerialSteps(d).means, flops: 2 * d.batch * d.tokens + d.k },
  );
}

/**
 * d student [B, prefix + N, Ds] for upstream gradients DY [3] of (intra, inter, random), a
 * workgroup per patch token p: dL/df_p = sum over p's partners q of w_pq f_q, in chunks of 64
 * partners (each lane one partner's weight into workgroup memory, then each lane its channels
 * over the chunk); then through the normalisation, with a tree for f . g. The workgroup of a
 * token at n = 0 also writes its image's prefix rows, which are 0 (as a slice's gradient pads).
 * A token in the sample at several slots gets each slot's row: occ times the row.
 */
function gradProgram(d: RelationDims): WebGPUProgram {
  const channels = perLane(d.ds);
  const accumulate = (weight: string) => `
    for (var a = 0; a < ${WORKGROUP_SIZE}; a++) {
      let w = wq[a];
      let xq = rowS(qq[a]);
      for (var i = 0; i < ${channels}; i++) {
        let c = LANE + i * ${WORKGROUP_SIZE};
        if (c < DS) { g[i] += w * XS[xq + c]; }
      }
    }${weight}`;
  return groupProgram(
    key('rel_grad', d),
    ['XS', 'XT', 'IDX', 'DY'],
    [d.batch, d.ps + d.tokens, d.ds],
    d.batch * d.tokens,
    `${header(d)}
var<workgroup> wq : array<f32, ${WORKGROUP_SIZE}>;
var<workgroup> qq : array<i32, ${WORKGROUP_SIZE}>;
var<workgroup> part : array<f32, ${WORKGROUP_SIZE}>;
fn main(index : i32) {
  let p = GROUP;
  let b = p / NN;
  let n = p % NN;
  let xp = rowS(p);
  let ns = normS(p);
  let nsp = max(ns, EPS);
  let ntp = max(normT(p), EPS);
  var g : array<f32, ${channels}>;
  // Slots of the sample holding p: its row is added once per slot.
  var occ = 0.0;
  for (var a = 0; a < NK; a++) { if (IDX[a] == p) { occ += 1.0; } }
  for (var term = 0; term < 3; term++) {
    var count = NN;
    var scale = 4.0 * DY[0] * SCALE / (f32(NB) * f32(NN) * f32(NN));
    if (term == 1) { count = NB; scale = 4.0 * DY[1] * SCALE / (f32(NN) * f32(NB) * f32(NB)); }
    if (term == 2) { count = NK; scale = occ * 4.0 * DY[2] * SCALE / (f32(NK) * f32(NK)); }
    let chunks = (count + ${WORKGROUP_SIZE - 1}) / ${WORKGROUP_SIZE};
    for (var chunk = 0; chunk < chunks; chunk++) {
      let j = chunk * ${WORKGROUP_SIZE} + LANE;
      var q = p;
      var w = 0.0;
      if (j < count) {
        if (term == 0) { q = b * NN + j; }
        if (term == 1) { q = j * NN + n; }
        if (term == 2) { q = IDX[j]; }
        if (scale != 0.0) {
          let e = diffAndNorm(p, q, nsp, ntp);
          w = scale * e.x / e.y;
        }
      }
      wq[LANE] = w;
      qq[LANE] = q;
      workgroupBarrier();${accumulate('')}
      workgroupBarrier();
    }
  }
  // Through f = x / max(|x|, eps): project out the radial part, unless the floor holds.
  var fg = 0.0;
  if (ns >= EPS) {
    for (var i = 0; i < ${channels}; i++) {
      let c = LANE + i * ${WORKGROUP_SIZE};
      if (c < DS) { fg += XS[xp + c] / nsp * g[i]; }
    }
  }
  part[LANE] = fg;
  ${treeSum('part')}
  let out = (b * (PS + NN) + PS + n) * DS;
  for (var i = 0; i < ${channels}; i++) {
    let c = LANE + i * ${WORKGROUP_SIZE};
    if (c < DS) { setOutputAtIndex(out + c, (g[i] - XS[xp + c] / nsp * part[0]) / nsp); }
  }
  if (n == 0) {
    for (var c = LANE; c < PS * DS; c += ${WORKGROUP_SIZE}) { setOutputAtIndex(b * (PS + NN) * DS + c, 0.0); }
  }
}`,
    {
      serialSteps: relationSerialSteps(d).grad,
      flops: forwardFlops(d) + 2 * d.batch * d.tokens * (2 * d.tokens + d.k) * d.ds,
    },
  );
}

/** Registers the relation kernels and the forward's gradient (called by webgpu.ts). */
export function registerRelationKernels(): void {
  const d = (s: tf.TensorInfo, t: tf.TensorInfo, idx: tf.TensorInfo, a: tf.NamedAttrMap) =>
    dims(
      s.shape,
      t.shape,
      idx.shape,
      a.prefixStudent as number,
      a.prefixTeacher as number,
      a.scale as number,
    );
  const ints = ['IDX'];
  // KdRelationLoss2 also adds its fourth input, the previous pairs' [3] (one name per input count).
  for (const acc of [false, true]) {
    const order = acc ? ['XS', 'XT', 'IDX', 'ACC'] : ['XS', 'XT', 'IDX'];
    registerMulti(`${KERNELS.relationLoss}${acc ? 2 : 1}`, order, ints, (list, backend, attrs) => {
      const shape = d(list[0]!, list[1]!, list[2]!, attrs);
      const rows = backend.runWebGPUProgram(partialsProgram(shape), list.slice(0, 3), 'float32');
      const means = backend.runWebGPUProgram(
        meansProgram(shape, acc),
        acc ? [rows, list[3]!] : [rows],
        'float32',
      );
      backend.disposeData(rows.dataId);
      return means;
    });
  }
  register(
    KERNELS.relationGrad,
    ([s, t, i], a) => gradProgram(d(s!, t!, i!, a)),
    ['XS', 'XT', 'IDX', 'DY'],
    ints,
  );
  for (const acc of [false, true]) {
    tf.registerGradient({
      kernelName: `${KERNELS.relationLoss}${acc ? 2 : 1}`,
      inputsToSave: ['XS', 'XT', 'IDX'],
      gradFunc: (dy, saved, attrs) => {
        const [s, t, idx] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const g = dy as tf.Tensor;
        return {
          XS: () =>
            tf
              .engine()
              .runKernel(KERNELS.relationGrad, { XS: s, XT: t, IDX: idx, DY: g }, attrs) as tf.Tensor,
          XT: () => {
            throw new Error('The fused relation loss has no teacher gradient: the teacher must be frozen.');
          },
          // ACC is added as it is: its gradient is dy, as a tensor of its own (no copy).
          ...(acc ? { ACC: () => sameData(g, [3]) } : {}),
        };
      },
    });
  }
}

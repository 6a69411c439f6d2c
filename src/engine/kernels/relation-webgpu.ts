/**
 * The three relation terms of one layer pair (losses.ts' manifoldTerms) as WGSL kernels on
 * TF.js's WebGPU backend: two forward (per-row partial sums, then the three means) and one
 * for the student's gradient. The inputs are the raw patch tokens of each side [B, N, D]
 * and the K sample indices; normalising, the three cosine maps and their squared
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
import { KERNELS, RELATION_MAX_WIDTH } from './fused-ops';
import { program, register, registerMulti } from './webgpu-program';

/** torch.nn.functional.normalize's floor, as losses.ts' NORM_EPS. */
const NORM_EPS = 1e-12;

interface Dims {
  batch: number;
  tokens: number;
  ds: number;
  dt: number;
  k: number;
}

function dims(s: number[], t: number[], idx: number[]): Dims {
  const [batch, tokens, ds] = s as [number, number, number];
  if (s.length !== 3 || t.length !== 3 || t[0] !== batch || t[1] !== tokens || idx.length !== 1) {
    throw new Error(
      `Fused relation loss needs student [B, N, Ds], teacher [B, N, Dt], indices [K]; got [${s}], [${t}], [${idx}].`,
    );
  }
  if (ds > RELATION_MAX_WIDTH) {
    throw new Error(`Fused relation loss takes students up to ${RELATION_MAX_WIDTH} wide, got ${ds}.`);
  }
  return { batch, tokens, ds, dt: t[2]!, k: idx[0]! };
}

function key(name: string, d: Dims): string {
  return `kd_${name}_${d.batch}_${d.tokens}_${d.ds}_${d.dt}_${d.k}`;
}

function consts(d: Dims): string {
  return `
const NB : i32 = ${d.batch}; const NN : i32 = ${d.tokens}; const DS : i32 = ${d.ds};
const DT : i32 = ${d.dt}; const NK : i32 = ${d.k}; const EPS : f32 = ${NORM_EPS.toExponential()};`;
}

/** Constants and the cosine of two flat token indices on each side (reads XS and XT). */
function header(d: Dims): string {
  return `${consts(d)}
fn normS(p : i32) -> f32 {
  var s = 0.0;
  for (var c = 0; c < DS; c++) { let x = XS[p * DS + c]; s += x * x; }
  return sqrt(s);
}
fn normT(p : i32) -> f32 {
  var s = 0.0;
  for (var c = 0; c < DT; c++) { let x = XT[p * DT + c]; s += x * x; }
  return sqrt(s);
}
fn dotS(p : i32, q : i32) -> f32 {
  var s = 0.0;
  for (var c = 0; c < DS; c++) { s += XS[p * DS + c] * XS[q * DS + c]; }
  return s;
}
fn dotT(p : i32, q : i32) -> f32 {
  var s = 0.0;
  for (var c = 0; c < DT; c++) { s += XT[p * DT + c] * XT[q * DT + c]; }
  return s;
}
// cos_s - cos_t of tokens p and q, given the clamped norms of p on each side.
fn diff(p : i32, q : i32, nsp : f32, ntp : f32) -> f32 {
  let cs = dotS(p, q) / (nsp * max(normS(q), EPS));
  let ct = dotT(p, q) / (ntp * max(normT(q), EPS));
  return cs - ct;
}`;
}

/**
 * [2BN + K]: row sums of d^2. Rows 0..BN are intra rows (token (b, i) against its image),
 * BN..2BN inter rows (image b at position n against the other images), then the K sampled rows.
 */
function partialsProgram(d: Dims): WebGPUProgram {
  const rows = 2 * d.batch * d.tokens + d.k;
  return program(
    key('rel_rows', d),
    ['XS', 'XT', 'IDX'],
    [rows],
    rows,
    `${header(d)}
fn main(r : i32) {
  if (r >= 2 * NB * NN + NK) { return; }
  var acc = 0.0;
  if (r < NB * NN) {
    let b = r / NN;
    let nsp = max(normS(r), EPS);
    let ntp = max(normT(r), EPS);
    for (var j = 0; j < NN; j++) { let e = diff(r, b * NN + j, nsp, ntp); acc += e * e; }
  } else if (r < 2 * NB * NN) {
    let q = r - NB * NN;
    let n = q / NB;
    let p = (q % NB) * NN + n;
    let nsp = max(normS(p), EPS);
    let ntp = max(normT(p), EPS);
    for (var c = 0; c < NB; c++) { let e = diff(p, c * NN + n, nsp, ntp); acc += e * e; }
  } else {
    let p = IDX[r - 2 * NB * NN];
    let nsp = max(normS(p), EPS);
    let ntp = max(normT(p), EPS);
    for (var a = 0; a < NK; a++) { let e = diff(p, IDX[a], nsp, ntp); acc += e * e; }
  }
  setOutputAtIndex(r, acc);
}`,
  );
}

/** [3]: intra, inter, random, each the mean of its rows' sums over its map's size. */
function meansProgram(d: Dims): WebGPUProgram {
  return program(
    key('rel_means', d),
    ['P'],
    [3],
    3,
    `${consts(d)}
fn main(t : i32) {
  if (t >= 3) { return; }
  let bn = NB * NN;
  var start = 0;
  var end = bn;
  var size = f32(NB) * f32(NN) * f32(NN);
  if (t == 1) { start = bn; end = 2 * bn; size = f32(NN) * f32(NB) * f32(NB); }
  if (t == 2) { start = 2 * bn; end = 2 * bn + NK; size = f32(NK) * f32(NK); }
  var acc = 0.0;
  for (var r = start; r < end; r++) { acc += P[r]; }
  setOutputAtIndex(t, acc / size);
}`,
  );
}

/** d student [B, N, Ds] for upstream gradients DY [3] of (intra, inter, random). */
function gradProgram(d: Dims): WebGPUProgram {
  return program(
    key('rel_grad', d),
    ['XS', 'XT', 'IDX', 'DY'],
    [d.batch, d.tokens, d.ds],
    d.batch * d.tokens,
    `${header(d)}
fn main(p : i32) {
  if (p >= NB * NN) { return; }
  let b = p / NN;
  let n = p % NN;
  let ns = normS(p);
  let nsp = max(ns, EPS);
  let ntp = max(normT(p), EPS);
  var g : array<f32, ${d.ds}>;
  let wIntra = 4.0 * DY[0] / (f32(NB) * f32(NN) * f32(NN));
  for (var j = 0; j < NN; j++) {
    let q = b * NN + j;
    let w = wIntra * diff(p, q, nsp, ntp) / max(normS(q), EPS);
    for (var c = 0; c < DS; c++) { g[c] += w * XS[q * DS + c]; }
  }
  let wInter = 4.0 * DY[1] / (f32(NN) * f32(NB) * f32(NB));
  for (var o = 0; o < NB; o++) {
    let q = o * NN + n;
    let w = wInter * diff(p, q, nsp, ntp) / max(normS(q), EPS);
    for (var c = 0; c < DS; c++) { g[c] += w * XS[q * DS + c]; }
  }
  // Every sampled slot holding token p adds its row (repeats add up, as a gather's gradient).
  let wRandom = 4.0 * DY[2] / (f32(NK) * f32(NK));
  for (var a = 0; a < NK; a++) {
    if (IDX[a] != p) { continue; }
    for (var a2 = 0; a2 < NK; a2++) {
      let q = IDX[a2];
      let w = wRandom * diff(p, q, nsp, ntp) / max(normS(q), EPS);
      for (var c = 0; c < DS; c++) { g[c] += w * XS[q * DS + c]; }
    }
  }
  // Through f = x / max(|x|, eps): project out the radial part, unless the floor holds.
  var fg = 0.0;
  if (ns >= EPS) {
    for (var c = 0; c < DS; c++) { fg += XS[p * DS + c] / nsp * g[c]; }
  }
  for (var c = 0; c < DS; c++) {
    setOutputAtIndex(p * DS + c, (g[c] - XS[p * DS + c] / nsp * fg) / nsp);
  }
}`,
  );
}

/** Registers the relation kernels and the forward's gradient (called by webgpu.ts). */
export function registerRelationKernels(): void {
  const d = (s: tf.TensorInfo, t: tf.TensorInfo, idx: tf.TensorInfo) => dims(s.shape, t.shape, idx.shape);
  const ints = ['IDX'];
  registerMulti(KERNELS.relationLoss, ['XS', 'XT', 'IDX'], ints, (list, backend) => {
    const shape = d(list[0]!, list[1]!, list[2]!);
    const rows = backend.runWebGPUProgram(partialsProgram(shape), list, 'float32');
    const means = backend.runWebGPUProgram(meansProgram(shape), [rows], 'float32');
    backend.disposeData(rows.dataId);
    return means;
  });
  register(KERNELS.relationGrad, ([s, t, i]) => gradProgram(d(s!, t!, i!)), ['XS', 'XT', 'IDX', 'DY'], ints);
  tf.registerGradient({
    kernelName: KERNELS.relationLoss,
    inputsToSave: ['XS', 'XT', 'IDX'],
    gradFunc: (dy, saved) => {
      const [s, t, idx] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return {
        XS: () =>
          tf
            .engine()
            .runKernel(KERNELS.relationGrad, { XS: s, XT: t, IDX: idx, DY: dy as tf.Tensor }) as tf.Tensor,
        XT: () => {
          throw new Error('The fused relation loss has no teacher gradient: the teacher must be frozen.');
        },
      };
    },
  });
}

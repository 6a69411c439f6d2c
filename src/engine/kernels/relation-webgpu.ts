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
import { KERNELS, RELATION_MAX_WIDTH, sameData } from './fused-ops';
import { program, register, registerMulti } from './webgpu-program';

/** torch.nn.functional.normalize's floor, as losses.ts' NORM_EPS. */
const NORM_EPS = 1e-12;

interface Dims {
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

function dims(s: number[], t: number[], idx: number[], ps: number, pt: number, scale: number): Dims {
  const [batch, rowsS, ds] = s as [number, number, number];
  const tokens = rowsS - ps;
  if (s.length !== 3 || t.length !== 3 || t[0] !== batch || t[1]! - pt !== tokens || idx.length !== 1) {
    throw new Error(
      `Fused relation loss needs student [B, ${ps} + N, Ds], teacher [B, ${pt} + N, Dt], indices [K]; got [${s}], [${t}], [${idx}].`,
    );
  }
  if (ds > RELATION_MAX_WIDTH) {
    throw new Error(`Fused relation loss takes students up to ${RELATION_MAX_WIDTH} wide, got ${ds}.`);
  }
  return { batch, tokens, ds, dt: t[2]!, k: idx[0]!, ps, pt, scale };
}

function key(name: string, d: Dims): string {
  return `kd_${name}_${d.batch}_${d.tokens}_${d.ds}_${d.dt}_${d.k}_${d.ps}_${d.pt}_${d.scale}`;
}

function consts(d: Dims): string {
  return `
const NB : i32 = ${d.batch}; const NN : i32 = ${d.tokens}; const DS : i32 = ${d.ds};
const DT : i32 = ${d.dt}; const NK : i32 = ${d.k}; const EPS : f32 = ${NORM_EPS.toExponential()};
const PS : i32 = ${d.ps}; const PT : i32 = ${d.pt}; const SCALE : f32 = ${d.scale.toExponential(9)};`;
}

/**
 * Constants and the cosine of two patch tokens on each side (reads XS and XT). Patch token
 * p = b * N + n starts at row b * (prefix + N) + prefix + n of its side's block output.
 */
function header(d: Dims): string {
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
fn dotS(p : i32, q : i32) -> f32 {
  let op = rowS(p);
  let oq = rowS(q);
  var s = 0.0;
  for (var c = 0; c < DS; c++) { s += XS[op + c] * XS[oq + c]; }
  return s;
}
fn dotT(p : i32, q : i32) -> f32 {
  let op = rowT(p);
  let oq = rowT(q);
  var s = 0.0;
  for (var c = 0; c < DT; c++) { s += XT[op + c] * XT[oq + c]; }
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

/**
 * [3]: intra, inter, random, each the mean of its rows' sums over its map's size, times SCALE;
 * with `acc`, plus the [3] vector ACC (the pairs before this one: no add kernel between pairs).
 */
function meansProgram(d: Dims, acc: boolean): WebGPUProgram {
  return program(
    key(acc ? 'rel_means_acc' : 'rel_means', d),
    acc ? ['P', 'ACC'] : ['P'],
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
  setOutputAtIndex(t, ${acc ? 'ACC[t] + ' : ''}acc / size * SCALE);
}`,
  );
}

/**
 * d student [B, prefix + N, Ds] for upstream gradients DY [3] of (intra, inter, random); the
 * prefix tokens' rows are 0, as the gradient of a slice would pad them.
 */
function gradProgram(d: Dims): WebGPUProgram {
  return program(
    key('rel_grad', d),
    ['XS', 'XT', 'IDX', 'DY'],
    [d.batch, d.ps + d.tokens, d.ds],
    d.batch * (d.ps + d.tokens),
    `${header(d)}
fn main(r : i32) {
  if (r >= NB * (PS + NN)) { return; }
  let b = r / (PS + NN);
  let n = r % (PS + NN) - PS;
  if (n < 0) {
    for (var c = 0; c < DS; c++) { setOutputAtIndex(r * DS + c, 0.0); }
    return;
  }
  let p = b * NN + n;
  let xp = rowS(p);
  let ns = normS(p);
  let nsp = max(ns, EPS);
  let ntp = max(normT(p), EPS);
  var g : array<f32, ${d.ds}>;
  let wIntra = 4.0 * DY[0] * SCALE / (f32(NB) * f32(NN) * f32(NN));
  for (var j = 0; j < NN; j++) {
    let q = b * NN + j;
    let w = wIntra * diff(p, q, nsp, ntp) / max(normS(q), EPS);
    let xq = rowS(q);
    for (var c = 0; c < DS; c++) { g[c] += w * XS[xq + c]; }
  }
  let wInter = 4.0 * DY[1] * SCALE / (f32(NN) * f32(NB) * f32(NB));
  for (var o = 0; o < NB; o++) {
    let q = o * NN + n;
    let w = wInter * diff(p, q, nsp, ntp) / max(normS(q), EPS);
    let xq = rowS(q);
    for (var c = 0; c < DS; c++) { g[c] += w * XS[xq + c]; }
  }
  // Every sampled slot holding token p adds its row (repeats add up, as a gather's gradient).
  let wRandom = 4.0 * DY[2] * SCALE / (f32(NK) * f32(NK));
  for (var a = 0; a < NK; a++) {
    if (IDX[a] != p) { continue; }
    for (var a2 = 0; a2 < NK; a2++) {
      let q = IDX[a2];
      let w = wRandom * diff(p, q, nsp, ntp) / max(normS(q), EPS);
      let xq = rowS(q);
      for (var c = 0; c < DS; c++) { g[c] += w * XS[xq + c]; }
    }
  }
  // Through f = x / max(|x|, eps): project out the radial part, unless the floor holds.
  var fg = 0.0;
  if (ns >= EPS) {
    for (var c = 0; c < DS; c++) { fg += XS[xp + c] / nsp * g[c]; }
  }
  for (var c = 0; c < DS; c++) {
    setOutputAtIndex(r * DS + c, (g[c] - XS[xp + c] / nsp * fg) / nsp);
  }
}`,
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

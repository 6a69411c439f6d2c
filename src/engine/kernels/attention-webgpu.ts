/**
 * Multi-head self-attention as one WGSL kernel forward and two backward, on TF.js's WebGPU
 * backend (fused-ops.ts' attention has the plain ops it replaces). The input is the qkv
 * projection [B, T, 3D] as the linear layer writes it (q, k, v each [T, H, dh] per image),
 * so the head split, transposes and merge of the plain version cost no kernels either.
 *
 * One thread per (image, head, token) row. No T x T scores are stored: each thread
 * recomputes its row's scores from q and k, keeping only dh-long accumulators, so there is
 * no workgroup memory and no bound on T from its 16 KB default (the head width is bounded
 * instead, ATTENTION_MAX_HEAD_DIM). With s_ij = q_i . k_j / sqrt(dh), p = softmax_j(s):
 *   forward: y_i = sum_j p_ij v_j                         (max of the row first, as tf.softmax)
 *            and each query row's max_j s_ij and sum_j exp(s_ij - max), packed after y
 *   grad:    ds_ij = p_ij (dy_i . v_j - delta_i) with delta_i = dy_i . y_i (= sum_j p_ij dy_i . v_j);
 *            thread r writes dq_r = sum_j ds_rj k_j / sqrt(dh), dk_r = sum_i ds_ir q_i / sqrt(dh)
 *            and dv_r = sum_i p_ir dy_i.
 * The gradient reads the row statistics of every query, so the forward kernel keeps them
 * (one dispatch forward, one backward). They reach the gradient through tf.customGrad's
 * saved tensors, which are the tape's only way to carry a second output that has no gradient
 * of its own: a kernel output left without one gets zeros built on the CPU.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type * as tf from '../tf';
import { runPacked } from './buffer-copy-webgpu';
import { ATTENTION_MAX_HEAD_DIM, KERNELS } from './fused-ops';
import { attentionSerialSteps } from './kernel-cost';
import { program, register, registerMulti } from './webgpu-program';

interface Dims {
  batch: number;
  tokens: number;
  heads: number;
  headDim: number;
}

function dims(qkvShape: number[], heads: number): Dims {
  const [batch, tokens, width] = qkvShape as [number, number, number];
  const headDim = width / 3 / heads;
  if (qkvShape.length !== 3 || !Number.isInteger(headDim) || headDim > ATTENTION_MAX_HEAD_DIM) {
    throw new Error(
      `Fused attention needs qkv [B, T, 3 * heads * dh] with dh <= ${ATTENTION_MAX_HEAD_DIM}, got [${qkvShape}] and ${heads} heads.`,
    );
  }
  return { batch, tokens, heads, headDim };
}

/** Constants and helpers shared by the three programs; thread `index` is row (b, h, i). */
function header(d: Dims): string {
  const scale = 1 / Math.sqrt(d.headDim);
  return `
const NB : i32 = ${d.batch}; const NT : i32 = ${d.tokens}; const NH : i32 = ${d.heads};
const DH : i32 = ${d.headDim}; const DM : i32 = ${d.heads * d.headDim};
const SCALE : f32 = ${scale.toExponential(9)};
// First entry of head h of token t's q (part 0), k (1) or v (2) in qkv [B, T, 3, H, dh].
fn qkvAt(b : i32, t : i32, part : i32, h : i32) -> i32 { return ((b * NT + t) * 3 + part) * DM + h * DH; }
// First entry of head h of token t in a merged [B, T, H, dh] tensor (y, dy).
fn rowAt(b : i32, t : i32, h : i32) -> i32 { return (b * NT + t) * DM + h * DH; }
fn score(q : i32, k : i32) -> f32 {
  var s = 0.0;
  for (var c = 0; c < DH; c++) { s += QKV[q + c] * QKV[k + c]; }
  return s * SCALE;
}
fn rowMax(q : i32, b : i32, h : i32) -> f32 {
  var m = score(q, qkvAt(b, 0, 1, h));
  for (var j = 1; j < NT; j++) { m = max(m, score(q, qkvAt(b, j, 1, h))); }
  return m;
}`;
}

function key(name: string, d: Dims): string {
  return `kd_${name}_${d.batch}_${d.tokens}_${d.heads}_${d.headDim}`;
}

/** dy_i . v_j for head rows starting at a (in dy) and b (in qkv); delta_i = dy_i . y_i. */

/** Row (b, h, i) -> b, h, i; guards the threads past the last row. */
const ROW_INDEX = `
  if (index >= NB * NH * NT) { return; }
  let i = index % NT;
  let h = (index / NT) % NH;
  let b = index / (NT * NH);`;

/** Entries of y [B, T, D], then of the row statistics [B, H, T, 2]. */
function outputSize(d: Dims): number {
  return d.batch * d.tokens * d.heads * d.headDim;
}

/** [y, stats] packed: y [B, T, D], then each query row's max score m and denominator l. */
function attentionProgram(d: Dims): WebGPUProgram {
  const rows = d.batch * d.heads * d.tokens;
  return program(
    key('attn', d),
    ['QKV'],
    [outputSize(d) + 2 * rows],
    rows,
    `${header(d)}
fn main(index : i32) {${ROW_INDEX}
  let q = qkvAt(b, i, 0, h);
  let m = rowMax(q, b, h);
  var acc : array<f32, ${d.headDim}>;
  var l = 0.0;
  for (var j = 0; j < NT; j++) {
    let k = qkvAt(b, j, 1, h);
    let p = exp(score(q, k) - m);
    l += p;
    for (var c = 0; c < DH; c++) { acc[c] += p * QKV[k + DM + c]; }
  }
  let o = rowAt(b, i, h);
  for (var c = 0; c < DH; c++) { setOutputAtIndex(o + c, acc[c] / l); }
  setOutputAtIndex(${outputSize(d)} + index * 2, m);
  setOutputAtIndex(${outputSize(d)} + index * 2 + 1, l);
}`,
    {
      serialSteps: attentionSerialSteps(d.tokens, d.headDim).forward,
      flops: rows * d.tokens * d.headDim * 6,
    },
  );
}

/**
 * The gradient, two threads per query row r of each head: the first sums dq_r over the keys,
 * the second dk_r and dv_r over the queries. Each partner's score, dy . v and (for the second)
 * dy . y come from one pass over the head's channels, so neither thread's loop is longer than
 * 2 T dh (one thread doing all three ran 4 T dh and more).
 */
function gradProgram(d: Dims): WebGPUProgram {
  const rows = d.batch * d.heads * d.tokens;
  return program(
    key('attn_grad', d),
    ['QKV', 'DY', 'Y', 'S'],
    [d.batch, d.tokens, 3 * d.heads * d.headDim],
    2 * rows,
    `${header(d)}
fn main(thread : i32) {
  if (thread >= 2 * NB * NH * NT) { return; }
  let keys = thread >= NB * NH * NT;
  let index = thread % (NB * NH * NT);
  let r = index % NT;
  let h = (index / NT) % NH;
  let b = index / (NT * NH);
  let qr = qkvAt(b, r, 0, h);
  let kr = qr + DM;
  let vr = qr + 2 * DM;
  let stats = (b * NH + h) * NT;
  var acc : array<f32, ${d.headDim}>;
  var acc2 : array<f32, ${d.headDim}>;
  if (!keys) {
    // dq_r = sum over keys j of p_rj (dy_r . v_j - delta_r) k_j, delta_r = dy_r . y_r
    let dyr = rowAt(b, r, h);
    let sr = (stats + r) * 2;
    var deltaR = 0.0;
    for (var c = 0; c < DH; c++) { deltaR += DY[dyr + c] * Y[dyr + c]; }
    for (var j = 0; j < NT; j++) {
      let kj = qkvAt(b, j, 1, h);
      var s = 0.0;
      var dv = 0.0;
      for (var c = 0; c < DH; c++) {
        s += QKV[qr + c] * QKV[kj + c];
        dv += DY[dyr + c] * QKV[kj + DM + c];
      }
      let p = exp(s * SCALE - S[sr]) / S[sr + 1];
      let ds = p * (dv - deltaR);
      for (var c = 0; c < DH; c++) { acc[c] += ds * QKV[kj + c]; }
    }
    for (var c = 0; c < DH; c++) { setOutputAtIndex(qr + c, acc[c] * SCALE); }
  } else {
    // dk_r = sum over queries t of p_tr (dy_t . v_r - delta_t) q_t; dv_r = sum of p_tr dy_t
    for (var t = 0; t < NT; t++) {
      let qt = qkvAt(b, t, 0, h);
      let dyt = rowAt(b, t, h);
      let st = (stats + t) * 2;
      var s = 0.0;
      var dv = 0.0;
      var delta = 0.0;
      for (var c = 0; c < DH; c++) {
        s += QKV[qt + c] * QKV[kr + c];
        dv += DY[dyt + c] * QKV[vr + c];
        delta += DY[dyt + c] * Y[dyt + c];
      }
      let p = exp(s * SCALE - S[st]) / S[st + 1];
      let ds = p * (dv - delta);
      for (var c = 0; c < DH; c++) {
        acc[c] += ds * QKV[qt + c];
        acc2[c] += p * DY[dyt + c];
      }
    }
    for (var c = 0; c < DH; c++) {
      setOutputAtIndex(kr + c, acc[c] * SCALE);
      setOutputAtIndex(vr + c, acc2[c]);
    }
  }
}`,
    {
      serialSteps: attentionSerialSteps(d.tokens, d.headDim).grad,
      flops: rows * d.tokens * d.headDim * 14,
    },
  );
}

export function registerAttentionKernels(): void {
  const heads = (a: tf.NamedAttrMap) => a.heads as number;
  registerMulti(KERNELS.attention, ['QKV'], [], ([qkv], backend, a) => {
    const d = dims(qkv!.shape, heads(a));
    return runPacked(
      backend,
      attentionProgram(d),
      [qkv!],
      [
        [d.batch, d.tokens, d.heads * d.headDim],
        [d.batch, d.heads, d.tokens, 2],
      ],
    );
  });
  register(KERNELS.attentionGrad, ([qkv], a) => gradProgram(dims(qkv!.shape, heads(a))), [
    'QKV',
    'DY',
    'Y',
    'S',
  ]);
}

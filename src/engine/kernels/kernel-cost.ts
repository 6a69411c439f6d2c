/**
 * The shape rules our WGSL kernels keep, in numbers, without TF.js (the step's ops read them
 * to choose a kernel or the plain ops; webgpu-program.ts builds the programs).
 *
 * A GPU runs each thread's loop on one core: a kernel of a few hundred threads leaves most of
 * the device idle, and one thread walking thousands of rows costs more than the rest of the
 * kernel. Mesa's lavapipe, the driver under Firefox's WebGPU on Linux without a GPU, also stops
 * every shader invocation after 65,535 loop iterations in all (its LP_MAX_TGSI_LOOP_ITERATIONS,
 * shared by every loop of a shader) and carries on with wrong values, silently: that is how the
 * relation kernels once trained wrongly there at the default size. So every kernel declares the
 * loop iterations of its busiest thread, nested loops multiplied, and stays under the bound.
 */

/** Threads of every workgroup of ours (SwiftShader allows 256 at most); the tree reductions assume 64. */
export const WORKGROUP_SIZE = 64;

/** The most loop iterations any thread of our kernels may run (lavapipe's hard stop is 65,535). */
export const MAX_SERIAL_STEPS = 8192;

/** Each lane's share of `count` items, when a workgroup's lanes take every 64th. */
export const perLane = (count: number): number => Math.ceil(count / WORKGROUP_SIZE);

/** Loop iterations of a tree sum over the 64 lanes of `count` values each. */
export function treeSumSteps(count = 1): number {
  return Math.log2(WORKGROUP_SIZE) * (1 + count);
}

/** One layer pair's relation kernels: [B, N] patch tokens, widths Ds and Dt, K samples. */
export interface RelationShape {
  batch: number;
  /** Patch tokens per image (N). */
  tokens: number;
  ds: number;
  dt: number;
  k: number;
}

/**
 * Loop iterations of the busiest thread of each relation kernel (relation-webgpu.ts): the
 * forward's busiest row is the longest of N, B and K cosines (each DS + DT), after the row
 * token's own norms; the gradient's workgroup counts the token's sample slots, then runs each
 * term's partners in chunks of 64 (a cosine a lane, then each lane's channels over the chunk).
 */
export function relationSerialSteps(d: RelationShape): { rows: number; means: number; grad: number } {
  const own = d.ds + d.dt;
  const rows = own + perLane(Math.max(d.tokens, d.batch, d.k)) * own + treeSumSteps();
  const means = perLane(Math.max(d.batch * d.tokens, d.k)) + treeSumSteps();
  const channels = perLane(d.ds);
  const chunk = (count: number) => perLane(count) * (own + WORKGROUP_SIZE * channels);
  const grad = own + d.k + chunk(d.tokens) + chunk(d.batch) + chunk(d.k) + channels * 3 + treeSumSteps();
  return { rows, means, grad };
}

/** Whether the fused relation kernels take this shape (else the step runs the plain ops). */
export function relationKernelFits(d: RelationShape): boolean {
  const s = relationSerialSteps(d);
  return Math.max(s.rows, s.means, s.grad) <= MAX_SERIAL_STEPS;
}

/**
 * Loop iterations of the busiest thread of the attention kernels (attention-webgpu.ts), a
 * thread per query row (forward: the row's largest score, then scores and the weighted sum of
 * v) and, backward, two threads per row (dq; dk with dv), each with one fused pass per partner.
 */
export function attentionSerialSteps(tokens: number, headDim: number): { forward: number; grad: number } {
  return { forward: 3 * tokens * headDim + headDim, grad: 2 * tokens * headDim + headDim };
}

/** Whether the fused attention kernels take this shape (else the plain ops). */
export function attentionKernelFits(tokens: number, headDim: number): boolean {
  const s = attentionSerialSteps(tokens, headDim);
  return Math.max(s.forward, s.grad) <= MAX_SERIAL_STEPS;
}

/**
 * The program object and kernel registration shared by the fused WGSL kernels (webgpu.ts,
 * attention-webgpu.ts). The program-object conventions (variableNames, dispatchLayout,
 * shaderKey, main(index)) are tfjs-backend-webgpu internals, pinned to its exact version in
 * package.json. Everything baked into a shader's text must be in its shaderKey, since a
 * pipeline is cached by key. Workgroups stay at 64 threads (SwiftShader allows 256 at most).
 * Every program goes through backend.runWebGPUProgram, so in TF.js's compile-only mode
 * (warm-up.ts) ours too only start compiling their pipelines and dispatch nothing.
 */
import { type WebGPUBackend, type WebGPUProgram, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { MAX_SERIAL_STEPS, WORKGROUP_SIZE } from './kernel-cost';

const WORKGROUP: [number, number, number] = [WORKGROUP_SIZE, 1, 1];

/**
 * What one dispatch of a program costs its busiest thread and the device, declared where the
 * program's loops are written (the kernel report reads it from every dispatch): `serialSteps`
 * counts the loop iterations of the busiest thread, nested loops multiplied, and `flops` the
 * dispatch's arithmetic. program() refuses more than MAX_SERIAL_STEPS (kernel-cost.ts says why).
 */
export interface KernelCost {
  serialSteps: number;
  flops: number;
}

/** A program carrying its declared cost (read by kernel-shapes.ts). */
export type CostedProgram = WebGPUProgram & { kdCost?: KernelCost };

/** A program with `threads` threads (one per row or per element) writing `outputShape`. */
export function program(
  key: string,
  variableNames: string[],
  outputShape: number[],
  threads: number,
  body: string,
  cost: KernelCost,
): WebGPUProgram {
  if (cost.serialSteps > MAX_SERIAL_STEPS) {
    throw new Error(
      `${key}: ${cost.serialSteps} loop iterations in one thread, over ${MAX_SERIAL_STEPS}; split its work over more threads.`,
    );
  }
  const dispatchLayout = webgpu_util.flatDispatchLayout([threads]);
  return {
    variableNames,
    outputShape,
    shaderKey: key,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, [threads], WORKGROUP),
    workgroupSize: WORKGROUP,
    kdCost: cost,
    // The pipeline layout is derived from what the shader uses ('auto'), and TF.js always
    // binds its uniforms buffer: touch it, or binding the group fails validation.
    getUserCode: () => body.replace(/fn main\((\w+) : i32\) \{/, 'fn main($1 : i32) {\n  _ = uniforms.NAN;'),
  } as unknown as WebGPUProgram;
}

/** WebGPU's least guaranteed workgroups per dispatch dimension: a flat dispatch stays under it. */
const MAX_WORKGROUPS = 65535;

/**
 * A program of `groups` workgroups of WORKGROUP_SIZE threads that work together: the body's
 * main(index) reads its workgroup as GROUP and its thread within it as LANE, and may use
 * workgroup memory with workgroupBarrier() (in uniform control flow: no early return before a
 * barrier). Used where one thread per output would run a long serial loop.
 */
export function groupProgram(
  key: string,
  variableNames: string[],
  outputShape: number[],
  groups: number,
  body: string,
  cost: KernelCost,
): WebGPUProgram {
  if (groups > MAX_WORKGROUPS)
    throw new Error(`${key}: ${groups} workgroups, over ${MAX_WORKGROUPS} in one dimension.`);
  const prelude = `fn main(index : i32) {
  let GROUP = i32(workgroupId.x);
  let LANE = i32(localId.x);`;
  return program(
    key,
    variableNames,
    outputShape,
    groups * WORKGROUP_SIZE,
    body.replace('fn main(index : i32) {', prelude),
    cost,
  );
}

/**
 * WGSL: sums \`count\` values per lane held in the workgroup array \`name\` (laid out [count][lane])
 * by a tree over the lanes; afterwards entry [t][0] holds term t's total. Uniform control flow:
 * every lane runs every barrier.
 */
export function treeSum(name: string, count = 1): string {
  return `
  workgroupBarrier();
  for (var half = ${WORKGROUP_SIZE / 2}; half > 0; half = half / 2) {
    if (LANE < half) {
      for (var t = 0; t < ${count}; t++) { ${name}[t * ${WORKGROUP_SIZE} + LANE] += ${name}[t * ${WORKGROUP_SIZE} + LANE + half]; }
    }
    workgroupBarrier();
  }`;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The inputs in `order`, checked: float32, except the int32 ones named in `ints`. */
export function kernelInputs(
  name: string,
  inputs: tf.NamedTensorInfoMap,
  order: string[],
  ints: string[] = [],
): tf.TensorInfo[] {
  return order.map((n) => {
    const t = inputs[n];
    if (!t) throw new Error(`${name}: missing input ${n}`);
    const want = ints.includes(n) ? 'int32' : 'float32';
    if (t.dtype !== want) throw new Error(`${name}: input ${n} must be ${want}, got ${t.dtype}`);
    return t;
  });
}

/** Registers `name` on webgpu as a kernel running `how` many programs over its inputs (one output or several). */
export function registerMulti(
  name: string,
  order: string[],
  ints: string[],
  how: (
    inputs: tf.TensorInfo[],
    backend: WebGPUBackend,
    attrs: tf.NamedAttrMap,
  ) => tf.TensorInfo | tf.TensorInfo[],
) {
  tf.registerKernel({
    kernelName: name,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }: KernelArgs) =>
      how(kernelInputs(name, inputs, order, ints), backend as WebGPUBackend, attrs ?? {}),
  } as unknown as tf.KernelConfig);
}

export function register(
  name: string,
  run: (inputs: tf.TensorInfo[], attrs: tf.NamedAttrMap) => WebGPUProgram,
  order: string[],
  ints: string[] = [],
) {
  registerMulti(name, order, ints, (list, backend, attrs) =>
    backend.runWebGPUProgram(run(list, attrs), list, 'float32'),
  );
}

/** [rows, D] of a tensor viewed as rows of its last axis. */
export function rowsAndWidth(shape: number[]): [number, number] {
  const d = shape[shape.length - 1]!;
  return [tf.util.sizeFromShape(shape) / d, d];
}

/** Shared WGSL: mean and 1/std of row r of X (width D). */
const ROW_STATS_WGSL = `
fn rowMeanRstd(base : i32) -> vec2<f32> {
  var mean = 0.0;
  for (var j = 0; j < D; j++) { mean += X[base + j]; }
  mean = mean / f32(D);
  var sq = 0.0;
  for (var j = 0; j < D; j++) { let c = X[base + j] - mean; sq += c * c; }
  return vec2<f32>(mean, inverseSqrt(sq / f32(D) + EPS));
}`;

export function consts(rows: number, d: number, eps = 0): string {
  return `const ROWS : i32 = ${rows}; const D : i32 = ${d}; const EPS : f32 = ${eps.toExponential()};`;
}

/**
 * One thread per row of `shape`'s last axis (width D): the body sees `row` and `base` (the
 * row's first flat index); with `eps`, also rowMeanRstd() over an input named X (two more
 * passes). `passes`: the body's loops over the row, for its declared cost.
 */
export function rowProgram(
  name: string,
  variableNames: string[],
  shape: number[],
  outputShape: number[],
  body: string,
  eps: number | undefined,
  passes: number,
): WebGPUProgram {
  const [rows, d] = rowsAndWidth(shape);
  const allPasses = passes + (eps === undefined ? 0 : 2);
  return program(
    `kd_${name}_${rows}_${d}_${eps ?? ''}`,
    variableNames,
    outputShape,
    rows,
    `
${consts(rows, d, eps)}
${eps === undefined ? '' : ROW_STATS_WGSL}
fn main(row : i32) {
  if (row >= ROWS) { return; }
  let base = row * D;
${body}
}`,
    { serialSteps: allPasses * d, flops: 3 * allPasses * rows * d },
  );
}

/**
 * The shape of every kernel a step dispatches on WebGPU, read off the programs TF.js runs: the
 * threads one dispatch launches (its workgroups times their size, after TF.js has fitted the
 * dispatch to the device), the loop iterations of its busiest thread, its FLOPs and the bytes
 * it reads and writes. On a GPU the first two decide how much of the device a kernel can use:
 * a few hundred threads leave most of it idle, and a thread with thousands of iterations costs
 * more than the rest of the kernel (kernels/kernel-cost.ts).
 *
 * Our kernels declare their cost where their loops are written (program() in
 * kernels/webgpu-program.ts). TF.js's own programs (matmuls, transposes, elementwise ops) are
 * costed from their fields, following their WGSL in tfjs-backend-webgpu 4.22 (pinned).
 * Recording wraps the backend's runWebGPUProgram, so it sees each program as it is dispatched,
 * or, in TF.js's compile-only mode, as it would be: the same objects, with nothing run.
 */
import * as tf from '../tf';
import { sampleMemory } from './memory-peak';
import { COMPILE_ONLY_FLAG } from './warm-up';

export interface KernelShape {
  /** Kernel name: ours as kd_*, TF.js's by program (matMulPacked, transpose, ...). */
  name: string;
  /** Output shape <- input shapes, which tells two dispatches of one kernel apart. */
  shape: string;
  /** Dispatches per step. */
  dispatches: number;
  /** Threads one dispatch launches. */
  threads: number;
  workgroups: number;
  /** Loop iterations of the busiest thread (nested loops multiplied). */
  serialSteps: number;
  /** Arithmetic of one dispatch. */
  flops: number;
  /** Bytes one dispatch reads (each input once) and writes. */
  bytes: number;
}

interface ProgramLike {
  shaderKey: string;
  dispatch: number[];
  workgroupSize: number[];
  outputShape: number[];
  kdCost?: { serialSteps: number; flops: number };
  // TF.js program fields read by tfjsCost.
  tileInner?: number;
  elementsPerThread?: number[];
  isVec4?: boolean;
  transposeA?: boolean;
  transposeB?: boolean;
  splitedDimInner?: number;
  workPerThread?: number;
}

interface Info {
  shape: number[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** [batch, outer A, inner, outer B] of a batched matmul's inputs [b, r, c]. */
function matmulDims(p: ProgramLike, a: Info, b: Info): [number, number, number, number] {
  const [batch = 1, ar = 1, ac = 1] = a.shape.length === 3 ? a.shape : [1, ...a.shape];
  const [, br = 1, bc = 1] = b.shape.length === 3 ? b.shape : [1, ...b.shape];
  const m = p.transposeA ? ac : ar;
  const k = p.transposeA ? ar : ac;
  const n = p.transposeB ? br : bc;
  return [batch, m, k, n];
}

/**
 * Loop iterations and FLOPs of TF.js's programs in the step, from their WGSL (tfjs-backend-webgpu
 * 4.22): the tiled matmul loads its tiles and multiplies tileInner / (4 with vec4) rows of them
 * into a rowPerThread x colPerThread block per tile; the small-output, split-K and reduce
 * matmuls walk the inner dimension in their own strides; elementwise programs have no loop.
 */
function tfjsCost(p: ProgramLike, inputs: Info[]): { serialSteps: number; flops: number } {
  const kind = p.shaderKey.split('_')[0]!;
  const out = size(p.outputShape);
  if (kind.startsWith('matMul') && inputs.length >= 2) {
    const [batch, m, k, n] = matmulDims(p, inputs[0]!, inputs[1]!);
    const flops = 2 * batch * m * n * k;
    if (kind === 'matMulPacked') {
      const tileInner = p.tileInner ?? 32;
      const [cols = 4, rows = 4] = p.elementsPerThread ?? [];
      const tiles = Math.ceil(k / tileInner);
      const perTile = p.isVec4
        ? (tileInner / 4) * rows + 2 * rows
        : tileInner * (cols + rows * (1 + cols)) + 2 * rows * cols;
      return { serialSteps: tiles * perTile, flops };
    }
    if (kind === 'matMulSplitK') return { serialSteps: (p.splitedDimInner ?? 128) / 4 + 16, flops };
    if (kind === 'matMulReduce') return { serialSteps: Math.ceil(k / (p.workgroupSize[0] ?? 1)) + 8, flops };
    // Small output size: one output a thread, the inner dimension in tiles of 16.
    return { serialSteps: Math.ceil(k / 16) * 16, flops };
  }
  return { serialSteps: (p.workPerThread ?? 1) > 1 ? (p.workPerThread ?? 1) : 0, flops: out };
}

/** A program's kernel name, as the shape table and the step profile show it: ours kd_*, TF.js's by program. */
export function programKind(shaderKey: string): string {
  return shaderKey.startsWith('kd_') ? shaderKey.replace(/_\d.*$/, '') : shaderKey.split('_')[0]!;
}

function describeProgram(p: ProgramLike, inputs: Info[]): Omit<KernelShape, 'dispatches'> {
  const kind = programKind(p.shaderKey);
  const workgroups = size(p.dispatch);
  const cost = p.kdCost ?? tfjsCost(p, inputs);
  return {
    name: kind,
    shape: `[${p.outputShape.join(', ')}] <- ${inputs.map((i) => `[${i.shape.join(', ')}]`).join(' ')}`,
    threads: workgroups * size(p.workgroupSize),
    workgroups,
    serialSteps: cost.serialSteps,
    flops: cost.flops,
    bytes: 4 * (size(p.outputShape) + inputs.reduce((s, i) => s + size(i.shape), 0)),
  };
}

type Runner = (program: ProgramLike, inputs: Info[], ...rest: unknown[]) => unknown;

/**
 * Runs `run` (one or more steps) with every program the WebGPU backend runs recorded, and
 * returns the kernels with their dispatches divided by `steps`, busiest first. Off WebGPU,
 * records nothing.
 */
export function recordKernelShapes<T>(run: () => T, steps = 1): { result: T; shapes: KernelShape[] } {
  if (tf.getBackend() !== 'webgpu') return { result: run(), shapes: [] };
  const backend = tf.backend() as unknown as { runWebGPUProgram: Runner };
  const original = backend.runWebGPUProgram;
  const seen = new Map<string, KernelShape>();
  backend.runWebGPUProgram = function (this: unknown, program, inputs, ...rest) {
    const output = original.call(this, program, inputs, ...rest);
    // After the call: TF.js has fitted program.dispatch to the device's limits by now.
    const d = describeProgram(program, inputs);
    const key = `${d.name} ${d.shape} ${d.threads}`;
    const entry = seen.get(key);
    if (entry) entry.dispatches += 1;
    else seen.set(key, { ...d, dispatches: 1 });
    return output;
  } as Runner;
  let result: T;
  try {
    result = run();
  } finally {
    backend.runWebGPUProgram = original;
  }
  const shapes = [...seen.values()]
    .map((s) => ({ ...s, dispatches: s.dispatches / steps }))
    .sort((a, b) => b.flops * b.dispatches - a.flops * a.dispatches);
  return { result, shapes };
}

/** The rule a kernel shaped for a GPU keeps: enough threads and short loops wherever it does real work. */
export const GPU_SHAPE_RULE = {
  minFlops: 1e6,
  minBytes: 1e6,
  minThreads: 4096,
  maxSerialSteps: 8192,
} as const;

/** The kernels that break GPU_SHAPE_RULE, with the reason, for reports and tests. */
export function shapeViolations(shapes: KernelShape[]): string[] {
  const r = GPU_SHAPE_RULE;
  return shapes
    .filter((s) => s.flops >= r.minFlops || s.bytes >= r.minBytes)
    .flatMap((s) => {
      const why: string[] = [];
      if (s.threads < r.minThreads) why.push(`${s.threads} threads`);
      if (s.serialSteps > r.maxSerialSteps) why.push(`${s.serialSteps} loop iterations a thread`);
      return why.length ? [`${s.name} ${s.shape}: ${why.join(', ')}`] : [];
    });
}

/**
 * The kernels of one step of `rig` on a batch of `batch` images, traced in TF.js's compile-only
 * mode: every program is built, fitted and handed to the backend as in a real step, and none
 * runs (so the rig's weights are garbage afterwards). The tensors are tracked as in a real
 * step, so the trace also gives the step's peak of tensor bytes at that batch.
 * e2e/benchmark.spec.ts checks that a traced step records the same kernels as a dispatched one.
 */
export function compileOnlyKernelShapes(
  rig: { step: (batch: { images: tf.Tensor4D; labels: tf.Tensor1D }) => tf.Tensor },
  batch: number,
  model: { imageSize: number; channels: number },
): { shapes: KernelShape[]; peakBytes: number } {
  const size = model.imageSize;
  const images = tf.zeros([batch, size, size, model.channels]) as tf.Tensor4D;
  const labels = tf.zeros([batch], 'int32') as tf.Tensor1D;
  const env = tf.env();
  const previous = env.getBool(COMPILE_ONLY_FLAG);
  const cache = (tf.backend() as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache;
  const known = new Set(Object.keys(cache));
  env.set(COMPILE_ONLY_FLAG, true);
  sampleMemory();
  try {
    const { result, shapes } = recordKernelShapes(() => rig.step({ images, labels }));
    result.dispose();
    return { shapes, peakBytes: sampleMemory().peakTensorBytes };
  } finally {
    env.set(COMPILE_ONLY_FLAG, previous);
    tf.dispose([images, labels]);
    // Pipelines still compiling would make a later real run of the same shader throw: drop them.
    for (const key of Object.keys(cache)) {
      if (known.has(key) || !(cache[key] instanceof Promise)) continue;
      (cache[key] as Promise<unknown>).catch(() => {});
      delete cache[key];
    }
  }
}

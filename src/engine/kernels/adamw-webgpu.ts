/**
 * The flat AdamW's update (optim-flat.ts) as one WGSL kernel, and a split of its result into
 * the variables by buffer copies, on TF.js's WebGPU backend. The plain version is about
 * fifteen elementwise kernels, then a slice kernel per variable (tf.split): ~50 dispatches.
 *
 * KdAdamW writes [m', v', p'] packed in one [3N] output (a TF.js program has one output).
 * KdSplitCopy cuts a flat tensor into new tensors of the given sizes with copyBufferToBuffer:
 * copies on the command encoder, no compute dispatch. KdConcatCopy is the reverse, for the
 * flat gradient and parameter vectors the update reads: tf.concat of the ~35 tensors of the
 * tiny student is six dispatches on WebGPU (a concat program binds at most 7 inputs), twelve
 * a step for the two vectors. It reaches into WebGPUBackend internals
 * (tensorMap, commandEncoder, commandQueueOwnedIds), pinned with the backend's exact version
 * in package.json, as webgpu-program.ts does. In TF.js's compile-only mode (warm-up.ts) the
 * split records no copy, as TF.js's own programs dispatch nothing then.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { KERNELS } from './fused-ops';
import { kernelInputs, program, register } from './webgpu-program';

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
 * clipFactor): SUMSQ[0] is the squared norm of all gradients, clipped to `maxNorm` when that
 * is positive (optim-math.ts' clipFactor, per thread: one dispatch instead of four); FLAGS is decay (1/0) + 2 * present (1/0),
 * one input for two masks since a stage may bind only 8 storage buffers. An element whose
 * parameter got no gradient keeps its parameter and moments.
 */
function adamWProgram(n: number, maxNorm: number): WebGPUProgram {
  return program(
    `kd_adamw_${n}_${maxNorm}`,
    ['G', 'P', 'M', 'V', 'FLAGS', 'SUMSQ', 'S'],
    [3 * n],
    n,
    `
const N : i32 = ${n}; const MAXNORM : f32 = ${maxNorm.toExponential(9)};
fn main(i : i32) {
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
  if (MAXNORM > 0.0) { clip = min(1.0, MAXNORM / (sqrt(SUMSQ[0]) + 1e-6)); }
  let g = G[i] * clip;
  let m = M[i] * S[3] + g * S[4];
  let v = V[i] * S[5] + (g * g) * S[6];
  let next = p - m / (sqrt(v) + S[1]) * S[0];
  setOutputAtIndex(i, m);
  setOutputAtIndex(N + i, v);
  setOutputAtIndex(2 * N + i, next - p * ((flags - 2.0) * S[2]));
}`,
  );
}

/** The WebGPUBackend internals the split touches (not in its public typings). */
interface BackendInternals {
  tensorMap: { get(id: unknown): { resource: GPUBuffer | null } };
  uploadToGPU(id: unknown): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandEncoder: GPUCommandEncoder;
  commandQueueOwnedIds: WeakSet<object>;
}

function splitCopy(x: tf.TensorInfo, sizes: number[], backend: WebGPUBackend): tf.TensorInfo[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) !== total) {
    throw new Error(
      `KdSplitCopy: a float32 input of ${total} entries is needed, got ${x.dtype} [${x.shape}].`,
    );
  }
  const b = backend as unknown as BackendInternals;
  b.uploadToGPU(x.dataId);
  const src = b.tensorMap.get(x.dataId).resource!;
  const outs = sizes.map((n) => backend.makeTensorInfo([n], 'float32'));
  for (const o of outs) b.uploadToGPU(o.dataId); // allocates each output's buffer
  // Compile-only mode (warm-up.ts) traces a step and must dispatch and copy nothing.
  if (tf.env().getBool('WEBGPU_ENGINE_COMPILE_ONLY')) return outs;
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  let offset = 0;
  outs.forEach((o, i) => {
    const bytes = sizes[i]! * 4;
    if (bytes > 0)
      b.commandEncoder.copyBufferToBuffer(src, offset, b.tensorMap.get(o.dataId).resource!, 0, bytes);
    offset += bytes;
    // Disposing a tensor the queued commands use must wait for the submit, as for a program's.
    b.commandQueueOwnedIds.add(o.dataId as object);
  });
  b.commandQueueOwnedIds.add(x.dataId as object);
  return outs;
}

/** The tensors' entries one after another in a new flat float32 tensor, by buffer copies. */
function concatCopy(xs: tf.TensorInfo[], backend: WebGPUBackend): tf.TensorInfo {
  for (const x of xs) {
    if (x.dtype !== 'float32') throw new Error(`KdConcatCopy: float32 inputs only, got ${x.dtype}.`);
  }
  const sizes = xs.map((x) => tf.util.sizeFromShape(x.shape));
  const out = backend.makeTensorInfo([sizes.reduce((a, b) => a + b, 0)], 'float32');
  const b = backend as unknown as BackendInternals;
  b.uploadToGPU(out.dataId); // allocates its buffer
  for (const x of xs) b.uploadToGPU(x.dataId); // a tensor still on the CPU gets its buffer
  if (tf.env().getBool('WEBGPU_ENGINE_COMPILE_ONLY')) return out;
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  const dst = b.tensorMap.get(out.dataId).resource!;
  let offset = 0;
  xs.forEach((x, i) => {
    const bytes = sizes[i]! * 4;
    if (bytes > 0)
      b.commandEncoder.copyBufferToBuffer(b.tensorMap.get(x.dataId).resource!, 0, dst, offset, bytes);
    offset += bytes;
    // The inputs' buffers may not go back to the pool (and be rewritten) before the submit.
    b.commandQueueOwnedIds.add(x.dataId as object);
  });
  b.commandQueueOwnedIds.add(out.dataId as object);
  return out;
}

/** Registers KdAdamW, KdSplitCopy and KdConcatCopy (called by webgpu.ts); none has a gradient. */
export function registerAdamWKernels(): void {
  register(KERNELS.adamW, ([g], a) => adamWProgram(tf.util.sizeFromShape(g!.shape), a.maxNorm as number), [
    'G',
    'P',
    'M',
    'V',
    'FLAGS',
    'SUMSQ',
    'S',
  ]);
  tf.registerKernel({
    kernelName: KERNELS.splitCopy,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) =>
      splitCopy(
        kernelInputs(KERNELS.splitCopy, inputs, ['X'])[0]!,
        (attrs as { sizes: number[] }).sizes,
        backend as WebGPUBackend,
      ),
  } as tf.KernelConfig);
  tf.registerKernel({
    kernelName: KERNELS.concatCopy,
    backendName: 'webgpu',
    // Inputs come as an array (as tf.concat passes them), in order.
    kernelFunc: ({ inputs, backend }) =>
      concatCopy(Object.values(inputs) as tf.TensorInfo[], backend as WebGPUBackend),
  } as tf.KernelConfig);
}

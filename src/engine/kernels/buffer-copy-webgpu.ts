/**
 * Tensors cut from and joined into flat buffers by copyBufferToBuffer: copies on the command
 * encoder, no compute dispatch. KdSplitCopy cuts a flat tensor into new tensors of the given
 * shapes (KdAdamW's packed [m', v', p'] into the variables, LayerNorm's packed gradients);
 * KdConcatCopy is the reverse, for the flat gradient and parameter vectors the update reads:
 * tf.concat of the ~35 tensors of the tiny student is six dispatches on WebGPU (a concat
 * program binds at most 7 inputs). Kernels that write several results into one packed output
 * (a TF.js program has one) split it with `splitCopy` too.
 *
 * It reaches into WebGPUBackend internals (tensorMap, commandEncoder, commandQueueOwnedIds),
 * pinned with the backend's exact version in package.json, as webgpu-program.ts does. In
 * TF.js's compile-only mode (warm-up.ts) it records no copy, as TF.js's own programs
 * dispatch nothing then.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { KERNELS, registerSplitCopyGradient } from './fused-ops';
import { kernelInputs } from './webgpu-program';

/** The WebGPUBackend internals the split touches (not in its public typings). */
interface BackendInternals {
  tensorMap: { get(id: unknown): { resource: GPUBuffer | null } };
  uploadToGPU(id: unknown): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandEncoder: GPUCommandEncoder;
  commandQueueOwnedIds: WeakSet<object>;
}

/**
 * New tensors of `shapes` from x's entries one after another (x's size: their sizes' sum).
 * x stays the caller's to dispose.
 */
export function splitCopy(x: tf.TensorInfo, shapes: number[][], backend: WebGPUBackend): tf.TensorInfo[] {
  const sizes = shapes.map((s) => tf.util.sizeFromShape(s));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) !== total) {
    throw new Error(
      `KdSplitCopy: a float32 input of ${total} entries is needed, got ${x.dtype} [${x.shape}].`,
    );
  }
  const b = backend as unknown as BackendInternals;
  b.uploadToGPU(x.dataId);
  const src = b.tensorMap.get(x.dataId).resource!;
  const outs = shapes.map((s) => backend.makeTensorInfo(s, 'float32'));
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

/**
 * Runs one program whose single output packs several results (a TF.js program has one) and
 * cuts it into tensors of `shapes`; the packed buffer is released once the copies are queued.
 */
export function runPacked(
  backend: WebGPUBackend,
  prog: WebGPUProgram,
  inputs: tf.TensorInfo[],
  shapes: number[][],
): tf.TensorInfo[] {
  const packed = backend.runWebGPUProgram(prog, inputs, 'float32');
  const parts = splitCopy(packed, shapes, backend);
  backend.disposeData(packed.dataId);
  return parts;
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

/** Registers KdSplitCopy (with its gradient, for a flat input) and KdConcatCopy (none) (called by webgpu.ts). */
export function registerBufferCopyKernels(): void {
  tf.registerKernel({
    kernelName: KERNELS.splitCopy,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) =>
      splitCopy(
        kernelInputs(KERNELS.splitCopy, inputs, ['X'])[0]!,
        (attrs as { shapes: number[][] }).shapes,
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
  registerSplitCopyGradient();
}

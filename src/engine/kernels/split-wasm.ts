/**
 * KdSplitCopy on the wasm backend: the flat AdamW's update vector cut into the variables
 * (optim-flat.ts), each part one copy inside the wasm heap.
 *
 * Why not tf.split: wasm's Slice kernel starts with readSync of its whole input, a copy of
 * it out of the heap, so splitting the default student's 309k parameters into its ~80
 * variables copied about 100 MB, and took 200-400 ms a step here (Node, one thread): more
 * than any other kernel but the matmuls. Here the input is read in place.
 *
 * Reaches the heap through BackendWasm's makeOutput and typedArrayFromHeap (both in its
 * public typings). makeOutput may grow the heap, which detaches earlier views: the input's
 * view is taken after each output exists.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '../tf';
import { KERNELS, registerSplitCopyGradient } from './fused-ops';

/** New tensors of `shapes` from x's entries one after another (x's size: their sizes' sum). */
export function splitInHeap(x: tf.TensorInfo, shapes: number[][], backend: BackendWasm): tf.TensorInfo[] {
  const sizes = shapes.map((s) => tf.util.sizeFromShape(s));
  const total = sizes.reduce((a, b) => a + b, 0);
  // Flat, so that its gradient (the parts' gradients concatenated) has its shape.
  if (x.dtype !== 'float32' || x.shape.length !== 1 || x.shape[0] !== total) {
    throw new Error(
      `KdSplitCopy: a flat float32 input of ${total} entries is needed, got ${x.dtype} [${x.shape}].`,
    );
  }
  let offset = 0;
  return shapes.map((shape, i) => {
    const out = backend.makeOutput(shape, 'float32');
    const n = sizes[i]!;
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + n));
    offset += n;
    return out;
  });
}

/**
 * Registers KdSplitCopy on wasm (called by backend.ts once wasm is loaded), with its
 * gradient (attention's q, k, v split).
 */
export function registerWasmSplitKernel(): void {
  if (tf.getKernel(KERNELS.splitCopy, 'wasm')) return;
  tf.registerKernel({
    kernelName: KERNELS.splitCopy,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = (inputs as tf.NamedTensorInfoMap).X;
      if (!x) throw new Error('KdSplitCopy: missing input X');
      return splitInHeap(x, (attrs as unknown as { shapes: number[][] }).shapes, backend as BackendWasm);
    },
  } as tf.KernelConfig);
  registerSplitCopyGradient();
}

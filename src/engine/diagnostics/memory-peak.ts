/**
 * How much memory a run's steps hold, sampled without reading anything from the device: the
 * bytes of TF.js's tensors and, on WebGPU, of the buffers its buffer manager has handed out,
 * with the largest value of each since the last sample. The peaks come from wrapping the two
 * places those counts grow (a tensor tracked, a buffer acquired), one comparison each, so the
 * tracking stays on while training.
 */

import type { MemorySample } from '../spec/backend-report';
import * as tf from '../tf';

export type { MemorySample } from '../spec/backend-report';

interface BufferManagerLike {
  numBytesUsed: number;
  numBytesAllocated: number;
  acquireBuffer: (...args: unknown[]) => unknown;
}

const WRAPPED = Symbol('kdMemoryPeak');
let peakTensorBytes = 0;
let peakGpuBytes = 0;

function engineState(): { numBytes: number } {
  return (tf.engine() as unknown as { state: { numBytes: number } }).state;
}

function bufferManager(): BufferManagerLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { bufferManager?: BufferManagerLike }).bufferManager ?? null;
}

/** Wraps what is not wrapped yet: the engine once, and each WebGPU backend's buffer manager. */
function install(): void {
  const engine = tf.engine() as unknown as {
    trackTensor: (...args: unknown[]) => unknown;
    [WRAPPED]?: true;
  };
  if (!engine[WRAPPED]) {
    const track = engine.trackTensor;
    engine.trackTensor = function (this: unknown, ...args: unknown[]) {
      const out = track.apply(this, args);
      const bytes = engineState().numBytes;
      if (bytes > peakTensorBytes) peakTensorBytes = bytes;
      return out;
    };
    engine[WRAPPED] = true;
    peakTensorBytes = engineState().numBytes;
  }
  const manager = bufferManager() as (BufferManagerLike & { [WRAPPED]?: true }) | null;
  if (manager && !manager[WRAPPED]) {
    const acquire = manager.acquireBuffer;
    manager.acquireBuffer = function (this: BufferManagerLike, ...args: unknown[]) {
      const out = acquire.apply(this, args);
      if (this.numBytesUsed > peakGpuBytes) peakGpuBytes = this.numBytesUsed;
      return out;
    };
    manager[WRAPPED] = true;
    peakGpuBytes = manager.numBytesUsed;
  }
}

/** Starts tracking on the active backend; call again after a backend change. */
export function trackMemoryPeaks(): void {
  install();
}

/** The counts now and their peaks since the last sample; the peaks then restart from now. */
export function sampleMemory(): MemorySample {
  install();
  const tensorBytes = engineState().numBytes;
  const manager = bufferManager();
  const sample: MemorySample = {
    tensorBytes,
    peakTensorBytes: Math.max(peakTensorBytes, tensorBytes),
    gpuBytes: manager ? manager.numBytesUsed : null,
    peakGpuBytes: manager ? Math.max(peakGpuBytes, manager.numBytesUsed) : null,
    gpuAllocatedBytes: manager ? manager.numBytesAllocated : null,
  };
  peakTensorBytes = tensorBytes;
  peakGpuBytes = manager?.numBytesUsed ?? 0;
  return sample;
}

/**
 * Counts what the training step asks of the GPU, by wrapping four WebGPU entry points in
 * this worker: compute dispatches, queue submits, readbacks (mapAsync for reading) and uploads. TF.js
 * uploads tensor data by writing into buffers mapped at creation (getMappedRange on a
 * non-readable buffer) and uniforms with queue.writeBuffer; both count, uniforms apart.
 * Counting is a few integer additions per call, so it stays on.
 */

export interface GpuCounters {
  dispatches: number;
  /** Command buffers handed to the queue (GPUQueue.submit calls). */
  submits: number;
  readbacks: number;
  /**
   * Of those, the readbacks that saved checkpoints: they come every 20 s of wall time, not
   * every few steps, so per step they grow as steps slow down (a loaded machine).
   */
  checkpointReadbacks: number;
  /** Bytes of tensor data written to the GPU (mapped-at-creation buffers, writeBuffer to non-uniform buffers). */
  uploadBytes: number;
  /** Bytes of uniform parameters written (shape and scalar arguments of kernels). */
  uniformBytes: number;
}

const counters: GpuCounters = {
  dispatches: 0,
  submits: 0,
  readbacks: 0,
  checkpointReadbacks: 0,
  uploadBytes: 0,
  uniformBytes: 0,
};
let installed = false;

export function installGpuCounters(): boolean {
  if (installed) return true;
  const g = globalThis as unknown as {
    GPUComputePassEncoder?: { prototype: GPUComputePassEncoder };
    GPUBuffer?: { prototype: GPUBuffer };
    GPUQueue?: { prototype: GPUQueue };
  };
  if (!g.GPUComputePassEncoder || !g.GPUBuffer || !g.GPUQueue) return false;

  const pass = g.GPUComputePassEncoder.prototype;
  const dispatch = pass.dispatchWorkgroups;
  pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<typeof dispatch>) {
    counters.dispatches += 1;
    return dispatch.apply(this, args);
  };

  const buffer = g.GPUBuffer.prototype;
  const mapAsync = buffer.mapAsync;
  buffer.mapAsync = function (this: GPUBuffer, mode: number, ...rest: [number?, number?]) {
    if (mode & GPUMapMode.READ) counters.readbacks += 1;
    return mapAsync.call(this, mode, ...rest);
  };
  const getMappedRange = buffer.getMappedRange;
  buffer.getMappedRange = function (this: GPUBuffer, ...args: Parameters<typeof getMappedRange>) {
    if (!(this.usage & GPUBufferUsage.MAP_READ))
      counters.uploadBytes += args[1] ?? this.size - (args[0] ?? 0);
    return getMappedRange.apply(this, args);
  };

  const queue = g.GPUQueue.prototype;
  const submit = queue.submit;
  queue.submit = function (this: GPUQueue, ...args: Parameters<typeof submit>) {
    counters.submits += 1;
    return submit.apply(this, args);
  };
  const writeBuffer = queue.writeBuffer;
  queue.writeBuffer = function (
    this: GPUQueue,
    target: GPUBuffer,
    offset: number,
    data: BufferSource | SharedArrayBuffer,
    dataOffset?: number,
    size?: number,
  ) {
    const bytes = size ?? data.byteLength - (dataOffset ?? 0);
    if (target.usage & GPUBufferUsage.UNIFORM) counters.uniformBytes += bytes;
    else counters.uploadBytes += bytes;
    return writeBuffer.call(this, target, offset, data as BufferSource, dataOffset, size);
  } as typeof writeBuffer;
  installed = true;
  return true;
}

/** Runs `read` (a checkpoint's read of the weights) and counts its readbacks as a checkpoint's. */
export async function asCheckpointReadbacks<T>(read: () => Promise<T>): Promise<T> {
  const before = counters.readbacks;
  try {
    return await read();
  } finally {
    counters.checkpointReadbacks += counters.readbacks - before;
  }
}

export function readGpuCounters(): GpuCounters {
  return { ...counters };
}

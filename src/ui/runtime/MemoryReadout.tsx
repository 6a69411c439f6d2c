import { useAppStore } from '../../state/store';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * The run's memory: TF.js's bytes on the GPU now and their peak during the steps since the
 * last report (the trainer's memory at its fullest, mid-step), with what TF.js keeps allocated.
 */
export function MemoryReadout() {
  const memory = useAppStore((s) => s.runtime.memory);
  if (!memory) return null;
  const onGpu = memory.gpuBytes !== null;
  return (
    <p
      data-testid="gpu-memory"
      data-bytes={memory.gpuBytes ?? memory.tensorBytes}
      data-peak-bytes={memory.peakGpuBytes ?? memory.peakTensorBytes}
    >
      {onGpu ? 'GPU memory' : 'Tensor memory'}: <strong>{mb(memory.gpuBytes ?? memory.tensorBytes)}</strong>{' '}
      in use, <strong>{mb(memory.peakGpuBytes ?? memory.peakTensorBytes)}</strong> at the peak of a step
      {memory.gpuAllocatedBytes !== null && (
        <span className="muted">
          {' '}
          ({mb(memory.gpuAllocatedBytes)} allocated by TF.js, its pool of free buffers included; tensors{' '}
          {mb(memory.tensorBytes)}, peak {mb(memory.peakTensorBytes)})
        </span>
      )}
      .
    </p>
  );
}

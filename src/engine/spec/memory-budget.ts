/**
 * Whether a training config fits the memory a backend can count on, decided from sizes
 * alone before anything is allocated. The worker and the command line refuse with the same
 * figures and the same advice, so a config the page refuses is refused by the CLI too.
 */
import type { BackendName } from './backend-report';
import { patchCount, type RunConfig } from './config';
import { estimateTrainingBytes } from './model-size';

/** Bytes each backend can count on for one run (tensors, not the page or Node itself). */
export const MEMORY_BUDGETS: Record<BackendName, number> = {
  webgpu: 4 * 2 ** 30,
  webgl: 2 * 2 ** 30,
  wasm: 2 * 2 ** 30,
  cpu: 4 * 2 ** 30,
};

export interface DataSize {
  trainCount: number;
  testCount: number;
  imageSize: number;
}

/** Peak bytes of a run: the larger phase's training step plus the device-resident images. */
export function trainingMemoryNeed(config: RunConfig, data: DataSize): number {
  const batch = config.optim.batch;
  const images = (data.trainCount + data.testCount) * data.imageSize ** 2 * 4;
  // Students train beside a frozen teacher whose activations the relation terms keep.
  return (
    Math.max(
      estimateTrainingBytes(config.teacher, batch),
      estimateTrainingBytes(config.student, batch) * 1.5,
    ) + images
  );
}

/**
 * Why the config cannot fit, saying what to shrink; null when it fits. `maxBinding` is
 * WebGPU's largest single buffer, when known.
 */
export function memoryProblem(
  config: RunConfig,
  data: DataSize,
  backend: BackendName,
  maxBinding?: number,
): string | null {
  const batch = config.optim.batch;
  let limit = MEMORY_BUDGETS[backend];
  if (maxBinding !== undefined) {
    const t = patchCount(config.teacher) + 1;
    const largest = Math.max(
      batch * config.teacher.nHeads * t * t * 4,
      data.trainCount * data.imageSize ** 2 * 4,
    );
    if (largest > maxBinding) {
      return (
        `This config needs a single GPU buffer of ${(largest / 2 ** 20).toFixed(0)} MB, more than this GPU allows ` +
        `(${(maxBinding / 2 ** 20).toFixed(0)} MB). Lower the batch size (now ${batch}) or use a smaller dataset.`
      );
    }
    limit = Math.max(limit, maxBinding);
  }
  const need = trainingMemoryNeed(config, data);
  if (need <= limit) return null;
  return (
    `This config needs about ${(need / 2 ** 30).toFixed(1)} GB for training on ${backend}, more than the ` +
    `${(limit / 2 ** 30).toFixed(1)} GB it can count on. Lower the batch size (now ${batch}) or the models' width or depth.`
  );
}

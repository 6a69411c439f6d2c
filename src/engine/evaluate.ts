/**
 * Test accuracy on the device: each batch adds its correct-prediction counts to a running
 * total there; the total is read once at the end, never per sample or per batch.
 */
import type { DeviceImageSet } from './data/gpu-data';
import type { StepKind } from './spec/step-kind';
import * as tf from './tf';
import type { Vit } from './vit';

export interface EvaluateOptions {
  /** Test images per forward pass. */
  batch: number;
  /** Only the first this many images of the set (default: all). */
  limit?: number;
  /**
   * 'fast' runs the forward pass as the fast step does (fused kernels on WebGPU, XNNPACK's
   * routes on wasm: at the default size and a batch of 100 in Node, 1.3 s where the plain ops
   * take 5.2). Default 'reference'.
   */
  stepKind?: StepKind;
}

/**
 * Lets the thread's other tasks run. On wasm and cpu each batch computes synchronously, so
 * without this a whole test set would hold the worker's thread, and the page, which asks a
 * paused worker whether it still answers, could take it for a dead one.
 */
function yieldToOtherTasks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Accuracy (0..1) of each model on a set. */
export async function evaluateAccuracy(
  models: Vit[],
  set: DeviceImageSet,
  { batch, limit = set.count, stepKind = 'reference' }: EvaluateOptions,
): Promise<number[]> {
  const count = Math.min(limit, set.count);
  if (count <= 0 || !models.length) return models.map(() => Number.NaN);
  let correct: tf.Tensor1D = tf.zeros([models.length]);
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const next = tf.tidy(() => {
      const indices = tf.range(start, start + size, 1, 'int32') as tf.Tensor1D;
      const images = set.images(indices);
      const labels = set.batchLabels(indices);
      // A scope per model: one model's activations are freed before the next runs. Both at
      // once, at the default size and a batch of 250, outgrew wasm's heap in Node (an abort).
      const hits = models.map((m) =>
        tf.tidy(
          () =>
            m
              .predictLogits(m.apply(images, { stepKind }))
              .argMax(-1)
              .equal(labels)
              .toFloat()
              .sum() as tf.Scalar,
        ),
      );
      return correct.add(tf.stack(hits)) as tf.Tensor1D;
    });
    correct.dispose();
    correct = next;
    if (start + batch < count) await yieldToOtherTasks();
  }
  const totals = await correct.data(); // GPU→CPU sync point
  correct.dispose();
  return Array.from(totals, (c) => c / count);
}

/**
 * A training batch as the trainer makes it: gathered from the device-resident set, augmented,
 * mixed when mixup is on. Shared by the trainer and the pipeline warm-up (warm-up.ts), so the
 * warm-up traces exactly the ops a real step runs.
 */

import { type AugmentConfig, augmentBatch, type DeviceImageSet } from './data/gpu-data';
import type { Rng } from './random';
import type { Batch } from './step';
import * as tf from './tf';

/**
 * The batch of `indices` [B] int32; `lam` is mixup's weight (null without mixup): each image
 * is paired with the batch's reverse, so mixup costs no extra gather and no upload but lam.
 */
export function makeTrainBatch(
  set: DeviceImageSet,
  indices: tf.Tensor1D,
  augment: AugmentConfig,
  augmentRng: Rng,
  lam: number | null,
): Batch {
  return tf.tidy(() => {
    const raw = set.images(indices);
    const images = augmentBatch(raw, augment, augmentRng);
    const labels = set.batchLabels(indices);
    if (lam === null) return { images, labels };
    const mixed = images.mul(lam).add(images.reverse(0).mul(1 - lam)) as tf.Tensor4D;
    return { images: mixed, labels, mix: { labels: labels.reverse(0) as tf.Tensor1D, lam } };
  });
}

/** Frees a batch from makeTrainBatch. */
export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.images, batch.labels, ...(batch.mix ? [batch.mix.labels] : [])]);
}

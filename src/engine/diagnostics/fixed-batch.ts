/**
 * The measurements' stand-in batch: random images of the model's shape and labels cycling
 * through its classes, uploaded once and reused by every step (the trainer's batches come
 * from a dataset already on the device, so no upload belongs in a measured step).
 */
import type { VitConfig } from '../spec/config';
import type { Batch } from '../step';
import * as tf from '../tf';

export function fixedBatch(model: VitConfig, batch: number): Batch {
  const { imageSize, channels, numClasses } = model;
  return {
    images: tf.randomNormal([batch, imageSize, imageSize, channels], 0, 1, 'float32', 7) as tf.Tensor4D,
    labels: cyclicLabels(batch, numClasses),
  };
}

/** Labels 0, 1, …, classes - 1, 0, 1, … for a batch. */
export function cyclicLabels(batch: number, classes: number): tf.Tensor1D {
  return tf.tensor1d(
    Int32Array.from({ length: batch }, (_, i) => i % classes),
    'int32',
  );
}

/**
 * Reductions whose gradients stay on the device. TF.js differentiates sum and mean by
 * multiplying with tf.ones(x.shape), which it builds on the CPU and uploads: a full
 * activation-sized upload per reduction per step (measured: 10 uploads of [B, T, D] per
 * teacher step, 350 KB). A matmul against a tf.fill constant computes the same values, and
 * its gradient is another matmul: nothing leaves the CPU.
 */
import * as tf from './tf';

/** Sum over the last axis of x [..., n] -> [..., 1]. */
export function sumLastAxis(x: tf.Tensor): tf.Tensor {
  const n = x.shape[x.rank - 1]!;
  const flat = x.reshape([-1, n]) as tf.Tensor2D;
  return tf.matMul(flat, tf.fill([n, 1], 1) as tf.Tensor2D).reshape([...x.shape.slice(0, -1), 1]);
}

/** Mean over the last axis of x [..., n] -> [..., 1]. */
export function meanLastAxis(x: tf.Tensor): tf.Tensor {
  const n = x.shape[x.rank - 1]!;
  const flat = x.reshape([-1, n]) as tf.Tensor2D;
  return tf.matMul(flat, tf.fill([n, 1], 1 / n) as tf.Tensor2D).reshape([...x.shape.slice(0, -1), 1]);
}

/** Mean of all entries -> scalar. */
export function meanAll(x: tf.Tensor): tf.Scalar {
  const flat = x.reshape([1, -1]) as tf.Tensor2D;
  return tf.matMul(flat, tf.fill([x.size, 1], 1 / x.size) as tf.Tensor2D).reshape([]) as tf.Scalar;
}

/** Mean of (a - b)^2 over all entries, as one dot product of the difference with itself. */
export function meanSquaredDifference(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const d = a.sub(b).reshape([1, -1]) as tf.Tensor2D;
  return tf.matMul(d, d, false, true).reshape([]).div(d.size) as tf.Scalar;
}

import * as tf from './tf';

/**
 * The GPUDevice of the active WebGPU backend, or undefined on any other backend. TF.js keeps
 * it on the backend object without typing it, so this is the one place that reaches for it.
 */
export function webgpuDevice(): GPUDevice | undefined {
  return (tf.backend() as unknown as { device?: GPUDevice }).device;
}

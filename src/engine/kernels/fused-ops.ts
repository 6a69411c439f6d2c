/**
 * Ops that the fast step runs as one fused kernel where the backend has one (WebGPU: see
 * webgpu.ts) and as plain TF.js ops everywhere else. The plain versions are the reference
 * step's ops, so both steps compute the same function; the fused ones only dispatch fewer
 * kernels. Each fused kernel carries its own gradient (registered beside it).
 */
import { meanLastAxis } from '../reduce';
import * as tf from '../tf';

/** timm's LayerNorm epsilon for ViT (tf.layers' default of 1e-3 would differ from PyTorch). */
export const LN_EPS = 1e-6;

/** Kernel names; a backend that registers them runs the fused versions. */
export const KERNELS = {
  layerNorm: 'KdLayerNorm',
  layerNormGradX: 'KdLayerNormGradX',
  layerNormGradGamma: 'KdLayerNormGradGamma',
  layerNormGradBeta: 'KdLayerNormGradBeta',
  rowStats: 'KdRowStats',
  gelu: 'KdGelu',
  geluGrad: 'KdGeluGrad',
  softmax: 'KdSoftmax',
  softmaxGrad: 'KdSoftmaxGrad',
} as const;

/** Whether the active backend has the fused kernels (only WebGPU does, once webgpu.ts is loaded). */
export function hasFusedKernels(): boolean {
  return tf.getKernel(KERNELS.layerNorm, tf.getBackend()) !== undefined;
}

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function layerNorm(x: tf.Tensor3D, gamma: tf.Tensor, beta: tf.Tensor, fused: boolean): tf.Tensor3D {
  if (fused && hasFusedKernels()) {
    return tf
      .engine()
      .runKernel(KERNELS.layerNorm, { X: x, G: gamma, B: beta }, { eps: LN_EPS }) as tf.Tensor3D;
  }
  // Statistics by matmul (reduce.ts): no CPU-built gradient tensors.
  const centred = x.sub(meanLastAxis(x)); // [B, T, D]
  const variance = meanLastAxis(centred.square()); // [B, T, 1]
  return centred.mul(variance.add(LN_EPS).rsqrt()).mul(gamma).add(beta) as tf.Tensor3D;
}

/** Exact (erf) GELU, as PyTorch's nn.GELU() default. */
export function gelu(x: tf.Tensor, fused: boolean): tf.Tensor {
  if (fused && hasFusedKernels()) return tf.engine().runKernel(KERNELS.gelu, { X: x }) as tf.Tensor;
  return x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
}

/** Softmax over the last axis. */
export function softmax(x: tf.Tensor, fused: boolean): tf.Tensor {
  if (fused && hasFusedKernels()) return tf.engine().runKernel(KERNELS.softmax, { X: x }) as tf.Tensor;
  return tf.softmax(x);
}

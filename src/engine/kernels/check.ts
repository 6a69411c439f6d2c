/**
 * Compares each fused kernel with its plain-op version on the active backend: values and
 * gradients for random inputs. The benchmark worker runs it, and the browser test asserts
 * on it, because the fused kernels exist only on WebGPU.
 */
import * as tf from '../tf';
import { gelu, hasFusedKernels, layerNorm, softmax } from './fused-ops';

export interface KernelCheck {
  name: string;
  /** Largest |fused - plain| / max(|plain|, 1e-3) over the output and every input gradient. */
  maxRelDiff: number;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-3);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** Output and gradients of sum(f(inputs) * w) (w random, so every output entry matters). */
async function valueAndGrads(
  f: (xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  w: tf.Tensor,
): Promise<Float32Array[]> {
  const out = tf.tidy(() => {
    const y = f(inputs);
    const grads = tf.grads((...xs: tf.Tensor[]) => f(xs).mul(w).sum())(inputs);
    return [y, ...grads];
  });
  const values = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  return values;
}

export async function checkFusedKernels(seed = 3): Promise<KernelCheck[]> {
  if (!hasFusedKernels()) return [];
  const shape = [3, 17, 24]; // odd sizes: rows and widths that do not fill a workgroup
  const x = tf.randomNormal(shape, 0.3, 1.5, 'float32', seed);
  const gamma = tf.randomNormal([shape[2]!], 1, 0.5, 'float32', seed + 1);
  const beta = tf.randomNormal([shape[2]!], 0, 0.5, 'float32', seed + 2);
  const w = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
  const cases: {
    name: string;
    f: (fused: boolean) => (xs: tf.Tensor[]) => tf.Tensor;
    inputs: tf.Tensor[];
  }[] = [
    {
      name: 'layerNorm',
      f: (fused) => (xs) => layerNorm(xs[0] as tf.Tensor3D, xs[1]!, xs[2]!, fused),
      inputs: [x, gamma, beta],
    },
    { name: 'gelu', f: (fused) => (xs) => gelu(xs[0]!, fused), inputs: [x] },
    { name: 'softmax', f: (fused) => (xs) => softmax(xs[0]!, fused), inputs: [x] },
  ];
  const results: KernelCheck[] = [];
  try {
    for (const c of cases) {
      const fused = await valueAndGrads(c.f(true), c.inputs, w);
      const plain = await valueAndGrads(c.f(false), c.inputs, w);
      results.push({ name: c.name, maxRelDiff: Math.max(...fused.map((a, i) => relDiff(a, plain[i]!))) });
    }
  } finally {
    tf.dispose([x, gamma, beta, w]);
  }
  return results;
}

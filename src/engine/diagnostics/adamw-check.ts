/**
 * The flat AdamW with its fused kernel against the same optimizer on plain ops (optim.test.ts
 * holds the plain one to a float64 reference): three steps from the same start, with
 * clipping, decay on some parameters only, and a parameter left without a gradient in one
 * step; parameters and both moments compared after them. Part of checkFusedKernels.
 */

import { FlatAdamW } from '../optim-flat';
import type { OptimConfig } from '../spec/config';
import * as tf from '../tf';
import type { NamedVariable } from '../vit';

/** Odd sizes (not multiples of a workgroup), one parameter without decay. */
const SHAPES: { shape: number[]; decay: boolean }[] = [
  { shape: [5, 7], decay: true },
  { shape: [13], decay: false },
  { shape: [3, 4, 2], decay: true },
  { shape: [70], decay: true },
];

/** Largest |a - b| / max(|b|, floor) over all entries. */
export type RelDiff = (a: Float32Array, b: Float32Array) => number;

export async function checkFusedAdamW(seed: number, relDiff: RelDiff): Promise<number> {
  const cfg = {
    lr: 0.01,
    weightDecay: 0.05,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    gradClip: 1,
  } as OptimConfig;
  const init = SHAPES.map((s, i) => tf.randomNormal(s.shape, 0, 1, 'float32', seed + i));
  const grads = [0, 1, 2].map((k) =>
    SHAPES.map((s, i) => tf.randomNormal(s.shape, 0, 0.5, 'float32', seed + 100 * (k + 1) + i)),
  );
  const make = () =>
    SHAPES.map(
      (s, i): NamedVariable => ({ name: `p${i}`, variable: tf.variable(init[i]!.clone()), decay: s.decay }),
    );
  const fastParams = make();
  const referenceParams = make();
  const fast = new FlatAdamW(fastParams, cfg, { stepKind: 'fast' });
  const reference = new FlatAdamW(referenceParams, cfg, { stepKind: 'reference' });
  try {
    grads.forEach((step, k) => {
      // Step 2: the second parameter is off the loss's path.
      const given = step.map((g, i) => (k === 1 && i === 1 ? undefined : g));
      const lr = cfg.lr * (k + 1);
      fast.apply(given, lr);
      reference.apply(given, lr);
    });
    const a = fast.getState();
    const b = reference.getState();
    const pairs: [tf.Tensor, tf.Tensor][] = [
      ...fastParams.map((p, i): [tf.Tensor, tf.Tensor] => [p.variable, referenceParams[i]!.variable]),
      ...a.m.map((m, i): [tf.Tensor, tf.Tensor] => [m, b.m[i]!]),
      ...a.v.map((v, i): [tf.Tensor, tf.Tensor] => [v, b.v[i]!]),
    ];
    let worst = 0;
    for (const [x, y] of pairs) {
      const d = relDiff((await x.data()) as Float32Array, (await y.data()) as Float32Array);
      if (!(d <= worst)) worst = d;
    }
    tf.dispose([...a.m, ...a.v, ...b.m, ...b.v]);
    return worst;
  } finally {
    fast.dispose();
    reference.dispose();
    tf.dispose([
      ...init,
      ...grads.flat(),
      ...fastParams.map((p) => p.variable),
      ...referenceParams.map((p) => p.variable),
    ]);
  }
}

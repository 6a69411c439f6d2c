import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from './backend';
import { prependTokens } from './prepend-tokens';
import { maxAbsDiff, mulberry32, uniform } from './test-utils';
import * as tf from './tf';

beforeAll(async () => {
  const problem = await tryBackend('cpu');
  if (problem) throw new Error(problem);
});

describe('prependTokens', () => {
  it('gives the tokens, then the patches, plus the position embedding, and their gradients by hand', () => {
    const [b, n, d, p] = [3, 4, 5, 2];
    const t = p + n;
    const rng = mulberry32(11);
    const patches = uniform(rng, b * n * d);
    const tokens = [uniform(rng, d), uniform(rng, d)];
    const pos = uniform(rng, t * d);
    const w = uniform(rng, b * t * d); // loss = sum(out * w)
    // By hand: out[i, j, c] = (j < p ? tokens[j][c] : patches[i, j - p, c]) + pos[j, c].
    const out = new Float32Array(b * t * d);
    const dPatches = new Float32Array(b * n * d);
    const dTokens = tokens.map(() => new Float32Array(d));
    const dPos = new Float32Array(t * d);
    for (let i = 0; i < b; i++)
      for (let j = 0; j < t; j++)
        for (let c = 0; c < d; c++) {
          const at = (i * t + j) * d + c;
          out[at] = (j < p ? tokens[j]![c]! : patches[(i * n + j - p) * d + c]!) + pos[j * d + c]!;
          if (j < p) dTokens[j]![c]! += w[at]!;
          else dPatches[(i * n + j - p) * d + c] = w[at]!;
          dPos[j * d + c]! += w[at]!;
        }
    const got = tf.tidy(() => {
      const xs = [
        tf.tensor3d(patches, [b, n, d]),
        ...tokens.map((v) => tf.tensor3d(v, [1, 1, d])),
        tf.tensor3d(pos, [1, t, d]),
      ];
      const wt = tf.tensor3d(w, [b, t, d]);
      const f = (a: tf.Tensor[]) => prependTokens(a[0] as tf.Tensor3D, a.slice(1, 1 + p), a[1 + p]!);
      const grads = tf.grads((...a: tf.Tensor[]) => f(a).mul(wt).sum())(xs);
      return [f(xs), ...grads].map((g) => g.dataSync() as Float32Array);
    });
    const want = [out, dPatches, ...dTokens, dPos];
    expect(got.map((g) => g.length)).toEqual(want.map((v) => v.length));
    for (const [i, g] of got.entries()) expect(maxAbsDiff(g, want[i]!), `output ${i}`).toBeLessThan(1e-5);
  });

  it('leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    const x = tf.ones([2, 3, 4]) as tf.Tensor3D;
    const tok = tf.ones([1, 1, 4]);
    const pos = tf.zeros([1, 4, 4]);
    tf.tidy(() => {
      tf.grads((a: tf.Tensor, c: tf.Tensor, q: tf.Tensor) => prependTokens(a as tf.Tensor3D, [c], q).sum())([
        x,
        tok,
        pos,
      ]);
    });
    tf.dispose([x, tok, pos]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

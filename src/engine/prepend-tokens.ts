/**
 * The fast step's token embedding: the cls (and distillation) token tiled over the batch,
 * prepended to the patch tokens, plus the position embedding; the same values as the
 * reference's tile + concat + add, with a cheaper gradient.
 *
 * TF.js differentiates tf.tile of a [1, 1, D] token over a batch of B by B slices added one
 * by one (and tf.broadcastTo runs the same Tile kernel, so the same gradient): with two
 * tokens, 2B + 2 kernels, 66 of the tiny preset's 248 dispatches a step on WebGPU. Here the
 * gradient sums the batch once (a column sum, shared with the position embedding's: one
 * kernel on WebGPU), cuts the tokens' rows off its front (buffer copies on WebGPU) and the
 * patches' part out of the incoming gradient: two dispatches.
 */
import { columnSum, hasKernel, KERNELS, splitFlat } from './kernels/fused-ops';
import * as tf from './tf';

type SaveFunc = (tensors: tf.Tensor[]) => void;

/**
 * concat([tile(token, [B, 1, 1]) for each token, patches], 1) + pos.
 * patches [B, N, D]; tokens each [1, 1, D]; pos [1, tokens + N, D]. Returns [B, tokens + N, D].
 */
export function prependTokens(patches: tf.Tensor3D, tokens: tf.Tensor[], pos: tf.Tensor): tf.Tensor3D {
  const [b, n, d] = patches.shape;
  const p = tokens.length;
  const f = tf.customGrad(((...args: (tf.Tensor | SaveFunc)[]) => {
    const xs = args.slice(0, -1) as tf.Tensor[]; // the last argument is customGrad's save()
    return {
      value: embed(xs[0]!, xs.slice(1, 1 + p), xs[1 + p]!, b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const g = dy as tf.Tensor3D; // [B, T, D]
        // [T * D]: the position embedding's gradient (one kernel on WebGPU)
        const perToken = columnSum(g.reshape([b, -1]));
        // The tokens' rows lead it: cut by copies where the backend can (no dispatch on WebGPU).
        const parts = splitFlat(perToken, [...tokens.map(() => [1, 1, d]), [n * d]]);
        parts[p]!.dispose();
        return [g.slice([0, p, 0], [b, n, d]), ...parts.slice(0, p), perToken.reshape([1, p + n, d])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(patches, ...tokens, pos) as tf.Tensor3D;
}

/** The forward: one kernel on WebGPU (kernels/prepend-webgpu.ts), else tile, concat and add. */
function embed(patches: tf.Tensor, tokens: tf.Tensor[], pos: tf.Tensor, b: number): tf.Tensor {
  const kernel = `${KERNELS.prependTokens}${tokens.length}` as const;
  if (hasKernel(kernel)) {
    const named = Object.fromEntries(tokens.map((t, i) => [`T${i}`, t]));
    return tf.engine().runKernel(kernel, { X: patches, POS: pos, ...named }) as tf.Tensor;
  }
  return tf.concat([...tokens.map((t) => tf.tile(t, [b, 1, 1])), patches], 1).add(pos);
}

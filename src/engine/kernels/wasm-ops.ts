/**
 * The fast step's ops on wasm, which has none of the fused kernels: the same values as the
 * plain ops, by the routes wasm runs fast, with gradients in closed form.
 *
 * Why: tfjs-backend-wasm 4.22 sends a matMul to XNNPACK only when it is a single untransposed
 * [1, M, K] x [1, K, N] product (its batch_mat_mul_impl.cc). A transposed operand or a batch
 * of products (attention's heads, the relation maps) runs a scalar loop, about 2 GFLOP/s
 * here against XNNPACK's 30: at the default size most of the wasm step was there.
 *
 * A batch of products is a grouped convolution, which is what wasm's depthwiseConv2d runs on
 * XNNPACK (one group per input channel, `multiplier` outputs each). With the groups as
 * channels, the input [1, M*K, 1, G] read by a K x 1 window at stride K has row m of A[g]
 * under the window at output pixel m, and the filter [K, 1, G, N] holds B[g]: the output
 * [1, M, 1, G*N] is every A[g] B[g]. So the batches here are kept as [rows, G, cols] (the
 * grouped layout): the output comes that way and the filter is read that way, which leaves
 * one transpose per product. Measured here (Node, one thread), for [128, 66, 32] x
 * [128, 32, 66]: 25.9 ms as one matMul, 3.8 ms this way even with a transpose of each operand
 * and of the result.
 */
import * as tf from '../tf';

/** tf.customGrad's save callback. */
type SaveFunc = (tensors: tf.Tensor[]) => void;
type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/** tf.customGrad with its types spelled out once: f gets the inputs and save. */
function withGradient<T extends tf.Tensor>(
  f: (inputs: tf.Tensor[], save: SaveFunc) => { value: T; gradFunc: GradFunc },
): (...inputs: tf.Tensor[]) => T {
  const op = tf.customGrad(((...args: (tf.Tensor | SaveFunc)[]) =>
    f(args.slice(0, -1) as tf.Tensor[], args[args.length - 1] as SaveFunc)) as unknown as Parameters<
    typeof tf.customGrad
  >[0]);
  return (...inputs) => op(...inputs) as T;
}

/**
 * Whether the backend's matMul is much slower for a transposed operand or a batch than a
 * transpose and a single plain product: wasm's, as above. Measured for a layer's
 * [1056, 256]^T x [1056, 64] weight gradient: 20.9 ms transposed, 1.6 ms transposed first.
 */
export function matMulIsSlowUnlessPlain(): boolean {
  return tf.getBackend() === 'wasm';
}

/** The axes of op(x)'s rows and columns in a grouped [rows, G, cols] operand, transposed or not. */
function axes(transposed: boolean): { rows: number; cols: number } {
  return transposed ? { rows: 2, cols: 0 } : { rows: 0, cols: 2 };
}

/** The grouped convolution itself: x [M, K, G] (row m of each A[g]), w [K, G, N] (each B[g]) -> [M, G, N]. */
function convolveGroups(x: tf.Tensor, w: tf.Tensor, [m, k, groups, n]: number[]): tf.Tensor3D {
  const input = x.reshape([1, m! * k!, 1, groups!]) as tf.Tensor4D;
  const filter = w.reshape([k!, 1, groups!, n!]) as tf.Tensor4D;
  return tf.depthwiseConv2d(input, filter, [k!, 1], 'valid').reshape([m!, groups!, n!]) as tf.Tensor3D;
}

/**
 * op(a) op(b) per group as one grouped convolution, in the grouped layout: a [M, G, K] (or
 * [K, G, M] with transposeA), b [K, G, N] (or [N, G, K]) -> [M, G, N]. No gradient.
 */
function groupProducts(
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor3D {
  return tf.tidy(() => {
    const ax = axes(transposeA);
    const bx = axes(transposeB);
    const [m, groups, k] = [a.shape[ax.rows]!, a.shape[1], a.shape[ax.cols]!];
    const n = b.shape[bx.cols]!;
    if (b.shape[1] !== groups || b.shape[bx.rows] !== k) {
      throw new Error(
        `groupMatMul: op(a) is [${m}, ${groups}, ${k}] but op(b) is [${b.shape}] (transposed: ${transposeB}).`,
      );
    }
    const x = a.transpose([ax.rows, ax.cols, 1]); // [M, K, G]
    const w = transposeB ? b.transpose([bx.rows, 1, bx.cols]) : b; // [K, G, N]
    return convolveGroups(x, w, [m, k, groups, n]);
  });
}

/**
 * op(a) op(b) for each group g, in the grouped layout: a [M, G, K] (or [K, G, M] with
 * transposeA), b [K, G, N] (or [N, G, K]) -> [M, G, N]. Its gradient is two more grouped
 * products, each in its operand's layout.
 */
export function groupMatMul(
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor3D {
  return withGradient<tf.Tensor3D>(([aIn, bIn], save) => {
    save([aIn!, bIn!]);
    return {
      value: groupProducts(aIn as tf.Tensor3D, bIn as tf.Tensor3D, transposeA, transposeB),
      gradFunc: (dy, [as, bs]) => {
        const g = dy as tf.Tensor3D;
        const [sa, sb] = [as as tf.Tensor3D, bs as tf.Tensor3D];
        // d op(A) = dY op(B)^T and d op(B) = op(A)^T dY, each put back in its operand's storage.
        const da = transposeA
          ? groupProducts(sb, g, transposeB, true)
          : groupProducts(g, sb, false, !transposeB);
        const db = transposeB
          ? groupProducts(g, sa, true, transposeA)
          : groupProducts(sa, g, !transposeA, false);
        return [da, db];
      },
    };
  })(a, b);
}

/**
 * f f^T per group -> [M, G, M] in the grouped layout, from f grouped [M, G, D] or, with
 * `groupsFirst`, [G, M, D]; no gradient (a constant side's maps: the frozen teacher's).
 */
export function gramValue(f: tf.Tensor3D, groupsFirst: boolean): tf.Tensor3D {
  return tf.tidy(() => {
    const [m, groups, d] = groupsFirst ? [f.shape[1], f.shape[0], f.shape[2]] : f.shape;
    // The convolution's input [M, D, G] and filter [D, G, M], each one transpose of f (from
    // groups first too, where groupProducts would take a third to reach the grouped layout).
    const x = f.transpose(groupsFirst ? [1, 2, 0] : [0, 2, 1]);
    const w = f.transpose(groupsFirst ? [2, 0, 1] : [2, 1, 0]);
    return convolveGroups(x, w, [m, d, groups, m]);
  });
}

/**
 * gramValue with its gradient, (dY + dY^T) f per group: one product, where a product of two
 * operands would take two.
 */
export function groupGram(f: tf.Tensor3D, groupsFirst: boolean): tf.Tensor3D {
  return withGradient<tf.Tensor3D>(([fIn], save) => {
    save([fIn!]);
    return {
      value: gramValue(fIn as tf.Tensor3D, groupsFirst),
      gradFunc: (dy, [fs]) => {
        const g = dy as tf.Tensor3D;
        const grouped = (groupsFirst ? fs!.transpose([1, 0, 2]) : fs!) as tf.Tensor3D;
        const df = groupProducts(g.add(g.transpose([2, 1, 0])) as tf.Tensor3D, grouped, false, false);
        return groupsFirst ? df.transpose([1, 0, 2]) : df;
      },
    };
  })(f);
}

/** mean((a - b)^2) over every entry; gradient 2 (a - b) / n, and its negative for b. */
export function meanSquaredDistance(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return withGradient<tf.Scalar>(([aIn, bIn], save) => {
    const d = aIn!.sub(bIn!);
    save([d]);
    return {
      value: d.square().sum().div(d.size) as tf.Scalar,
      gradFunc: (dy, [ds]) => {
        const da = ds!.mul((dy as tf.Tensor).mul(2 / ds!.size));
        return [da, da.neg()];
      },
    };
  })(a, b);
}

/** x / max(|x|, eps) over the last axis; no gradient (a constant side's tokens). */
export function normalizedValue(x: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => x.div(x.square().sum(-1, true).sqrt().maximum(eps)));
}

/**
 * normalizedValue with its gradient, (dy - y (dy . y)) / |x| per row, or dy / eps where the
 * floor holds (no direction then: the scale is the constant eps).
 */
export function normalizeLastAxis(x: tf.Tensor, eps: number): tf.Tensor {
  return withGradient<tf.Tensor>(([xIn], save) => {
    const length = xIn!.square().sum(-1, true).sqrt();
    const norm = length.maximum(eps);
    const y = xIn!.div(norm);
    save([y, norm, length.greater(eps)]);
    return {
      value: y,
      gradFunc: (dy, [ys, ns, free]) => {
        const g = dy as tf.Tensor;
        const along = g.mul(ys!).sum(-1, true).mul(free!.toFloat());
        return g.sub(ys!.mul(along)).div(ns!);
      },
    };
  })(x);
}

/**
 * LayerNorm over the last axis, (x - mean) / sqrt(var + eps) * gamma + beta, with the closed-
 * form gradient: dx = r (g - mean(g) - xhat mean(g xhat)) with g = dy gamma and r the inverse
 * deviation, dgamma and dbeta column sums. The plain ops' autodiff is about twice the kernels
 * and takes wasm's slow transposed matMul for each mean's gradient.
 */
export function layerNormLastAxis(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return withGradient<tf.Tensor>(([xIn, gIn, bIn], save) => {
    const centred = xIn!.sub(xIn!.mean(-1, true));
    const r = centred.square().mean(-1, true).add(eps).rsqrt();
    const xhat = centred.mul(r);
    save([xhat, r, gIn!]);
    return {
      value: xhat.mul(gIn!).add(bIn!),
      gradFunc: (dy, [xh, rs, gs]) => {
        const d = dy as tf.Tensor;
        const g = d.mul(gs!);
        const dx = g
          .sub(g.mean(-1, true))
          .sub(xh!.mul(g.mul(xh!).mean(-1, true)))
          .mul(rs!);
        return [dx, columnTotals(d.mul(xh!)), columnTotals(d)];
      },
    };
  })(x, gamma, beta);
}

/**
 * Exact GELU, x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2, with its gradient in closed
 * form: Phi(x) + x phi(x), phi the normal density. Autodiff of the plain ops takes about ten
 * kernels for it and a saved copy of each product's inputs.
 */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return withGradient<tf.Tensor>(([xIn], save) => {
    const cdf = tf.erf(xIn!.mul(Math.SQRT1_2)).mul(0.5).add(0.5);
    save([xIn!, cdf]);
    return {
      value: xIn!.mul(cdf),
      gradFunc: (dy, [xs, cdfs]) => {
        const density = xs!
          .square()
          .mul(-0.5)
          .exp()
          .mul(1 / Math.sqrt(2 * Math.PI));
        return (dy as tf.Tensor).mul(xs!.mul(density).add(cdfs!));
      },
    };
  })(x);
}

/** Sum over every axis but the last, [..., D] -> [D]. */
function columnTotals(x: tf.Tensor): tf.Tensor1D {
  return x.reshape([-1, x.shape[x.rank - 1]!]).sum(0) as tf.Tensor1D;
}

/**
 * x w + b whose gradient takes XNNPACK's route: explicit transposes, never a transposed
 * operand. The weight gradient packs the narrower of x and dy as XNNPACK's weights (x^T dy,
 * or (dy^T x)^T when x is the narrower): measured here for a [4224, 64] x [64, 256] layer,
 * 6.1 against 8.6 ms; the other way round for [4224, 256] x [256, 64].
 */
export function linearXnn(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor): tf.Tensor2D {
  return withGradient<tf.Tensor2D>(([xIn, wIn, bIn], save) => {
    save([xIn!, wIn!]);
    return {
      value: tf.fused.matMul({ a: xIn as tf.Tensor2D, b: wIn as tf.Tensor2D, bias: bIn }) as tf.Tensor2D,
      gradFunc: (dy, [xs, ws]) => {
        const g = dy as tf.Tensor2D;
        const [xt, wt] = [xs as tf.Tensor2D, ws as tf.Tensor2D];
        const dw =
          xt.shape[1] < g.shape[1] ? tf.matMul(g.transpose(), xt).transpose() : tf.matMul(xt.transpose(), g);
        return [tf.matMul(g, wt.transpose()), dw, columnTotals(g)];
      },
    };
  })(x, w, b);
}

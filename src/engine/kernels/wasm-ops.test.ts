import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../backend';
import { mulberry32, WASM_PATHS } from '../test-utils';
import * as tf from '../tf';
import {
  geluExact,
  groupGram,
  groupMatMul,
  layerNormLastAxis,
  linearXnn,
  meanSquaredDistance,
  normalizeLastAxis,
} from './wasm-ops';

beforeAll(async () => {
  const problem = await tryBackend('wasm', { wasmPaths: WASM_PATHS });
  if (problem) throw new Error(problem);
});

/** A grouped operand [rows, G, cols] in float64. */
interface Grouped {
  shape: [number, number, number];
  data: Float64Array;
}

function random(rng: () => number, shape: [number, number, number]): Grouped {
  return { shape, data: Float64Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng() * 2 - 1) };
}

/** Index of op(x)[i][j] of group g in x's storage [rows, G, cols] (x stored transposed or not). */
function index(x: Grouped, transposed: boolean, g: number, i: number, j: number): number {
  const [, groups, cols] = x.shape;
  return transposed ? (j * groups + g) * cols + i : (i * groups + g) * cols + j;
}

const at = (x: Grouped, transposed: boolean, g: number, i: number, j: number) =>
  x.data[index(x, transposed, g, i, j)]!;
const tensor = (x: Grouped) => tf.tensor3d(Float32Array.from(x.data), x.shape);

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / scale);
  return worst;
}

/** Runs f, checking it leaves no tensor behind. */
function noLeak<T extends tf.TensorContainer>(f: () => T): T {
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => f());
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

const CASES = [false, true].flatMap((ta) =>
  [false, true].flatMap((tb) => [1, 5].map((groups) => ({ ta, tb, groups }))),
);

describe('groupMatMul (grouped layout [rows, G, cols], by grouped convolution)', () => {
  it.each(CASES)(
    'op(a) op(b) and both gradients match float64 sums (transposeA $ta, transposeB $tb, G $groups)',
    ({ ta, tb, groups }) => {
      expect(tf.getBackend()).toBe('wasm');
      const rng = mulberry32(7 + groups + (ta ? 2 : 0) + (tb ? 4 : 0));
      const [m, k, n] = [3, 4, 6];
      const a = random(rng, ta ? [k, groups, m] : [m, groups, k]);
      const b = random(rng, tb ? [n, groups, k] : [k, groups, n]);
      const r = random(rng, [m, groups, n]); // loss = sum(Y * R), so dY = R

      const want = new Float64Array(m * groups * n);
      const wantDa = new Float64Array(a.data.length);
      const wantDb = new Float64Array(b.data.length);
      for (let g = 0; g < groups; g++) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            const out = (i * groups + g) * n + j;
            for (let p = 0; p < k; p++) {
              want[out]! += at(a, ta, g, i, p) * at(b, tb, g, p, j);
              wantDa[index(a, ta, g, i, p)]! += r.data[out]! * at(b, tb, g, p, j);
              wantDb[index(b, tb, g, p, j)]! += at(a, ta, g, i, p) * r.data[out]!;
            }
          }
        }
      }
      const [y, da, db] = noLeak(() => {
        const [at3, bt3, rt] = [tensor(a), tensor(b), tensor(r)];
        const grads = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
          groupMatMul(x as tf.Tensor3D, w as tf.Tensor3D, ta, tb)
            .mul(rt)
            .sum(),
        )([at3, bt3]);
        return [groupMatMul(at3, bt3, ta, tb).dataSync(), grads[0]!.dataSync(), grads[1]!.dataSync()];
      });
      expect(maxRelErr(y, want)).toBeLessThan(1e-5);
      expect(maxRelErr(da, wantDa)).toBeLessThan(1e-5);
      expect(maxRelErr(db, wantDb)).toBeLessThan(1e-5);
    },
  );

  it('names both shapes when the inner sizes or group counts differ', () => {
    tf.tidy(() => {
      expect(() => groupMatMul(tf.zeros([3, 2, 4]), tf.zeros([5, 2, 6]), false, false)).toThrow(
        /op\(a\) is \[3, 2, 4\] but op\(b\) is \[5,2,6\]/,
      );
      expect(() => groupMatMul(tf.zeros([3, 2, 4]), tf.zeros([4, 3, 6]), false, false)).toThrow(/op\(b\)/);
    });
  });
});

describe('groupGram', () => {
  it.each([false, true])(
    'f f^T per group and its gradient (R + R^T) f match float64 sums (groups first: %s)',
    (groupsFirst) => {
      const rng = mulberry32(groupsFirst ? 99 : 98);
      const [rows, groups, d] = [5, 4, 3];
      const f = random(rng, [rows, groups, d]); // grouped; stored groups-first when asked
      const r = random(rng, [rows, groups, rows]); // not symmetric: the transpose matters
      const want = new Float64Array(rows * groups * rows);
      const wantDf = new Float64Array(f.data.length);
      for (let g = 0; g < groups; g++) {
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < rows; j++) {
            const rij = r.data[(i * groups + g) * rows + j]! + r.data[(j * groups + g) * rows + i]!;
            for (let c = 0; c < d; c++) {
              want[(i * groups + g) * rows + j]! += at(f, false, g, i, c) * at(f, false, g, j, c);
              wantDf[index(f, false, g, i, c)]! += rij * at(f, false, g, j, c);
            }
          }
        }
      }
      const [y, df] = noLeak(() => {
        const stored = groupsFirst ? tensor(f).transpose([1, 0, 2]) : tensor(f);
        const rt = tensor(r);
        const grad = tf.grad((x: tf.Tensor) =>
          groupGram(x as tf.Tensor3D, groupsFirst)
            .mul(rt)
            .sum(),
        )(stored);
        const back = groupsFirst ? grad.transpose([1, 0, 2]) : grad;
        return [groupGram(stored as tf.Tensor3D, groupsFirst).dataSync(), back.dataSync()];
      });
      expect(maxRelErr(y, want)).toBeLessThan(1e-5);
      expect(maxRelErr(df, wantDf)).toBeLessThan(1e-5);
    },
  );
});

describe('closed-form gradients against the plain ops', () => {
  /** Values and gradients (loss sum(f(x...) * R)) of two functions of the same inputs. */
  function compare(
    ours: (...xs: tf.Tensor[]) => tf.Tensor,
    plain: (...xs: tf.Tensor[]) => tf.Tensor,
    inputs: () => tf.Tensor[],
    tolerance = 1e-5,
  ): void {
    const run = (f: (...xs: tf.Tensor[]) => tf.Tensor) =>
      noLeak(() => {
        const xs = inputs();
        const y = f(...xs);
        const r = tf.randomNormal(y.shape, 0, 1, 'float32', 5);
        const grads = tf.grads((...vs: tf.Tensor[]) =>
          f(...vs)
            .mul(r)
            .sum(),
        )(xs);
        return [y.dataSync(), ...grads.map((g) => g.dataSync())];
      });
    const a = run(ours);
    const b = run(plain);
    expect(a).toHaveLength(b.length);
    a.forEach((v, i) => {
      expect(maxRelErr(v, b[i]!), `output ${i}`).toBeLessThan(tolerance);
    });
  }
  const normal = (shape: number[], seed: number, scale = 1) =>
    tf.randomNormal(shape, 0, scale, 'float32', seed);

  it('meanSquaredDistance', () => {
    compare(
      (a, b) => meanSquaredDistance(a!, b!),
      (a, b) => a!.sub(b!).square().mean(),
      () => [normal([4, 3, 5], 1), normal([4, 3, 5], 2)],
    );
  });

  it('normalizeLastAxis, rows above the floor and rows under it', () => {
    const eps = 1e-3;
    const plain = (x: tf.Tensor) => x.div(x.square().sum(-1, true).sqrt().maximum(eps));
    compare(
      (x) => normalizeLastAxis(x!, eps),
      plain,
      () => [normal([6, 7, 8], 3)],
    );
    // Rows of length about 1e-4: the floor holds, so y = x / eps and dx = dy / eps.
    compare(
      (x) => normalizeLastAxis(x!, eps),
      plain,
      () => [normal([6, 7, 8], 4, 1e-4 / Math.sqrt(8))],
    );
  });

  it('geluExact', () => {
    compare(
      (x) => geluExact(x!),
      (x) => x!.mul(0.5).mul(tf.erf(x!.mul(Math.SQRT1_2)).add(1)),
      () => [normal([5, 9, 12], 11, 2)],
    );
  });

  it('layerNormLastAxis', () => {
    const eps = 1e-6;
    const plain = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const c = x.sub(x.mean(-1, true));
      return c.mul(c.square().mean(-1, true).add(eps).rsqrt()).mul(g).add(b);
    };
    compare(
      (x, g, b) => layerNormLastAxis(x!, g!, b!, eps),
      (x, g, b) => plain(x!, g!, b!),
      () => [normal([3, 5, 16], 5, 2).add(0.5), normal([16], 6), normal([16], 7)],
      1e-4,
    );
  });

  it.each([
    [7, 3, 9],
    [7, 9, 3],
  ])('linearXnn [%i, %i] x [.., %i] (weight gradient both ways round)', (rows, inDim, outDim) => {
    compare(
      (x, w, b) => linearXnn(x as tf.Tensor2D, w as tf.Tensor2D, b!),
      (x, w, b) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D).add(b!),
      () => [normal([rows, inDim], 8), normal([inDim, outDim], 9), normal([outDim], 10)],
    );
  });
});

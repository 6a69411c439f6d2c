import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../backend';
import { WASM_PATHS } from '../test-utils';
import * as tf from '../tf';
import { KERNELS } from './fused-ops';

beforeAll(async () => {
  const problem = await tryBackend('wasm', { wasmPaths: WASM_PATHS });
  if (problem) throw new Error(problem);
});

const split = (x: tf.Tensor, shapes: number[][]) =>
  tf.engine().runKernel(KERNELS.splitCopy, { X: x }, { shapes } as unknown as tf.NamedAttrMap) as tf.Tensor[];

describe('KdSplitCopy on wasm', () => {
  it("cuts a flat vector into the shapes' parts in order, entry for entry", () => {
    expect(tf.getBackend()).toBe('wasm');
    const shapes = [[3, 4], [5], [2, 2, 3], [1], [0], [7, 1]];
    const total = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const values = Float32Array.from({ length: total }, (_, i) => Math.sin(i) * 1000 + i);
    const x = tf.tensor1d(values);
    const parts = split(x, shapes);
    let offset = 0;
    parts.forEach((p, i) => {
      expect(p.shape).toEqual(shapes[i]);
      expect(Array.from(p.dataSync())).toEqual(Array.from(values.subarray(offset, offset + p.size)));
      offset += p.size;
    });
    tf.dispose([x, ...parts]);
  });

  it('reads its input after the heap grew for the outputs', () => {
    // Outputs of 64 MB in all: making them grows the wasm heap, which detaches old views.
    const n = 4 << 20;
    const values = Float32Array.from({ length: 4 * n }, (_, i) => i % 9973);
    const x = tf.tensor1d(values);
    const parts = split(x, [[n], [n], [n], [n]]);
    parts.forEach((p, i) => {
      const got = p.dataSync();
      for (const j of [0, 1, n - 1]) expect(got[j]).toBe(values[i * n + j]);
    });
    tf.dispose([x, ...parts]);
  });

  it('refuses an input whose size is not the sum of the shapes, naming both', () => {
    const x = tf.zeros([10]);
    expect(() => split(x, [[3], [4]])).toThrow(
      'KdSplitCopy: a flat float32 input of 7 entries is needed, got float32 [10].',
    );
    x.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockMatchDistances } from './block-match';
import { mulberry32 } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Plain-loop float64 reference: cosine-similarity intra maps of [B, N, D] tokens. */
function referenceIntra(x: Float32Array, b: number, n: number, d: number): Float64Array {
  const out = new Float64Array(b * n * n);
  const norm = (bi: number, i: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[(bi * n + i) * d + k]! ** 2;
    return Math.max(Math.sqrt(s), 1e-12);
  };
  for (let bi = 0; bi < b; bi++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += x[(bi * n + i) * d + k]! * x[(bi * n + j) * d + k]!;
        out[(bi * n + i) * n + j] = dot / (norm(bi, i) * norm(bi, j));
      }
  return out;
}

describe('blockMatchDistances', () => {
  it('matches a plain-loop mean squared difference of intra-image maps, student rows x teacher columns', () => {
    const rng = mulberry32(7);
    const [b, n, ds, dt] = [3, 4, 5, 7];
    const make = (d: number) => Float32Array.from({ length: b * n * d }, () => rng() * 2 - 1);
    const student = [make(ds), make(ds), make(ds)];
    const teacher = [make(dt), make(dt)];
    const out = tf.tidy(() =>
      blockMatchDistances(
        student.map((v) => tf.tensor3d(v, [b, n, ds])),
        teacher.map((v) => tf.tensor3d(v, [b, n, dt])),
      ).arraySync(),
    );
    expect(out.length).toBe(3);
    for (let i = 0; i < student.length; i++) {
      const s = referenceIntra(student[i]!, b, n, ds);
      for (let j = 0; j < teacher.length; j++) {
        const t = referenceIntra(teacher[j]!, b, n, dt);
        let sum = 0;
        for (let m = 0; m < s.length; m++) sum += (s[m]! - t[m]!) ** 2;
        expect(out[i]![j]!).toBeCloseTo(sum / s.length, 5);
      }
    }
  });

  it('is zero for a block against itself and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([2, 4, 6]) as tf.Tensor3D;
    const d = blockMatchDistances([x], [x]);
    expect(d.dataSync()[0]).toBeCloseTo(0, 6);
    d.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

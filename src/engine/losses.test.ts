import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  crossEntropy,
  kdLoss,
  manifoldTerms,
  manifoldTermVector,
  randomSampleIndices,
  relationMatrices,
} from './losses';
import { STEP_KINDS } from './spec/step-kind';
import { gaussian, mulberry32 } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

// ---------------------------------------------------------------------------------------------
// Reference math.
//
// Everything below is an independent float64 re-derivation of the spec
// (../../shared/docs/manifold-distillation.md), written with plain loops so that a mistake in
// the engine's tensor code cannot be copied into the expected values. Inputs are generated as
// float32 and the reference reads those exact float32 values, so the only difference left
// between engine and reference is the engine's float32 arithmetic.
// ---------------------------------------------------------------------------------------------

/** k distinct indices in [0, total) by a partial Fisher-Yates shuffle (independent of the engine's sampler). */
function sampleWithoutReplacement(rng: () => number, total: number, k: number): Int32Array {
  const pool = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (total - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return Int32Array.from(pool.slice(0, k));
}

/** Patch tokens [B, N, D], row-major, flattened row r = b * N + n. */
interface Tokens {
  data: Float32Array;
  b: number;
  n: number;
  d: number;
}

function randomTokens(rng: () => number, b: number, n: number, d: number): Tokens {
  return { data: gaussian(rng, b * n * d), b, n, d };
}

function toTensor(t: Tokens): tf.Tensor3D {
  return tf.tensor3d(t.data, [t.b, t.n, t.d]);
}

/** Rows divided by max(||row||, 1e-12), in float64: each dot product is then a cosine similarity. */
function normalizeRows(data: ArrayLike<number>, rows: number, d: number): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let c = 0; c < d; c++) sq += data[r * d + c]! ** 2;
    const norm = Math.max(Math.sqrt(sq), 1e-12);
    for (let c = 0; c < d; c++) out[r * d + c] = data[r * d + c]! / norm;
  }
  return out;
}

function dotRows(f: Float64Array, d: number, i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += f[i * d + c]! * f[j * d + c]!;
  return s;
}

interface RefMaps {
  intra: Float64Array; // [B, N, N]
  inter: Float64Array; // [N, B, B]
  random: Float64Array; // [K, K]
}

/** The three relation maps of the spec, built entry by entry from cosine similarities. */
function refRelationMaps(
  data: ArrayLike<number>,
  b: number,
  n: number,
  d: number,
  sampleIndices: Int32Array,
): RefMaps {
  const f = normalizeRows(data, b * n, d);
  const intra = new Float64Array(b * n * n);
  for (let bi = 0; bi < b; bi++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) intra[(bi * n + i) * n + j] = dotRows(f, d, bi * n + i, bi * n + j);
  const inter = new Float64Array(n * b * b);
  for (let ni = 0; ni < n; ni++)
    for (let i = 0; i < b; i++)
      for (let j = 0; j < b; j++) inter[(ni * b + i) * b + j] = dotRows(f, d, i * n + ni, j * n + ni);
  const k = sampleIndices.length;
  const random = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) random[i * k + j] = dotRows(f, d, sampleIndices[i]!, sampleIndices[j]!);
  return { intra, inter, random };
}

function meanSquaredDiff(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

interface TermValues {
  intra: number;
  inter: number;
  random: number;
}

/** The official code's form: element means of squared map differences. */
function refManifoldTerms(
  studentData: ArrayLike<number>,
  teacherData: ArrayLike<number>,
  b: number,
  n: number,
  ds: number,
  dt: number,
  sampleIndices: Int32Array,
): TermValues {
  const s = refRelationMaps(studentData, b, n, ds, sampleIndices);
  const t = refRelationMaps(teacherData, b, n, dt, sampleIndices);
  return {
    intra: meanSquaredDiff(s.intra, t.intra),
    inter: meanSquaredDiff(s.inter, t.inter),
    random: meanSquaredDiff(s.random, t.random),
  };
}

/** log softmax of one row of logits divided by tau, with the max subtracted for stability. */
function logSoftmaxRow(logits: ArrayLike<number>, offset: number, c: number, tau = 1): Float64Array {
  const out = new Float64Array(c);
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < c; j++) max = Math.max(max, logits[offset + j]! / tau);
  let sum = 0;
  for (let j = 0; j < c; j++) sum += Math.exp(logits[offset + j]! / tau - max);
  const logSum = max + Math.log(sum);
  for (let j = 0; j < c; j++) out[j] = logits[offset + j]! / tau - logSum;
  return out;
}

/** KL(p_t || p_s) with p = softmax(logits / tau), batch mean, times tau^2. */
function refKdSoft(student: Float32Array, teacher: Float32Array, b: number, c: number, tau: number): number {
  let total = 0;
  for (let i = 0; i < b; i++) {
    const lt = logSoftmaxRow(teacher, i * c, c, tau);
    const ls = logSoftmaxRow(student, i * c, c, tau);
    for (let j = 0; j < c; j++) total += Math.exp(lt[j]!) * (lt[j]! - ls[j]!);
  }
  return (total / b) * tau * tau;
}

function argmaxRow(logits: ArrayLike<number>, offset: number, c: number): number {
  let best = 0;
  for (let j = 1; j < c; j++) if (logits[offset + j]! > logits[offset + best]!) best = j;
  return best;
}

/** Batch mean of -sum_c q(c) log softmax(logits)(c), q = (1 - eps) onehot + eps / C. */
function refCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  b: number,
  c: number,
  eps: number,
): number {
  let total = 0;
  for (let i = 0; i < b; i++) {
    const lp = logSoftmaxRow(logits, i * c, c);
    for (let j = 0; j < c; j++) {
      const q = (j === labels[i] ? 1 - eps : 0) + eps / c;
      total -= q * lp[j]!;
    }
  }
  return total / b;
}

/** Hard KD: cross-entropy of the student against the teacher's argmax class. */
function refKdHard(student: Float32Array, teacher: Float32Array, b: number, c: number): number {
  const labels = Array.from({ length: b }, (_, i) => argmaxRow(teacher, i * c, c));
  return refCrossEntropy(student, labels, b, c, 0);
}

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Engine helpers: run inside tf.tidy and hand back plain numbers, so tests cannot leak tensors.
// ---------------------------------------------------------------------------------------------

function engineTerms(
  student: Tokens,
  teacher: Tokens,
  k: number,
  sampleIndices: Int32Array,
  asTensor = false,
): TermValues {
  return tf.tidy(() => {
    const idx = asTensor ? tf.tensor1d(sampleIndices, 'int32') : sampleIndices;
    const r = manifoldTerms(toTensor(student), toTensor(teacher), { k, sampleIndices: idx });
    return { intra: r.intra.dataSync()[0]!, inter: r.inter.dataSync()[0]!, random: r.random.dataSync()[0]! };
  });
}

function scalarOf(fn: () => tf.Scalar): number {
  return tf.tidy(() => fn().dataSync()[0]!);
}

const TERM_NAMES = ['intra', 'inter', 'random'] as const;

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('manifoldTerms against the float64 reference', () => {
  const cases = [
    { b: 2, n: 4, ds: 8, dt: 24, k: 5 },
    { b: 3, n: 16, ds: 8, dt: 24, k: 20 },
    { b: 4, n: 9, ds: 24, dt: 8, k: 36 }, // student wider than teacher, K = B*N (every token)
    { b: 8, n: 64, ds: 16, dt: 32, k: 192 },
  ];

  for (const [caseIndex, { b, n, ds, dt, k }] of cases.entries()) {
    it(`matches the reference for B=${b}, N=${n}, Ds=${ds}, Dt=${dt}, K=${k}`, () => {
      const rng = mulberry32(1000 + caseIndex);
      const student = randomTokens(rng, b, n, ds);
      const teacher = randomTokens(rng, b, n, dt);
      const idx = sampleWithoutReplacement(rng, b * n, k);

      const expected = refManifoldTerms(student.data, teacher.data, b, n, ds, dt, idx);
      const got = engineTerms(student, teacher, k, idx);
      for (const name of TERM_NAMES) {
        expect(expected[name]).toBeGreaterThan(1e-3); // a meaningful, non-degenerate value
        expect(relErr(got[name], expected[name]), name).toBeLessThan(1e-4);
      }
    });
  }

  it('gives the same random term whether sampleIndices is an Int32Array or an int32 tensor', () => {
    const rng = mulberry32(7);
    const student = randomTokens(rng, 3, 16, 8);
    const teacher = randomTokens(rng, 3, 16, 24);
    const idx = sampleWithoutReplacement(rng, 48, 20);
    const fromArray = engineTerms(student, teacher, 20, idx, false);
    const fromTensor = engineTerms(student, teacher, 20, idx, true);
    for (const name of TERM_NAMES) expect(fromTensor[name], name).toBeCloseTo(fromArray[name], 7);
  });

  it('draws its own indices when none are given and still returns finite non-negative terms', () => {
    const rng = mulberry32(8);
    const student = randomTokens(rng, 2, 8, 8);
    const teacher = randomTokens(rng, 2, 8, 24);
    const got = tf.tidy(() => {
      const r = manifoldTerms(toTensor(student), toTensor(teacher), { k: 6 });
      return r.random.dataSync()[0]!;
    });
    expect(Number.isFinite(got)).toBe(true);
    expect(got).toBeGreaterThanOrEqual(0);
  });

  it('uses the same drawn indices for student and teacher when none are given', () => {
    // Equal tokens give a zero random term only if both sides sample the same K tokens.
    const tokens = randomTokens(mulberry32(9), 4, 16, 8);
    const got = tf.tidy(
      () => manifoldTerms(toTensor(tokens), toTensor(tokens), { k: 12 }).random.dataSync()[0]!,
    );
    expect(Math.abs(got)).toBeLessThan(1e-7);
  });
});

describe('manifoldTermVector', () => {
  // On cpu the fused kernel is absent, so the fast step must fall back to the plain ops (as
  // on wasm and cpu); the WebGPU kernel is checked against these ops in kernels/check.ts.
  for (const stepKind of STEP_KINDS) {
    it(`is [intra, inter, random] of the float64 reference (${stepKind} step)`, () => {
      const rng = mulberry32(40);
      const [b, n, ds, dt, k] = [3, 16, 8, 24, 20];
      const student = randomTokens(rng, b, n, ds);
      const teacher = randomTokens(rng, b, n, dt);
      const idx = sampleWithoutReplacement(rng, b * n, k);
      const expected = refManifoldTerms(student.data, teacher.data, b, n, ds, dt, idx);
      const got = tf.tidy(() =>
        Array.from(
          manifoldTermVector(toTensor(student), toTensor(teacher), {
            k,
            sampleIndices: idx,
            stepKind,
          }).dataSync(),
        ),
      );
      expect(got).toHaveLength(3);
      for (const [i, name] of TERM_NAMES.entries()) {
        expect(relErr(got[i]!, expected[name]), name).toBeLessThan(1e-4);
      }
    });
  }
});

describe('relationMatrices', () => {
  it('returns maps of the documented shapes whose entries are the reference cosine similarities', () => {
    const rng = mulberry32(21);
    const [b, n, d, k] = [3, 5, 12, 7];
    const tokens = randomTokens(rng, b, n, d);
    const idx = sampleWithoutReplacement(rng, b * n, k);
    const expected = refRelationMaps(tokens.data, b, n, d, idx);

    const got = tf.tidy(() => {
      const maps = relationMatrices(toTensor(tokens), { k, sampleIndices: idx });
      return {
        intraShape: maps.intra.shape,
        interShape: maps.inter.shape,
        randomShape: maps.random.shape,
        intra: maps.intra.dataSync() as Float32Array,
        inter: maps.inter.dataSync() as Float32Array,
        random: maps.random.dataSync() as Float32Array,
      };
    });
    expect(got.intraShape).toEqual([b, n, n]);
    expect(got.interShape).toEqual([n, b, b]);
    expect(got.randomShape).toEqual([k, k]);
    // Entries are cosines in [-1, 1]; an absolute tolerance is the meaningful one here.
    for (const name of TERM_NAMES) {
      const e = expected[name];
      const g = got[name];
      expect(g.length, name).toBe(e.length);
      let worst = 0;
      for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(g[i]! - e[i]!));
      expect(worst, name).toBeLessThan(1e-5);
    }
  });

  it('gives the same random map whether sampleIndices is an Int32Array or an int32 tensor', () => {
    const rng = mulberry32(22);
    const tokens = randomTokens(rng, 2, 6, 10);
    const idx = sampleWithoutReplacement(rng, 12, 5);
    const [fromArray, fromTensor] = tf.tidy(() => {
      const x = toTensor(tokens);
      const a = relationMatrices(x, { k: 5, sampleIndices: idx }).random.dataSync();
      const t = relationMatrices(x, { k: 5, sampleIndices: tf.tensor1d(idx, 'int32') }).random.dataSync();
      return [Array.from(a), Array.from(t)];
    });
    expect(fromTensor).toEqual(fromArray);
  });
});

describe('kdLoss and crossEntropy against the float64 reference', () => {
  const logitCases = [
    { b: 6, c: 10 },
    { b: 32, c: 100 },
  ];

  for (const [caseIndex, { b, c }] of logitCases.entries()) {
    const rng = mulberry32(300 + caseIndex);
    const student = gaussian(rng, b * c, 3);
    const teacher = gaussian(rng, b * c, 3);
    const labels = Int32Array.from({ length: b }, () => Math.floor(rng() * c));
    const s = () => tf.tensor2d(student, [b, c]);
    const t = () => tf.tensor2d(teacher, [b, c]);

    for (const tau of [1, 4]) {
      it(`matches soft KD at tau ${tau} for B=${b}, C=${c}`, () => {
        const got = scalarOf(() => kdLoss(s(), t(), { tau, kind: 'soft' }));
        expect(relErr(got, refKdSoft(student, teacher, b, c, tau))).toBeLessThan(1e-4);
      });
    }

    it(`matches hard KD (cross-entropy against the teacher argmax) for B=${b}, C=${c}`, () => {
      const got = scalarOf(() => kdLoss(s(), t(), { tau: 4, kind: 'hard' }));
      expect(relErr(got, refKdHard(student, teacher, b, c))).toBeLessThan(1e-4);
    });

    for (const eps of [0, 0.1]) {
      it(`matches cross-entropy with label smoothing ${eps} for B=${b}, C=${c}`, () => {
        const got = scalarOf(() =>
          crossEntropy(s(), tf.tensor1d(labels, 'int32'), eps === 0 ? {} : { labelSmoothing: eps }),
        );
        expect(relErr(got, refCrossEntropy(student, labels, b, c, eps))).toBeLessThan(1e-4);
      });
    }
  }

  it('gives zero soft KD when student and teacher logits are equal', () => {
    const logits = gaussian(mulberry32(310), 4 * 7, 3);
    const got = scalarOf(() =>
      kdLoss(tf.tensor2d(logits, [4, 7]), tf.tensor2d(logits, [4, 7]), { tau: 2, kind: 'soft' }),
    );
    expect(Math.abs(got)).toBeLessThan(1e-6);
  });
});

describe('cosine-similarity properties of the relation terms', () => {
  it('gives exactly zero terms when student and teacher tokens are equal', () => {
    const rng = mulberry32(41);
    const tokens = randomTokens(rng, 3, 8, 16);
    const copy: Tokens = { ...tokens, data: tokens.data.slice() };
    const idx = sampleWithoutReplacement(rng, 24, 10);
    const got = engineTerms(tokens, copy, 10, idx);
    for (const name of TERM_NAMES) expect(Math.abs(got[name]), name).toBeLessThan(1e-7);
  });

  it('leaves every term unchanged when one student token is scaled by a positive number', () => {
    const rng = mulberry32(42);
    const [b, n, ds, dt, k] = [3, 8, 8, 24, 12];
    const student = randomTokens(rng, b, n, ds);
    const teacher = randomTokens(rng, b, n, dt);
    // Sample every row the scaled token could matter for: include row (1, 2) explicitly.
    const scaledRow = 1 * n + 2;
    const idx = sampleWithoutReplacement(rng, b * n, k);
    if (!idx.includes(scaledRow)) idx[0] = scaledRow;

    const scaled: Tokens = { ...student, data: student.data.slice() };
    for (let c = 0; c < ds; c++) scaled.data[scaledRow * ds + c] = scaled.data[scaledRow * ds + c]! * 3.7;

    const before = engineTerms(student, teacher, k, idx);
    const after = engineTerms(scaled, teacher, k, idx);
    for (const name of TERM_NAMES) expect(relErr(after[name], before[name]), name).toBeLessThan(1e-5);
  });
});

describe('gradients of the manifold terms', () => {
  // The fast step picks the random-sampled tokens by gather + scatter gradient.
  it.each(STEP_KINDS)(
    'match central finite differences of the float64 reference loss (%s step)',
    (stepKind) => {
      const rng = mulberry32(51);
      const [b, n, ds, dt, k] = [2, 3, 4, 5, 4];
      const student = randomTokens(rng, b, n, ds);
      const teacher = randomTokens(rng, b, n, dt);
      const idx = sampleWithoutReplacement(rng, b * n, k);

      const analytic = tf.tidy(() => {
        const t = toTensor(teacher);
        const lossOf = (x: tf.Tensor) => {
          const r = manifoldTerms(x as tf.Tensor3D, t, { k, sampleIndices: idx, stepKind });
          return tf.addN([r.intra, r.inter, r.random]);
        };
        return Array.from(tf.grad(lossOf)(toTensor(student)).dataSync());
      });

      // Reference loss in float64 as a function of the student's raw values.
      const x = Float64Array.from(student.data);
      const refLoss = (values: Float64Array) => {
        const terms = refManifoldTerms(values, teacher.data, b, n, ds, dt, idx);
        return terms.intra + terms.inter + terms.random;
      };
      const h = 1e-6;
      const numeric = Array.from(x, (_, i) => {
        const plus = x.slice();
        const minus = x.slice();
        plus[i] = x[i]! + h;
        minus[i] = x[i]! - h;
        return (refLoss(plus) - refLoss(minus)) / (2 * h);
      });

      expect(analytic.length).toBe(numeric.length);
      expect(numeric.reduce((sum, g) => sum + Math.abs(g), 0)).toBeGreaterThan(1e-2); // not a trivial zero
      for (let i = 0; i < numeric.length; i++) {
        const a = analytic[i]!;
        const e = numeric[i]!;
        expect(Math.abs(a - e), `entry ${i}: engine ${a}, finite difference ${e}`).toBeLessThan(
          1e-5 + 1e-3 * Math.abs(e),
        );
      }
    },
  );
});

describe('randomSampleIndices', () => {
  it('returns k distinct integers in range as an Int32Array', () => {
    const rng = mulberry32(61);
    for (const [total, k] of [
      [10, 3],
      [512, 192],
      [7, 7],
    ] as const) {
      const idx = randomSampleIndices(total, k, rng);
      expect(idx).toBeInstanceOf(Int32Array);
      expect(idx.length).toBe(k);
      expect(new Set(idx).size).toBe(k);
      for (const i of idx) {
        expect(Number.isInteger(i)).toBe(true);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(total);
      }
    }
  });

  it('is reproducible for the same seed', () => {
    const a = randomSampleIndices(100, 20, mulberry32(62));
    const b = randomSampleIndices(100, 20, mulberry32(62));
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('picks every index about equally often', () => {
    const rng = mulberry32(63);
    const [total, k, draws] = [10, 3, 3000];
    const counts = new Array<number>(total).fill(0);
    for (let i = 0; i < draws; i++) for (const j of randomSampleIndices(total, k, rng)) counts[j]!++;
    // Each index is expected draws * k / total = 900 times, standard deviation about 25.
    for (const count of counts) expect(Math.abs(count - 900)).toBeLessThan(150);
  });

  it('throws a message naming k and the total when k is larger than the total', () => {
    const run = () => randomSampleIndices(3, 5, mulberry32(64));
    expect(run).toThrow(Error);
    expect(run).toThrow(/\b5\b/);
    expect(run).toThrow(/\b3\b/);
  });
});

describe('input validation', () => {
  it.each([
    { what: 'batch sizes', student: [2, 4, 8], teacher: [3, 4, 24] },
    { what: 'patch counts', student: [2, 5, 8], teacher: [2, 4, 24] },
  ] as const)(
    'rejects student and teacher with different $what, naming both shapes',
    ({ student, teacher }) => {
      const run = () =>
        tf.tidy(() => {
          manifoldTerms(tf.ones([...student]) as tf.Tensor3D, tf.ones([...teacher]) as tf.Tensor3D, { k: 4 });
        });
      expect(run).toThrow(Error);
      // Each shape as its three numbers in order, whatever separates them.
      for (const shape of [student, teacher]) expect(run).toThrow(new RegExp(shape.join('\\D{1,3}')));
    },
  );
});

describe('tensor memory', () => {
  it('leaves no tensors behind from manifoldTerms, called directly or inside tf.tidy', () => {
    const rng = mulberry32(71);
    const student = toTensor(randomTokens(rng, 2, 8, 8));
    const teacher = toTensor(randomTokens(rng, 2, 8, 24));
    const idx = sampleWithoutReplacement(rng, 16, 6);
    const idxTensor = tf.tensor1d(idx, 'int32');

    for (const sampleIndices of [idx, idxTensor, undefined]) {
      const before = tf.memory().numTensors;
      const { intra, inter, random } = manifoldTerms(student, teacher, { k: 6, sampleIndices });
      // Everything the call made besides its three results must already be gone.
      expect(tf.memory().numTensors).toBe(before + 3);
      tf.dispose([intra, inter, random]);
      expect(tf.memory().numTensors).toBe(before);
      tf.tidy(() => {
        manifoldTerms(student, teacher, { k: 6, sampleIndices });
      });
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([student, teacher, idxTensor]);
  });

  it('leaves no tensors behind after the other losses run inside tf.tidy', () => {
    const rng = mulberry32(72);
    const tokens = toTensor(randomTokens(rng, 2, 4, 8));
    const s = tf.tensor2d(gaussian(rng, 12), [3, 4]);
    const t = tf.tensor2d(gaussian(rng, 12), [3, 4]);
    const labels = tf.tensor1d([0, 3, 1], 'int32');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      relationMatrices(tokens, { k: 3 });
      kdLoss(s, t, { tau: 2, kind: 'soft' });
      kdLoss(s, t, { tau: 1, kind: 'hard' });
      crossEntropy(s, labels, { labelSmoothing: 0.1 });
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([tokens, s, t, labels]);
  });
});

describe('labelCrossEntropy for mixup batches', () => {
  it('is lam * CE(labels) + (1 - lam) * CE(partner labels), each computed by the float64 reference', async () => {
    const { labelCrossEntropy } = await import('./objective');
    const rng = mulberry32(99);
    const b = 5;
    const c = 7;
    const logits = Array.from({ length: b * c }, () => rng() * 4 - 2);
    const y1 = [0, 3, 6, 2, 2];
    const y2 = [1, 1, 5, 0, 4];
    const lam = 0.3;
    const refCe = (labels: number[]) => {
      let total = 0;
      for (let i = 0; i < b; i++) {
        const row = logits.slice(i * c, (i + 1) * c);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        total += lse - row[labels[i]!]!;
      }
      return total / b;
    };
    const expected = lam * refCe(y1) + (1 - lam) * refCe(y2);
    const got = tf.tidy(
      () =>
        labelCrossEntropy(tf.tensor2d(logits, [b, c]), tf.tensor1d(y1, 'int32'), 0, {
          labels: tf.tensor1d(y2, 'int32'),
          lam,
        }).dataSync()[0]!,
    );
    expect(Math.abs(got - expected) / expected).toBeLessThan(1e-5);
  });
});

/**
 * Helpers shared by the engine's unit tests (not used by the engine itself). Plain
 * TypeScript with no Node or DOM APIs, so it type-checks under every tsconfig that
 * includes src/engine.
 */

import { beforeAll, expect } from 'vitest';
import { tryBackend } from './backend';
import type { Dataset, ImageSet } from './data/dataset';
import { ALL_TERMS_LOSS, SELFTEST_STUDENT, SELFTEST_TEACHER } from './diagnostics/selftest';
import { makeRng } from './random';
import {
  DEFAULT_CONFIG,
  DEFAULT_LOSS,
  type LossConfig,
  type OptimConfig,
  type RunConfig,
  type VitConfig,
} from './spec/config';
import * as tf from './tf';

/** Runs the suite (or the file, called at its top) on TF.js's cpu backend, the tests' reference. */
export function onCpuBackend(): void {
  beforeAll(async () => {
    expect(await tryBackend('cpu')).toBeNull();
  });
}

/** mulberry32: a tiny seeded PRNG, independent of the engine's seedrandom streams. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi), stored as float32 (what tfjs holds). */
export function uniform(rng: () => number, count: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: count }, () => lo + (hi - lo) * rng());
}

/** Standard-normal values times `scale` (Box-Muller), stored as float32. */
export function gaussian(rng: () => number, count: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u1 = 1 - rng();
    const u2 = rng();
    out[i] = scale * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}

/** A batch of images in [-1, 1) and labels cycling through the classes, from a seeded PRNG. */
export function randomBatch(
  rng: () => number,
  cfg: VitConfig,
  batch: number,
): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  const { imageSize: s, channels: c, numClasses } = cfg;
  const images = tf.tensor4d(uniform(rng, batch * s * s * c), [batch, s, s, c]);
  const labels = tf.tensor1d(
    Int32Array.from({ length: batch }, () => Math.floor(rng() * numClasses)),
    'int32',
  );
  return { images, labels };
}

/** Copies of the current values of some variables (independent of later assigns). */
export function snapshot(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
}

/** Largest |a - b| / max(|b|, floor) over two equally long arrays. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor);
    if (!(d <= worst)) worst = d; // NaN propagates as the worst value
  }
  return worst;
}

/** Largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** The self-test's tiny pair (16x16 images, 16 patch tokens, widths 32 and 16, 2 blocks), with 5 classes. */
export const TINY_TEACHER: VitConfig = { ...SELFTEST_TEACHER, numClasses: 5 };
export const TINY_STUDENT: VitConfig = { ...SELFTEST_STUDENT, numClasses: 5 };

/** Every loss term on (the self-test's objective), so a broken term anywhere shows. */
export { ALL_TERMS_LOSS };

/** Every term on, each weight distinct, so a swapped weight shows in the total. */
export function distinctWeightsLoss(k: number): LossConfig {
  return {
    ...DEFAULT_LOSS,
    wCe: 0.5,
    wKd: 1,
    wMd: 1.5,
    wIntra: 4,
    wInter: 0.1,
    wRandom: 0.2,
    tau: 2,
    k,
    kd: 'soft',
  };
}

/**
 * Runs `fn` inside tf.tidy and returns its plain (non-tensor) result: every tensor made
 * inside is disposed. Read values out with dataSync / arraySync before returning.
 */
export function scoped<T>(fn: () => T): T {
  let result: T | undefined;
  tf.tidy(() => {
    result = fn();
  });
  return result as T;
}

/**
 * Random 16x16 RGB images (pixels in lo..255) with labels cycling over 4 classes, the same for
 * the same seed and salt: the small data set of the trainer and session tests.
 */
export function randomImageSet(count: number, seed: number, salt: string, lo = 0): ImageSet {
  const rng = makeRng(seed, salt);
  return {
    images: Uint8Array.from({ length: count * 16 * 16 * 3 }, () => lo + Math.floor(rng() * (256 - lo))),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 4),
    count,
    imageSize: 16,
  };
}

/** Four classes of randomImageSet: the training and test sets of the trainer and session tests. */
export function randomDataset(salt: string, trainCount: number, testCount: number): Dataset {
  return {
    name: 'random',
    classNames: ['a', 'b', 'c', 'd'],
    train: randomImageSet(trainCount, 1, salt),
    test: randomImageSet(testCount, 2, salt),
  };
}

/**
 * A teacher 16 wide and a student 8 wide (with a distillation token), 2 blocks each, on 16x16
 * images in 4x4 patches: a run small enough for the cpu backend in a unit test.
 */
export function smallModels(numClasses: number): Pick<RunConfig, 'teacher' | 'student'> {
  const vit = { imageSize: 16, patchSize: 4, channels: 3, nHeads: 2, mlpRatio: 2, numClasses };
  return {
    teacher: { ...vit, dModel: 16, nLayers: 2, distillToken: false },
    student: { ...vit, dModel: 8, nLayers: 2, distillToken: true },
  };
}

/**
 * A run of smallModels(4) for the trainer's tests: every term on, K 24 of a batch's 8 x 16
 * patch tokens, batch 8, 2 warm-up steps at lr 3e-3, `optim` over that.
 */
export function smallRunConfig(seed: number, optim: Partial<OptimConfig>): RunConfig {
  return {
    ...DEFAULT_CONFIG,
    seed,
    ...smallModels(4),
    loss: { ...ALL_TERMS_LOSS, tau: 1, k: 24 },
    optim: { ...DEFAULT_CONFIG.optim, batch: 8, warmupSteps: 2, lr: 3e-3, ...optim },
  };
}

/** Where the wasm backend's binaries are in node_modules, for tests that start it in Node. */
export const WASM_PATHS = new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)
  .pathname;

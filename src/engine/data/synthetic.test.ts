import { beforeAll, describe, expect, it } from 'vitest';
import { classCounts, type Dataset, type ImageSet, imageBytes } from './dataset';
import { makeSyntheticDataset, SYNTHETIC_CLASS_DESCRIPTIONS, SYNTHETIC_CLASS_NAMES } from './synthetic';

const CLASSES = SYNTHETIC_CLASS_NAMES.length;

// The default set (10000 train, 2000 test, 32x32), generated once and timed: the first call
// in this file, so the time includes the JIT warming up, as in the app. Both wall-clock and CPU
// time are kept: on a busy machine (parallel test files, 2 cores) the wall clock mostly measures
// the neighbours, so the 3 s bound is checked on the CPU time this process spent.
let full: Dataset;
let fullWallMs = 0;
let fullCpuMs = 0;

beforeAll(() => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  full = makeSyntheticDataset();
  fullWallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  fullCpuMs = (cpu.user + cpu.system) / 1000;
});

// ---------------------------------------------------------------------------------------------
// Plain-JS baselines.
// ---------------------------------------------------------------------------------------------

/** Nearest class mean on one feature of `data`: centroids from its training set, accuracy on its test set. */
function nearestClassMean(data: Dataset, feature: (set: ImageSet) => Float64Array[]): number {
  const [train, trainLabels] = [feature(data.train), data.train.labels];
  const [test, testLabels] = [feature(data.test), data.test.labels];
  const dims = train[0]!.length;
  const means = Array.from({ length: CLASSES }, () => new Float64Array(dims));
  const counts = new Array<number>(CLASSES).fill(0);
  train.forEach((f, i) => {
    const l = trainLabels[i]!;
    counts[l]!++;
    for (let d = 0; d < dims; d++) means[l]![d]! += f[d]!;
  });
  means.forEach((m, l) => {
    for (let d = 0; d < dims; d++) m[d]! /= counts[l]!;
  });
  let correct = 0;
  test.forEach((f, i) => {
    let best = -1;
    let bestDist = Number.POSITIVE_INFINITY;
    means.forEach((m, l) => {
      let dist = 0;
      for (let d = 0; d < dims; d++) dist += (f[d]! - m[d]!) ** 2;
      if (dist < bestDist) {
        bestDist = dist;
        best = l;
      }
    });
    if (best === testLabels[i]) correct++;
  });
  return correct / test.length;
}

/** Mean R, G and B of each image: colour only, no layout. */
function meanRgb(set: ImageSet): Float64Array[] {
  const pixels = set.imageSize * set.imageSize;
  return Array.from({ length: set.count }, (_, i) => {
    const f = new Float64Array(3);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < 3; c++) f[c]! += set.images[(i * pixels + p) * 3 + c]!;
    }
    return f.map((v) => v / pixels);
  });
}

/**
 * Layout without colour or position: the magnitude of the 2-D Fourier transform of the image
 * in grey, downsampled to n x n, without the DC term and scaled to unit length. Translation
 * does not change it, nor does swapping which of shape and background is brighter.
 */
function magnitudeSpectrum(set: ImageSet, n = 16): Float64Array[] {
  const size = set.imageSize;
  const block = size / n;
  const cos = new Float64Array(n * n);
  const sin = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      cos[k * n + j] = Math.cos((2 * Math.PI * k * j) / n);
      sin[k * n + j] = -Math.sin((2 * Math.PI * k * j) / n);
    }
  }
  const grey = new Float64Array(n * n);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  return Array.from({ length: set.count }, (_, i) => {
    grey.fill(0);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const o = ((i * size + y) * size + x) * 3;
        const lum = 0.299 * set.images[o]! + 0.587 * set.images[o + 1]! + 0.114 * set.images[o + 2]!;
        grey[Math.floor(y / block) * n + Math.floor(x / block)]! += lum;
      }
    }
    // Rows, then columns.
    for (let y = 0; y < n; y++) {
      for (let k = 0; k < n; k++) {
        let a = 0;
        let b = 0;
        for (let j = 0; j < n; j++) {
          a += grey[y * n + j]! * cos[k * n + j]!;
          b += grey[y * n + j]! * sin[k * n + j]!;
        }
        re[y * n + k] = a;
        im[y * n + k] = b;
      }
    }
    const f = new Float64Array(n * n);
    let norm = 0;
    for (let l = 0; l < n; l++) {
      for (let k = 0; k < n; k++) {
        if (l === 0 && k === 0) continue;
        let a = 0;
        let b = 0;
        for (let j = 0; j < n; j++) {
          const c = cos[l * n + j]!;
          const s = sin[l * n + j]!;
          const r = re[j * n + k]!;
          const m = im[j * n + k]!;
          a += r * c - m * s;
          b += r * s + m * c;
        }
        const magnitude = Math.hypot(a, b);
        f[l * n + k] = magnitude;
        norm += magnitude * magnitude;
      }
    }
    norm = Math.sqrt(norm) || 1;
    return f.map((v) => v / norm);
  });
}

/** Spatial standard deviation of each channel of one image, averaged over the channels. */
function pixelStd(set: ImageSet, i: number): number {
  const pixels = set.imageSize * set.imageSize;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sumSq = 0;
    for (let p = 0; p < pixels; p++) {
      const v = set.images[(i * pixels + p) * 3 + c]!;
      sum += v;
      sumSq += v * v;
    }
    const mean = sum / pixels;
    total += Math.sqrt(Math.max(0, sumSq / pixels - mean * mean));
  }
  return total / 3;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// ---------------------------------------------------------------------------------------------

describe('the synthetic dataset', () => {
  it('has ten named classes, each with a description', () => {
    expect(full.name).toBe('synthetic');
    expect(full.classNames).toEqual([...SYNTHETIC_CLASS_NAMES]);
    expect(new Set(full.classNames).size).toBe(CLASSES);
    expect(CLASSES).toBe(10);
    expect(SYNTHETIC_CLASS_DESCRIPTIONS).toHaveLength(CLASSES);
    for (const line of SYNTHETIC_CLASS_DESCRIPTIONS) expect(line.length).toBeGreaterThan(5);
  });

  it('defaults to 10000 training and 2000 test images of 32x32 with arrays of the right lengths', () => {
    for (const [set, count] of [
      [full.train, 10000],
      [full.test, 2000],
    ] as const) {
      expect(set.count).toBe(count);
      expect(set.imageSize).toBe(32);
      expect(set.images).toBeInstanceOf(Uint8Array);
      expect(set.images.length).toBe(count * imageBytes(32));
      expect(set.labels).toBeInstanceOf(Uint8Array);
      expect(set.labels.length).toBe(count);
    }
  });

  it('honours the count and image size options', () => {
    const ds = makeSyntheticDataset({ seed: 3, trainCount: 37, testCount: 11, imageSize: 16 });
    expect(ds.train.count).toBe(37);
    expect(ds.test.count).toBe(11);
    expect(ds.train.imageSize).toBe(16);
    expect(ds.train.images.length).toBe(37 * imageBytes(16));
    expect(ds.test.images.length).toBe(11 * imageBytes(16));
    const empty = makeSyntheticDataset({ trainCount: 0, testCount: 0 });
    expect(empty.train.images.length).toBe(0);
    expect(empty.test.labels.length).toBe(0);
  });

  it('rejects counts and sizes that are not usable', () => {
    expect(() => makeSyntheticDataset({ trainCount: -1 })).toThrow(/trainCount/);
    expect(() => makeSyntheticDataset({ testCount: 2.5 })).toThrow(/testCount/);
    expect(() => makeSyntheticDataset({ imageSize: 2 })).toThrow(/imageSize/);
  });

  it('gives byte-identical images and labels for the same seed, other ones for another seed', () => {
    const made = (seed: number) => makeSyntheticDataset({ seed, trainCount: 200, testCount: 50 });
    const sameParts = (a: Dataset, b: Dataset) => ({
      trainImages: sameBytes(a.train.images, b.train.images),
      trainLabels: sameBytes(a.train.labels, b.train.labels),
      testImages: sameBytes(a.test.images, b.test.images),
      testLabels: sameBytes(a.test.labels, b.test.labels),
    });
    const seven = made(7);
    expect(sameParts(seven, made(7))).toEqual({
      trainImages: true,
      trainLabels: true,
      testImages: true,
      testLabels: true,
    });
    expect(sameParts(seven, made(8))).toMatchObject({
      trainImages: false,
      trainLabels: false,
      testImages: false,
    });
  });

  it('draws the training and the test images from different streams', () => {
    const ds = makeSyntheticDataset({ seed: 1, trainCount: 100, testCount: 100 });
    expect(sameBytes(ds.train.images, ds.test.images)).toBe(false);
    expect(sameBytes(ds.train.labels, ds.test.labels)).toBe(false);
  });

  it('balances the classes exactly when the count is a multiple of ten', () => {
    expect(classCounts(full.train, CLASSES)).toEqual(new Array(CLASSES).fill(1000));
    expect(classCounts(full.test, CLASSES)).toEqual(new Array(CLASSES).fill(200));
  });

  it('balances the classes to within one image otherwise, with every label in range', () => {
    const ds = makeSyntheticDataset({ seed: 2, trainCount: 123, testCount: 7 });
    for (const set of [ds.train, ds.test, full.train, full.test]) {
      for (const l of set.labels) expect(l).toBeLessThan(CLASSES);
    }
    const counts = classCounts(ds.train, CLASSES);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(123);
    expect(classCounts(ds.test, CLASSES).filter((c) => c === 1)).toHaveLength(7);
  });

  it('shuffles the labels instead of cycling through the classes', () => {
    const cycled = Array.from(full.train.labels.subarray(0, 100)).every((l, i) => l === i % CLASSES);
    expect(cycled).toBe(false);
  });

  it('draws no flat image: every image varies in space, beyond pixel noise alone', () => {
    // Measured (per-channel spatial std averaged over channels, in byte units): the faintest
    // of the 12000 images has 9.4 with seed 0 (11.1 seed 1, 11.3 seed 2): a small shape at the
    // lowest contrast, little texture.
    let min = Number.POSITIVE_INFINITY;
    for (const set of [full.train, full.test]) {
      for (let i = 0; i < set.count; i++) min = Math.min(min, pixelStd(set, i));
    }
    expect(min).toBeGreaterThan(4);
  });

  it('cannot be told apart by colour: nearest class mean on mean RGB stays near chance', () => {
    // Measured: 14.1% with seed 0 (14.1% seed 1, 15.6% seed 2); chance is 10%. Slightly above
    // chance because the shape is always the lighter one and the classes cover different
    // areas (two dots far less than a disc), so a brighter image leans towards the big shapes.
    const accuracy = nearestClassMean(full, meanRgb);
    expect(accuracy).toBeLessThan(0.25);
  });

  it('is learnable from structure but not trivially: a Fourier-magnitude baseline is in between', () => {
    // Nearest class mean on the translation-free magnitude spectrum (16x16 grey).
    // Measured: 79.3% with seed 0 (79.5% seed 1, 80.5% seed 2; 72% on 8x8 instead of 16x16).
    // Linear models on the raw layout do far worse, because objects move and rotate: nearest
    // class mean on an 8x8 contrast-normalised grey image 35% (seed 0), softmax regression on
    // it 40%. For scale: the tiny preset's teacher (patch 8, 32 wide, 2 blocks) reaches 54.5%
    // test accuracy after 1500 steps of 16 (npm run train -- --phase teacher --data synthetic
    // --preset tiny --steps 1500).
    const accuracy = nearestClassMean(full, magnitudeSpectrum);
    expect(accuracy).toBeGreaterThan(0.4);
    expect(accuracy).toBeLessThan(0.9);
  });

  it('generates the default 12000 images in under 3 seconds', () => {
    // Measured in Node 20 on a shared, busy 2-core machine: CPU 1.0 to 1.1 s on the first call
    // (JIT warm-up included), 0.7 s on later calls; wall clock up to 1.7 s with other test runs
    // competing for the cores.
    expect(fullCpuMs).toBeLessThan(3000);
    expect(fullWallMs).toBeLessThan(10_000);
  });
});

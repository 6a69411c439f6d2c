import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../backend';
import { makeRng } from '../random';
import { onCpuBackend, WASM_PATHS } from '../test-utils';
import * as tf from '../tf';
import type { ImageSet } from './dataset';
import { augmentBatch, channelStats, DeviceImageSet, EpochSampler, NO_AUGMENT, packPixels } from './gpu-data';

function randomSet(count: number, size: number, seed: number): ImageSet {
  const rng = makeRng(seed, 'test-images');
  return {
    images: Uint8Array.from({ length: count * size * size * 3 }, () => Math.floor(rng() * 256)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
    imageSize: size,
  };
}

/** Pixel (y, x, c) of image i, normalised, straight from the bytes (the reference). */
function refPixel(
  set: ImageSet,
  i: number,
  y: number,
  x: number,
  c: number,
  mean: number[],
  std: number[],
): number {
  const s = set.imageSize;
  return (set.images[((i * s + y) * s + x) * 3 + c]! / 255 - mean[c]!) / std[c]!;
}

describe('device-resident image sets', () => {
  onCpuBackend();
  afterAll(() => tf.disposeVariables());

  it('packs three bytes a pixel and unpacks them exactly, normalised per channel', async () => {
    const set = randomSet(12, 8, 1);
    // Extreme bytes must survive the float unpacking too.
    set.images.set([255, 255, 255, 0, 0, 0, 255, 0, 128], 0);
    const norm = {
      mean: [0.1, 0.5, 0.9] as [number, number, number],
      std: [0.2, 0.3, 0.25] as [number, number, number],
    };
    const dev = new DeviceImageSet(set, norm);
    const idx = tf.tensor1d([11, 0, 5], 'int32');
    const images = dev.images(idx);
    const got = await images.array();
    const labels = await dev.batchLabels(idx).data();
    [11, 0, 5].forEach((img, b) => {
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++)
          for (let c = 0; c < 3; c++) {
            expect(got[b]![y]![x]![c]).toBeCloseTo(refPixel(set, img, y, x, c, norm.mean, norm.std), 4);
          }
    });
    expect(Array.from(labels)).toEqual([11 % 10, 0, 5]);
    tf.dispose([images, idx]);
    dev.dispose();
  });

  it('packPixels puts red in the low byte', () => {
    expect(Array.from(packPixels(Uint8Array.from([1, 2, 3, 255, 0, 7])))).toEqual([
      1 + 2 * 256 + 3 * 65536,
      255 + 7 * 65536,
    ]);
  });

  it('channel statistics match a direct computation', () => {
    const set = randomSet(5, 4, 2);
    const stats = channelStats(set);
    for (let c = 0; c < 3; c++) {
      const vals: number[] = [];
      for (let i = c; i < set.images.length; i += 3) vals.push(set.images[i]! / 255);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
      expect(stats.mean[c]).toBeCloseTo(mean, 6);
      expect(stats.std[c]).toBeCloseTo(std, 6);
    }
  });
});

describe('augmentation', () => {
  onCpuBackend();

  it('crops a padded window and mirrors it exactly, image by image', async () => {
    const b = 16;
    const h = 6;
    const rng = makeRng(3, 'values');
    const data = Float32Array.from({ length: b * h * h * 2 }, () => rng() * 2 - 1);
    const images = tf.tensor4d(data, [b, h, h, 2]);
    const out = augmentBatch(images, { cropPadding: 2, flip: true, mixup: 0 }, makeRng(9, 'aug'));
    const got = (await out.array()) as number[][][][];
    // Every output must equal some (dy, dx, flip) window of the zero-padded input.
    let flips = 0;
    for (let i = 0; i < b; i++) {
      const matches: string[] = [];
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++)
          for (const flip of [false, true]) {
            let ok = true;
            for (let y = 0; y < h && ok; y++)
              for (let x = 0; x < h && ok; x++)
                for (let c = 0; c < 2 && ok; c++) {
                  const sx = flip ? h - 1 - x + dx : x + dx;
                  const sy = y + dy;
                  const inside = sy >= 0 && sy < h && sx >= 0 && sx < h;
                  const ref = inside ? data[((i * h + sy) * h + sx) * 2 + c]! : 0;
                  if (Math.abs(got[i]![y]![x]![c]! - ref) > 1e-5) ok = false;
                }
            if (ok) matches.push(`${dy},${dx},${flip}`);
          }
      expect(matches.length, `image ${i} is no padded crop of its input`).toBeGreaterThan(0);
      if (matches.every((m) => m.endsWith('true'))) flips++;
    }
    // With 16 images, both mirrored and plain ones should occur.
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(b);
    tf.dispose([images, out]);
  });

  it('no augmentation returns the batch unchanged', async () => {
    const images = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const out = augmentBatch(images, NO_AUGMENT, makeRng(1));
    expect(Array.from(await out.data())).toEqual([1, 2, 3, 4]);
    tf.dispose([images, out]);
  });
});

/**
 * Which (dy, dx, mirrored) window of the zero-padded input each output image is, by comparing
 * pixels with the input itself (the reference); undefined where none matches.
 */
function windowOf(
  data: Float32Array,
  got: Float32Array,
  i: number,
  [h, c, pad]: [number, number, number],
): string | undefined {
  for (let dy = -pad; dy <= pad; dy++)
    for (let dx = -pad; dx <= pad; dx++)
      for (const flip of [false, true]) {
        let ok = true;
        for (let y = 0; y < h && ok; y++)
          for (let x = 0; x < h && ok; x++)
            for (let k = 0; k < c && ok; k++) {
              const sx = flip ? h - 1 - x + dx : x + dx;
              const sy = y + dy;
              const inside = sy >= 0 && sy < h && sx >= 0 && sx < h;
              const ref = inside ? data[((i * h + sy) * h + sx) * c + k]! : 0;
              if (Math.abs(got[((i * h + y) * h + x) * c + k]! - ref) > 1e-5) ok = false;
            }
        if (ok) return `${dy},${dx},${flip}`;
      }
  return undefined;
}

describe.each(['cpu', 'wasm'] as const)('random crop and flip on %s', (backend) => {
  beforeAll(async () => {
    expect(await tryBackend(backend, { wasmPaths: WASM_PATHS })).toBeNull();
  });

  // The twin draws each image's window uniformly from all (2 pad + 1)^2 offsets, mirrored or
  // not. On wasm, cropAndResize once gave every unmirrored window of the top row the place of
  // the one at its left end: 4 of these 50 windows never came out.
  it('gives every window of the padded image, each about equally often', async () => {
    const [b, h, c, pad] = [2000, 6, 2, 2];
    const rng = makeRng(5, 'values');
    const data = Float32Array.from({ length: b * h * h * c }, () => rng() * 2 - 1);
    const images = tf.tensor4d(data, [b, h, h, c]);
    const out = augmentBatch(images, { cropPadding: pad, flip: true, mixup: 0 }, makeRng(9, 'aug'));
    const got = (await out.data()) as Float32Array;
    tf.dispose([images, out]);
    const counts = new Map<string, number>();
    for (let i = 0; i < b; i++) {
      const window = windowOf(data, got, i, [h, c, pad]);
      expect(window, `image ${i} is no padded crop of its input`).toBeDefined();
      counts.set(window!, (counts.get(window!) ?? 0) + 1);
    }
    const windows = (2 * pad + 1) ** 2 * 2;
    expect(counts.size).toBe(windows);
    // 40 expected each (the draws are seeded: the same every run); for unbiased draws, a count
    // outside [11, 90] in any of the 50 windows has a chance below 1e-6.
    for (const [window, n] of counts) {
      expect(n, window).toBeGreaterThanOrEqual(11);
      expect(n, window).toBeLessThanOrEqual(90);
    }
  });
});

describe('epoch sampler', () => {
  onCpuBackend();

  it('visits every image once per epoch, in a new order each epoch, and drops the ragged tail', async () => {
    const sampler = new EpochSampler(10, 3, makeRng(4, 'order'));
    expect(sampler.stepsPerEpoch).toBe(3);
    const epochs: number[][] = [[], []];
    for (let s = 0; s < 6; s++) {
      const e = sampler.epoch === 0 && s < 3 ? 0 : 1;
      const idx = sampler.next();
      epochs[e]!.push(...(await idx.data()));
      idx.dispose();
    }
    for (const seen of epochs) {
      expect(new Set(seen).size).toBe(9);
      expect(seen.every((i) => i >= 0 && i < 10)).toBe(true);
    }
    expect(epochs[0]).not.toEqual(epochs[1]);
    sampler.dispose();
  });

  it('resumes from a saved position with the same batches', async () => {
    const take = async (s: EpochSampler, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const idx = s.next();
        out.push(...(await idx.data()));
        idx.dispose();
      }
      return out;
    };
    const rngA = makeRng(5, 'order');
    const a = new EpochSampler(20, 4, rngA);
    await take(a, 7);
    const saved = { ...a.position(), order: a.position().order.slice() };
    const rngState = rngA.state();
    const continued = await take(a, 9);
    const { restoreRng } = await import('../random');
    const b = new EpochSampler(20, 4, restoreRng(rngState), saved);
    expect(await take(b, 9)).toEqual(continued);
    a.dispose();
    b.dispose();
  });

  it('refuses a batch larger than the dataset', () => {
    expect(() => new EpochSampler(5, 8, makeRng(1))).toThrow(
      /Batch size 8 is larger than the 5 training images/,
    );
  });
});

/** Padding the analysis batch changes no image's predictions or maps (reference: the unpadded batch). */
import { describe, expect, it } from 'vitest';
import { DeviceImageSet, type Normalization } from '../engine/data/gpu-data';
import { analyzeImages } from '../engine/probe';
import { makeRng } from '../engine/random';
import { patchCount } from '../engine/spec/config';
import { maxAbsDiff, onCpuBackend, TINY_TEACHER } from '../engine/test-utils';
import * as tf from '../engine/tf';
import { Vit } from '../engine/vit';
import { analyzeUserImages } from './image-analysis';

const NORM: Normalization = { mean: [0.5, 0.45, 0.4], std: [0.25, 0.24, 0.26] };

describe('analyzeUserImages', () => {
  onCpuBackend();

  it('gives each of 3 images the figures of an unpadded batch, and the 3x3 inter-image maps', async () => {
    const model = Vit.create(TINY_TEACHER, 3);
    const size = TINY_TEACHER.imageSize;
    const rng = makeRng(1, 'analysis-test');
    const images = [0, 1, 2].map((i) => ({
      id: `img-${i}`,
      rgb: Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rng() * 256)),
    }));
    const names = Array.from({ length: TINY_TEACHER.numClasses }, (_, i) => `c${i}`);
    const got = await analyzeUserImages(
      { teacher: model, student: null, normalization: NORM, pairs: [[0, 1]], classNames: names },
      images,
      0,
    );

    const bytes = new Uint8Array(3 * size * size * 3);
    images.forEach((img, i) => {
      bytes.set(img.rgb, i * img.rgb.length);
    });
    const set = new DeviceImageSet(
      { images: bytes, labels: new Uint8Array(3), count: 3, imageSize: size },
      NORM,
    );
    const idx = tf.tensor1d([0, 1, 2], 'int32');
    const batch = set.images(idx);
    const want = await analyzeImages(model, batch, 1);
    tf.dispose([idx, batch]);
    set.dispose();

    images.forEach((_, i) => {
      const r = got.results[i]!;
      const top = r.teacher.top[0]!;
      expect(top.p).toBeCloseTo(Math.max(...want.probs[i]!), 5);
      expect(maxAbsDiff(r.teacherIntra, want.intra[i]!)).toBeLessThan(1e-5);
    });
    const n = patchCount(TINY_TEACHER);
    expect(got.across!.teacher.length).toBe(n * 9);
    expect(maxAbsDiff(got.across!.teacher, want.inter)).toBeLessThan(1e-5);
    model.dispose();
  });
});

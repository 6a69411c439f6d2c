import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from './backend';
import { probeRelationMaps } from './probe';
import { mulberry32, TINY_STUDENT, TINY_TEACHER, uniform } from './test-utils';
import * as tf from './tf';
import { Vit } from './vit';

beforeAll(async () => {
  const problem = await tryBackend('cpu');
  if (problem) throw new Error(problem);
});

describe('probeRelationMaps block match', () => {
  it("on one image, each cell equals the shown intra-image maps' mean squared difference for that pair", async () => {
    const teacher = Vit.create(TINY_TEACHER, 1);
    const student = Vit.create(TINY_STUDENT, 2);
    const s = TINY_TEACHER.imageSize;
    const images = tf.tensor4d(uniform(mulberry32(3), s * s * TINY_TEACHER.channels), [
      1,
      s,
      s,
      TINY_TEACHER.channels,
    ]);
    const before = tf.memory().numTensors;
    const [ls, lt] = [TINY_STUDENT.nLayers, TINY_TEACHER.nLayers];
    for (let i = 0; i < ls; i++)
      for (let j = 0; j < lt; j++) {
        const out = await probeRelationMaps(teacher, student, images, [i, j], {
          image: 0,
          position: 0,
          sampleIndices: new Int32Array([0, 1]),
        });
        expect(out.blockMatch?.length).toBe(ls * lt);
        // With a batch of one image the batch-wide distance is this image's map distance,
        // computed here with a plain loop over the maps the page draws.
        const t = out.teacher.intra;
        const st = out.student!.intra;
        let sum = 0;
        for (let m = 0; m < t.length; m++) sum += (t[m]! - st[m]!) ** 2;
        expect(out.blockMatch![i * lt + j]!).toBeCloseTo(sum / t.length, 5);
      }
    expect(tf.memory().numTensors).toBe(before);
    const alone = await probeRelationMaps(teacher, null, images, [0, 0], {
      image: 0,
      position: 0,
      sampleIndices: new Int32Array([0]),
    });
    expect(alone.blockMatch).toBeNull();
    images.dispose();
    teacher.dispose();
    student.dispose();
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { type BackendName, tryBackend } from './backend';
import { channelStats, DeviceImageSet } from './data/gpu-data';
import { evaluateAccuracy } from './evaluate';
import { STEP_KINDS } from './spec/step-kind';
import { randomImageSet, TINY_STUDENT, TINY_TEACHER, WASM_PATHS } from './test-utils';
import * as tf from './tf';
import { Vit } from './vit';

afterAll(async () => {
  await tryBackend('cpu');
});

describe('evaluateAccuracy', () => {
  // wasm: its forward pass by XNNPACK's routes in the fast step (kernels/wasm-ops.ts).
  it.each(['cpu', 'wasm'] as BackendName[])(
    'counts the images whose label is the model’s argmax, with either step kind, in uneven batches, on %s',
    async (backend) => {
      expect(await tryBackend(backend, { wasmPaths: WASM_PATHS })).toBeNull();
      const count = 23;
      const base = randomImageSet(count, 5, 'evaluate');
      const norm = channelStats(base);
      const teacher = Vit.create(TINY_TEACHER, 3, false);
      const student = Vit.create(TINY_STUDENT, 4);
      try {
        // Each model's class for each image, one image at a time with the plain ops.
        const probe = new DeviceImageSet(base, norm);
        const predicted = [teacher, student].map((m) =>
          Array.from({ length: count }, (_, i) =>
            tf.tidy(() => {
              const image = probe.images(tf.tensor1d([i], 'int32'));
              return m.predictLogits(m.apply(image)).argMax(-1).dataSync()[0]!;
            }),
          ),
        );
        probe.dispose();
        // Labels: the teacher's class on the first 15 images, another class on the rest.
        const classes = TINY_TEACHER.numClasses;
        const labels = predicted[0]!.map((c, i) => (i < 15 ? c : (c + 1) % classes));
        const want = predicted.map((p) => p.filter((c, i) => c === labels[i]).length / count);
        expect(want[0]).toBeCloseTo(15 / count, 12);

        const set = new DeviceImageSet({ ...base, labels: Uint8Array.from(labels) }, norm);
        for (const stepKind of STEP_KINDS) {
          const before = tf.memory().numTensors;
          const got = await evaluateAccuracy([teacher, student], set, { batch: 10, limit: count, stepKind });
          expect(tf.memory().numTensors, `${stepKind} step`).toBe(before);
          expect(got, `${stepKind} step`).toEqual(want);
        }
        // A limit counts only the first images.
        const first = await evaluateAccuracy([teacher], set, { batch: 4, limit: 10, stepKind: 'fast' });
        expect(first).toEqual([1]);
        set.dispose();
      } finally {
        teacher.dispose();
        student.dispose();
      }
    },
  );

  it('lets the thread run other tasks between batches (a paused worker answers the page meanwhile)', async () => {
    expect(await tryBackend('cpu')).toBeNull();
    const base = randomImageSet(12, 5, 'evaluate-yield');
    const set = new DeviceImageSet(base, channelStats(base));
    const teacher = Vit.create(TINY_TEACHER, 3, false);
    try {
      let finished = false;
      const evaluation = evaluateAccuracy([teacher], set, { batch: 4 }).then(() => {
        finished = true;
      });
      // On cpu every batch and the final read complete without leaving the thread: a task
      // queued now runs before the end only if the evaluation yields between batches.
      const ranBeforeTheEnd = new Promise<boolean>((resolve) => setTimeout(() => resolve(!finished), 0));
      await evaluation;
      expect(await ranBeforeTheEnd).toBe(true);
    } finally {
      teacher.dispose();
      set.dispose();
    }
  });
});

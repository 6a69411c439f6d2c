import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from './checkpoint';
import type { Dataset } from './data/dataset';
import type { MetricRow } from './pending-metrics';
import { validateManifest } from './spec/checkpoint-format';
import type { RunConfig } from './spec/config';
import { onCpuBackend, randomDataset, smallRunConfig } from './test-utils';
import * as tf from './tf';
import { Trainer } from './trainer';

const DATASET: Dataset = randomDataset('trainer-test', 40, 12);

const CONFIG: RunConfig = smallRunConfig(5, { steps: 12, teacherSteps: 12 });

async function train(trainer: Trainer, steps: number): Promise<MetricRow[]> {
  for (let i = 0; i < steps; i++) trainer.trainStep();
  return trainer.readMetrics();
}

async function trainedTeacher(): Promise<Trainer> {
  const t = new Trainer({ config: CONFIG, phase: 'teacher', dataset: DATASET });
  await train(t, 6);
  return t;
}

/** A trained teacher, and the options of a student run that learns from it. */
async function studentOfTrainedTeacher() {
  const teacherRun = await trainedTeacher();
  const opts = { config: CONFIG, phase: 'student' as const, dataset: DATASET, teacher: teacherRun.teacher };
  return { teacherRun, opts };
}

describe('trainer', () => {
  onCpuBackend();

  it('gives the same metrics for two runs with the same seed', async () => {
    const a = new Trainer({ config: CONFIG, phase: 'teacher', dataset: DATASET });
    const b = new Trainer({ config: CONFIG, phase: 'teacher', dataset: DATASET });
    const ra = await train(a, 7);
    const rb = await train(b, 7);
    expect(ra.map((r) => r.values)).toEqual(rb.map((r) => r.values));
    // Crosses an epoch boundary (5 batches of 8 per epoch), so reshuffling is covered too.
    expect(ra[6]!.epoch).toBe(1);
    const c = new Trainer({ config: { ...CONFIG, seed: 6 }, phase: 'teacher', dataset: DATASET });
    expect((await train(c, 7)).map((r) => r.values)).not.toEqual(ra.map((r) => r.values));
    for (const t of [a, b, c]) t.dispose();
  });

  it('reads many steps of metrics in one call, one row per step, every active term of the student', async () => {
    const { teacherRun, opts } = await studentOfTrainedTeacher();
    const student = new Trainer({
      ...opts,
      baselines: [{ name: 'kd-only', loss: { wCe: 0, wKd: 1, wMd: 0 } }],
    });
    const rows = await train(student, 3);
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2]);
    for (const row of rows) {
      expect(Object.keys(row.values).sort()).toEqual([
        'accuracy',
        'ce',
        'inter',
        'intra',
        'kd',
        'random',
        'total',
      ]);
      expect(Object.keys(row.baselines['kd-only']!).sort()).toEqual(['accuracy', 'kd', 'total']);
      for (const v of Object.values(row.values)) expect(Number.isFinite(v)).toBe(true);
    }
    const result = await student.evaluate();
    expect(Object.keys(result.accuracy).sort()).toEqual(['kd-only', 'student', 'teacher']);
    expect(result.count).toBe(12);
    student.dispose(false);
    teacherRun.dispose(true);
  });

  it('continues from a checkpoint with exactly the metrics of a run that never stopped', async () => {
    const { teacherRun, opts } = await studentOfTrainedTeacher();
    const straight = new Trainer(opts);
    const all = await train(straight, 9);

    const first = new Trainer(opts);
    await train(first, 4);
    const ckpt = await first.checkpoint();
    first.dispose(false);
    // Through JSON, as a file round trip would go.
    const manifest = validateManifest(JSON.parse(JSON.stringify(ckpt.manifest)));
    const decoded = await decodeCheckpoint(manifest, ckpt.weights.slice(0));
    const resumed = new Trainer({ ...opts, resume: decoded });
    expect(resumed.step).toBe(4);
    const rest = await train(resumed, 5);
    expect(rest.map((r) => r.step)).toEqual([4, 5, 6, 7, 8]);
    expect(rest.map((r) => r.values)).toEqual(all.slice(4).map((r) => r.values));
    decoded.models.get('teacher')?.model.dispose();
    resumed.dispose(false);
    straight.dispose(false);
    teacherRun.dispose(true);
  });

  it('changes loss weights from the next step without touching optimizer state', async () => {
    const { teacherRun, opts } = await studentOfTrainedTeacher();
    const a = new Trainer(opts);
    const b = new Trainer(opts);
    await train(a, 3);
    await train(b, 3);
    b.setLoss('student', { wIntra: 0, wInter: 0 });
    const [ra] = await train(a, 1);
    const [rb] = await train(b, 1);
    // Same weights before the step, so the shared terms are equal and the total drops the two terms.
    expect(rb!.values.kd).toBeCloseTo(ra!.values.kd!, 6);
    expect(rb!.values.intra).toBeUndefined();
    const expected = 0.5 * rb!.values.ce! + rb!.values.kd! + 0.2 * rb!.values.random!;
    expect(rb!.values.total).toBeCloseTo(expected, 5);
    a.dispose(false);
    b.dispose(false);
    teacherRun.dispose(true);
  });

  it('mixup blends each batch with its reverse and mixes the two label sets, reproducibly', async () => {
    const mixed = {
      config: CONFIG,
      phase: 'teacher' as const,
      dataset: DATASET,
      augment: { cropPadding: 0, flip: false, mixup: 0.4 },
    };
    const a = new Trainer(mixed);
    const b = new Trainer(mixed);
    const plain = new Trainer({ ...mixed, augment: { cropPadding: 0, flip: false, mixup: 0 } });
    const ra = await train(a, 4);
    expect((await train(b, 4)).map((r) => r.values)).toEqual(ra.map((r) => r.values));
    expect((await train(plain, 4)).map((r) => r.values.ce)).not.toEqual(ra.map((r) => r.values.ce));
    for (const r of ra) expect(Number.isFinite(r.values.ce)).toBe(true);
    for (const t of [a, b, plain]) t.dispose(true);
  });

  it('holds a constant number of tensors while training', async () => {
    const t = new Trainer({ config: CONFIG, phase: 'teacher', dataset: DATASET });
    await train(t, 2);
    const before = tf.memory().numTensors;
    await train(t, 8);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose(true);
  });

  it('refuses a dataset whose classes or image size do not match the models', () => {
    expect(
      () =>
        new Trainer({ config: CONFIG, phase: 'teacher', dataset: { ...DATASET, classNames: ['a', 'b'] } }),
    ).toThrow(/4 outputs but random has 2 classes/);
    expect(() => new Trainer({ config: CONFIG, phase: 'student', dataset: DATASET })).toThrow(
      /needs a trained teacher/,
    );
  });
});

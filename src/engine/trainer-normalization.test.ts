/**
 * A student phase on a subset of the teacher's data (the starter set under a teacher trained on
 * all of CIFAR-10) must feed the teacher the inputs it was trained on: its own normalisation, not
 * the subset's channel statistics.
 */
import { describe, expect, it } from 'vitest';
import type { Dataset } from './data/dataset';
import { channelStats } from './data/gpu-data';
import { DEFAULT_CONFIG, type RunConfig } from './spec/config';
import { onCpuBackend, randomImageSet, smallModels } from './test-utils';
import { Trainer } from './trainer';

const SALT = 'normalization-test';

const FULL: Dataset = {
  name: 'full',
  classNames: ['a', 'b', 'c', 'd'],
  train: randomImageSet(40, 1, SALT),
  test: randomImageSet(24, 2, SALT),
};
// A subset whose pixel statistics differ a lot from the full set's (all bright).
const SUBSET: Dataset = { ...FULL, name: 'subset', train: randomImageSet(16, 3, SALT, 180) };

const CONFIG: RunConfig = {
  ...DEFAULT_CONFIG,
  seed: 5,
  ...smallModels(4),
  loss: { ...DEFAULT_CONFIG.loss, k: 24 },
  optim: { ...DEFAULT_CONFIG.optim, batch: 8, steps: 4, teacherSteps: 8, warmupSteps: 2, lr: 3e-3 },
};

describe('the student phase with a given teacher', () => {
  onCpuBackend();

  it("normalises with the teacher's statistics, so the teacher judges the test set as it did", async () => {
    const t = new Trainer({ config: CONFIG, phase: 'teacher', dataset: FULL });
    for (let i = 0; i < 8; i++) t.trainStep();
    await t.readMetrics();
    const before = await t.evaluate();
    const teacher = t.teacher;
    t.dispose(false);

    const s = new Trainer({
      config: CONFIG,
      phase: 'student',
      dataset: SUBSET,
      teacher,
      normalization: channelStats(FULL.train),
    });
    expect(s.normalization).toEqual(channelStats(FULL.train));
    expect(s.normalization).not.toEqual(channelStats(SUBSET.train));
    const after = await s.evaluate();
    expect(after.accuracy.teacher).toBe(before.accuracy.teacher);
    s.dispose(true);
  });
});

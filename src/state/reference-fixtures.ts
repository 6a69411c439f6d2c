/**
 * Made-up reference tables for the tests of reference-runs.ts and of the README's block that
 * scripts/docs.ts writes from them (not used by the page). The settings are the default run's,
 * so the page's default config matches a table built on them.
 */

export const STARTER_SETTINGS = {
  preset: 'default',
  trainData: 'public/data/starter',
  teacher: 'public/models/cifar10-default',
  steps: 2000,
  batch: 64,
  warmup: 100,
  lr: null,
};

/** One run of a table, measured on the 10,000 test images. */
export const referenceRun = (objective: string, seed: number, testAccuracy: number, trainCount = 10000) => ({
  objective,
  seed,
  testAccuracy,
  trainSeconds: 100,
  count: 10000,
  trainCount,
});

/** The starter set's table of the default run, with the given runs and the shipped teacher at 76.25%. */
export const starterTable = (runs: ReturnType<typeof referenceRun>[]) => ({
  title: 'Default preset on the starter set',
  settings: STARTER_SETTINGS,
  teacherAccuracy: 0.7625,
  runs,
});

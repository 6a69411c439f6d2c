import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    // One test file per core. Vitest's default (cores - 1) runs CI's two cores one file at a
    // time, and nearly every file keeps a single core busy (TF.js's cpu backend is plain JS; the
    // twin's torch runs one thread here), so the other core sat idle for the whole unit run.
    maxWorkers: availableParallelism(),
    // TF.js on the cpu backend is slow for anything model-sized; keep failures visible, not flaky.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The summary ends with what skipped and why (and fails a run that had all it needs).
    reporters: ['default', './scripts/lib/skip-summary.ts'],
  },
});

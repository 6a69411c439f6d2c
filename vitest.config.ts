import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    // TF.js on the cpu backend is slow for anything model-sized; keep failures visible, not flaky.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The summary ends with what skipped and why (and fails a run that had all it needs).
    reporters: ['default', './scripts/lib/skip-summary.ts'],
  },
});

import { afterEach, describe, expect, it } from 'vitest';
import { benchConfig } from '../../src/engine/diagnostics/benchmark';
import { runTorch } from './torch-bench';
import { findTorchPython } from './torch-python';

const ROOT = new URL('../..', import.meta.url).pathname;
const saved = process.env.TORCH_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.TORCH_PYTHON;
  else process.env.TORCH_PYTHON = saved;
});

const options = {
  root: ROOT,
  jobs: [{ size: 'tiny' as const, threads: 1 }],
  config: benchConfig,
  timed: () => 2,
  log: () => {},
};

describe('PyTorch beside wasm in the bench', () => {
  it('skips with the reason when no Python has torch, and does not fail', () => {
    process.env.TORCH_PYTHON = '/nonexistent/python3';
    const section = runTorch(options);
    expect(section.skipped).toMatch(/\/nonexistent\/python3: not found/);
    expect(section.results).toEqual([]);
    expect(section.failures).toEqual([]);
  });

  const found = findTorchPython();
  it.skipIf(!found.python)(
    "times the twin's tiny step with the thread count asked for",
    () => {
      const section = runTorch(options);
      expect(section.failures).toEqual([]);
      expect(section.skipped).toBeNull();
      const [m] = section.results;
      expect(m).toMatchObject({ size: 'tiny', threads: 1, batch: 16, stepsTimed: 2 });
      expect(m!.medianStepMs).toBeGreaterThan(0);
    },
    120_000,
  );
});

import { describe, expect, it } from 'vitest';
import type { StepMeasurement } from '../src/engine/benchmark';
import { type BenchReport, comparisons, readmeTable } from './lib/bench-report';

function measurement(over: Partial<StepMeasurement>): StepMeasurement {
  return {
    size: 'tiny',
    kind: 'reference',
    backend: 'webgpu',
    batch: 16,
    teacherParams: 1,
    studentParams: 1,
    firstStepMs: 1000,
    medianStepMs: 100,
    imagesPerSec: 160,
    stepsTimed: 3,
    dispatchesPerStep: 1000,
    readbacksPerStep: 0.1,
    uploadBytesPerStep: 2048,
    uniformBytesPerStep: 4096,
    kernelsPerStep: 2000,
    kernelCounts: null,
    peakBytes: 1,
    backendBytes: null,
    tensorsAfter2: 10,
    tensorsAfterAll: 10,
    losses: [{ kd: 2, total: 4 }],
    weightDigest: { sum: 0, sumSq: 1 },
    ...over,
  };
}

const report = (results: BenchReport['results']): BenchReport => ({
  date: '2026-11-28T06:00:00.000Z',
  quick: true,
  durationSec: 1,
  machine: { cpu: 'x', cores: 2, memoryGiB: 24, platform: 'linux', node: 'v20' },
  browser: 'Chromium 1',
  adapter: 'google swiftshader',
  webgpuEmulated: true,
  kernelChecks: [],
  failures: [],
  results,
});

describe('benchmark report', () => {
  it('pairs reference and fast of the same host, backend and size, and states ratios as reference / fast', () => {
    const r = report([
      { host: 'browser', ...measurement({}) },
      { host: 'node', ...measurement({ backend: 'wasm', medianStepMs: 50 }) },
      {
        host: 'browser',
        ...measurement({
          kind: 'fast',
          dispatchesPerStep: 400,
          medianStepMs: 80,
          losses: [{ kd: 2.0002, total: 4 }],
        }),
      },
      { host: 'node', ...measurement({ backend: 'wasm', kind: 'fast', medianStepMs: 40 }) },
    ]);
    const pairs = comparisons(r);
    expect(pairs.map((p) => p.where)).toEqual(['Chromium webgpu', 'Node wasm']);
    expect(pairs[0]!.lossMaxRelDiff).toBeCloseTo(1e-4, 8);
    expect(pairs[1]!.lossMaxRelDiff).toBe(0);
    const table = readmeTable(r);
    expect(table).toContain('| Chromium webgpu | tiny | 1000 / 400 (2.50x) |');
    expect(table).toContain('100.0 / 80.0 (1.25x)');
    expect(table).toContain('50.0 / 40.0 (1.25x)');
    expect(table).toMatch(/SwiftShader, an emulator/);
  });

  it('leaves out a size measured with one step kind only', () => {
    expect(comparisons(report([{ host: 'browser', ...measurement({}) }]))).toEqual([]);
  });
});

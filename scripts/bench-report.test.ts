import { describe, expect, it } from 'vitest';
import type { StepMeasurement } from '../src/engine/diagnostics/benchmark';
import { type BenchReport, benchMarkdown, comparisons, readmeTable } from './lib/bench-report';
import { parseTorchOutput, type TorchMeasurement, torchComparisons, torchJobs } from './lib/torch-bench';

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
    submitsPerStep: 67,
    enqueueMsPerStep: 5,
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
    // First steps of 1000 ms against a steady 100 and 80 ms.
    expect(table).toContain('100.0 / 80.0 (1.25x) | 10.00x / 12.50x |');
    expect(table).toContain('50.0 / 40.0 (1.25x)');
    expect(table).toMatch(/SwiftShader, an emulator/);
    expect(table).not.toContain('Load average');
    const loaded = readmeTable({ ...r, machine: { ...r.machine, load: [1.5, 7.25] } });
    expect(loaded).toContain('Load average 1.5 at the start, 7.3 at the end: the cores were shared');
    const idle = readmeTable({ ...r, machine: { ...r.machine, load: [0.5, 1.2] } });
    expect(idle).toContain('Load average 0.5 at the start, 1.2 at the end.');
  });

  it('leaves out a reference measured alone', () => {
    expect(comparisons(report([{ host: 'browser', ...measurement({}) }]))).toEqual([]);
  });

  it('says nothing of the WebGPU adapter when no WebGPU step ran', () => {
    const wasmOnly = { host: 'node' as const, ...measurement({ backend: 'wasm', kind: 'fast' }) };
    expect(readmeTable({ ...report([wasmOnly]), webgpuEmulated: false })).not.toMatch(/WebGPU (ran|here)/);
    expect(readmeTable({ ...report([wasmOnly]), webgpuEmulated: true })).not.toMatch(/WebGPU (ran|here)/);
  });

  it('shows a fast step measured alone with n/a for the reference, and marks a back-to-back time', () => {
    const fast = measurement({
      size: 'default',
      kind: 'fast',
      dispatchesPerStep: 1250,
      uploadBytesPerStep: 36045,
      readbacksPerStep: 1,
      enqueueMsPerStep: 12.34,
      firstStepMs: 300_000,
      medianStepMs: 85_000,
      backToBackMsPerStep: 85_000,
      stepsTimed: 0,
    });
    const r = report([{ host: 'browser', ...fast }]);
    const [c] = comparisons(r);
    expect(c!.reference).toBeNull();
    expect(c!.lossMaxRelDiff).toBeNull();
    const table = readmeTable(r);
    // 36045 B = 35.2 KB; 300000 / 85000 = 3.53.
    expect(table).toContain(
      '| Chromium webgpu | default | n/a / 1250 (n/a) | n/a / 12.3 | n/a / 2000 | n/a / 1.00 | n/a / 35.2 KB | n/a / 85000.0 (b2b) (n/a) | n/a / 3.53x | n/a |',
    );
    const md = benchMarkdown(r, 'bench/results-quick.json');
    // No warm-up in this result (an older file, or off WebGPU): its column says n/a.
    expect(md).toContain(
      '| Chromium webgpu | default | fast | 16 | 85000.0 | 85000.0 | 160.0 | 300000 | n/a | 1250 |',
    );
    expect(benchMarkdown(report([{ host: 'browser', ...fast, warmUpMs: 4321.4 }]), 'x.json')).toContain(
      '| 160.0 | 300000 | 4321 | 1250 |',
    );
    // Every row of the detail table has as many cells as its header.
    const detail = md
      .split('## Every figure')[1]!
      .split('\n')
      .filter((l) => l.startsWith('|'));
    const cells = detail.map((l) => l.split(' | ').length);
    expect(new Set(cells).size).toBe(1);
  });
});

describe('wasm against PyTorch', () => {
  const wasm = (
    host: 'browser' | 'node',
    size: 'tiny' | 'small',
    threads: number | undefined,
    ms: number,
  ) => ({
    host,
    ...measurement({ backend: 'wasm', kind: 'fast', size, medianStepMs: ms, wasmThreads: threads }),
  });
  const torch = (size: 'tiny' | 'small', threads: number, ms: number): TorchMeasurement => ({
    size,
    threads,
    batch: 16,
    firstStepMs: 3 * ms,
    medianStepMs: ms,
    stepsTimed: 5,
  });
  const results = [
    wasm('browser', 'tiny', 2, 45),
    wasm('browser', 'tiny', 1, 70),
    { host: 'browser' as const, ...measurement({ backend: 'wasm', kind: 'reference', wasmThreads: 2 }) },
    wasm('node', 'tiny', undefined, 60),
    wasm('node', 'small', 1, 1125),
    { host: 'browser' as const, ...measurement({ kind: 'fast' }) },
  ];

  it('asks PyTorch for each size and thread count a wasm fast step ran with (no pool: one thread)', () => {
    expect(torchJobs(results)).toEqual([
      { size: 'tiny', threads: 2 },
      { size: 'tiny', threads: 1 },
      { size: 'small', threads: 1 },
    ]);
  });

  it('states each ratio as wasm ms / PyTorch ms of the same size and threads', () => {
    const rows = torchComparisons(results, [
      torch('tiny', 1, 24),
      torch('tiny', 2, 15),
      torch('small', 1, 250),
    ]);
    expect(rows.map((r) => [r.where, r.size, r.ratio])).toEqual([
      ['Chromium wasm (2 threads)', 'tiny', 3],
      ['Chromium wasm (1 thread)', 'tiny', 70 / 24],
      ['Node wasm (1 thread)', 'tiny', 2.5],
      ['Node wasm (1 thread)', 'small', 4.5],
    ]);
    const table = readmeTable({
      ...report(results),
      torch: {
        python: '/usr/bin/python3',
        torchVersion: '1.13.0',
        skipped: null,
        results: [torch('tiny', 1, 24), torch('tiny', 2, 15)],
        failures: ['small, 1 threads: exit 1: boom'],
      },
    });
    expect(table).toContain('| Chromium wasm (2 threads) | tiny | 2 | 45.0 | 15.0 | 3.00x |');
    expect(table).toContain('| Chromium wasm (1 thread) | tiny | 1 | 70.0 | 24.0 | 2.92x |');
    expect(table).toContain('| Node wasm (1 thread) | tiny | 1 | 60.0 | 24.0 | 2.50x |');
    // No PyTorch figure for small: no row, and the failure is said.
    expect(table).not.toContain('| Node wasm (1 thread) | small | 1 |');
    expect(table).toContain('PyTorch failed: small, 1 threads: exit 1: boom');
  });

  it('says why PyTorch was not measured instead of a table', () => {
    const table = readmeTable({
      ...report(results),
      torch: { python: null, torchVersion: null, skipped: 'no Python with torch', results: [], failures: [] },
    });
    expect(table).toContain('PyTorch not measured: no Python with torch');
    expect(table).not.toContain('wasm / PyTorch');
    // Older result files have no PyTorch section: nothing is said.
    expect(readmeTable(report(results))).not.toContain('PyTorch');
  });

  it("reads bench_step.py's last line and names what is wrong with anything else", () => {
    const out =
      'warning\n{"torchVersion": "1.13", "threads": 2, "batch": 16, "firstStepMs": 70.5, "medianStepMs": 23.25, "stepsTimed": 5}\n';
    expect(parseTorchOutput(out, 'tiny')).toEqual({
      size: 'tiny',
      threads: 2,
      batch: 16,
      firstStepMs: 70.5,
      medianStepMs: 23.25,
      stepsTimed: 5,
    });
    expect(() => parseTorchOutput('Traceback ...', 'tiny')).toThrow(/printed no JSON result/);
    expect(() => parseTorchOutput('{"threads": "2"}', 'tiny')).toThrow(/"threads" is not a number/);
  });
});

import { describe, expect, it } from 'vitest';
import { summarizeProfile } from '../src/engine/spec/profile-summary';
import { parseRealGpuReport, replaceRealGpuSection } from './lib/real-gpu-docs';
import { type RealGpuReport, realGpuSection } from './lib/real-gpu-report';

const profile = summarizeProfile(
  Array.from({ length: 20 }, (_, i) => ({ name: `k${i}`, ms: i + 1 })),
  { steps: 1, backend: 'webgpu', clock: 'gpu-timestamps', emulated: false, wallMsPerStep: 300, peakBytes: 1 },
);
const report: RealGpuReport = {
  date: '2026-12-07T18:00:00.000Z',
  adapter: 'nvidia hopper',
  emulated: false,
  size: 'default',
  batch: 64,
  webgpu: {
    medianStepMs: 30,
    stepsTimed: 20,
    dispatchesPerStep: 240,
    submitsPerStep: 17,
    peakBytes: 200 * 2 ** 20,
    profile,
  },
  torch: { device: 'cuda:0', gpu: 'NVIDIA H100', torchVersion: '2.11.0', medianStepMs: 10 },
  torchSkipped: null,
};

describe('the Real GPU section', () => {
  it('says plainly when no real GPU has been measured', () => {
    expect(realGpuSection().join('\n')).toMatch(/No real GPU has been measured yet/);
  });

  it('tables both steps with their ratio, and the profile with the rest summed in one row', () => {
    const text = realGpuSection({ report, jsonPath: 'bench/results-real-gpu.json' }).join('\n');
    expect(text).toContain('| WebGPU fast step (TF.js, Dawn) | 30.0 | 240.0 | 17.0 | 200.0 MB | 3.00x |');
    expect(text).toContain('| PyTorch twin (cuda:0) | 10.0 |');
    // 20 kernels of 1..20 ms: the 15 largest shown, the 5 smallest (1+2+3+4+5 = 15 ms of 210) in one row.
    expect(text).toContain('| k19 | 1.0 | 20.000 | 9.5% |');
    expect(text).toContain('| 5 more kernels | 5.0 | 15.000 | 7.1% |');
    expect(text).not.toMatch(/No real GPU/);
  });

  it('replaces only its own section of BENCHMARKS.md, or appends one', () => {
    const doc = '# B\n\n## A\n\na\n\n## Real GPU\n\nold\n\n## C\n\nc\n';
    expect(replaceRealGpuSection(doc, ['## Real GPU', '', 'new'])).toBe(
      '# B\n\n## A\n\na\n\n## Real GPU\n\nnew\n\n## C\n\nc\n',
    );
    expect(replaceRealGpuSection('# B\n', ['## Real GPU', '', 'new'])).toBe('# B\n\n## Real GPU\n\nnew\n');
  });

  it('refuses a file that is not a real-GPU report, naming it', () => {
    expect(() => parseRealGpuReport('{"a":1}', 'x.json')).toThrow(/x.json is not a real-GPU report/);
    expect(() => parseRealGpuReport('nope', 'y.json')).toThrow(/y.json is not JSON/);
    expect(parseRealGpuReport(JSON.stringify(report), 'r.json').batch).toBe(64);
  });
});

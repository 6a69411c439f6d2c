import { describe, expect, it } from 'vitest';
import { benchConfig } from '../../src/engine/diagnostics/benchmark';
import { patchCount } from '../../src/engine/spec/config';
import { benchPlan, jobsFor } from './bench-plan';
import { UsageError } from './cli';

const base = { quick: false, nodeWebgpu: false, noNode: false };

describe('what npm run bench measures', () => {
  it('--quick: tiny and default on WebGPU, wasm in Chromium (threaded and single, run by the browser half) and in Node', () => {
    const plan = benchPlan({ ...base, quick: true });
    expect([...plan.browser]).toEqual([
      ['webgpu', ['tiny', 'default']],
      ['wasm', ['tiny', 'small']],
    ]);
    expect(plan.nodeWasm).toEqual(['tiny', 'small']);
    expect(plan.nodeWebgpu).toEqual([]);
  });

  it('--quick counts the default size on WebGPU over two back-to-back steps of the fast step alone', () => {
    const [tiny, def] = jobsFor('webgpu', ['tiny', 'default'], true);
    // tiny: both kinds, timed steps for the steady time (the first/steady ratio), profiled.
    expect(tiny).toEqual({ size: 'tiny', timedSteps: 5, countSteps: 5, profile: true });
    expect(def).toEqual({
      size: 'default',
      kinds: ['fast'],
      traceSteps: 1,
      timedSteps: 0,
      countSteps: 2,
      profile: true,
      batch: 8,
      // the kernel shapes are traced (compile-only) at the batch the issue names, 64
      kernelShapesBatch: 64,
    });
    // On that small batch the random-sampled term still draws the preset's K tokens, so the
    // per-step uploads (K indices per layer pair) are the preset's.
    const preset = benchConfig('default');
    expect(def!.batch! * patchCount(preset.student)).toBeGreaterThanOrEqual(preset.loss.k);
    // wasm's default size and the full run keep both kinds.
    expect(jobsFor('wasm', ['default'], true)[0]!.kinds).toBeUndefined();
    expect(jobsFor('webgpu', ['default'], false)[0]!.kinds).toBeUndefined();
  });

  it('--node-webgpu runs the WebGPU sizes in Node, no browser, and never rewrites the committed full run', () => {
    const plan = benchPlan({ ...base, nodeWebgpu: true, sizes: 'tiny' });
    expect(plan.browser.size).toBe(0);
    expect(plan.nodeWebgpu).toEqual(['tiny']);
    expect(plan.partial).toBe(true);
    expect(benchPlan({ ...base, nodeWebgpu: true, noNode: true }).nodeWasm).toEqual([]);
    expect(() => benchPlan({ ...base, nodeWebgpu: true, backends: 'webgpu,wasm' })).toThrow(UsageError);
  });

  it('names a size or backend it does not know', () => {
    expect(() => benchPlan({ ...base, sizes: 'tiny,huge' })).toThrow(/"huge" is not one/);
    expect(benchPlan(base).partial).toBe(false);
    expect(benchPlan({ ...base, backends: 'wasm' }).partial).toBe(true);
  });
});

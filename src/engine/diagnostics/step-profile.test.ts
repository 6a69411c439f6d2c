import { beforeAll, describe, expect, it } from 'vitest';
import { profileJson, summarizeProfile } from '../spec/profile-summary';
import * as tf from '../tf';
import { sampleMemory } from './memory-peak';
import { profileSteps } from './step-profile';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('summarizeProfile', () => {
  it('averages calls and time per step by kernel, most expensive first, shares of the total', () => {
    const calls = [
      { name: 'a', ms: 1 },
      { name: 'b', ms: 4 },
      { name: 'a', ms: 3 },
      { name: 'b', ms: 4 },
      { name: 'c', ms: Number.NaN },
    ];
    const p = summarizeProfile(calls, {
      steps: 2,
      backend: 'webgpu',
      clock: 'gpu-timestamps',
      emulated: true,
      wallMsPerStep: 9,
      peakBytes: 10,
    });
    // Per step: a 2 ms in 1 call, b 4 ms in 1 call, c 0 ms (an unreadable time counts as none).
    expect(p.totalMsPerStep).toBe(6);
    expect(p.rows.map((r) => [r.kernel, r.callsPerStep, r.msPerStep])).toEqual([
      ['b', 1, 4],
      ['a', 1, 2],
      ['c', 0.5, 0],
    ]);
    expect(p.rows[0]!.share).toBeCloseTo(4 / 6, 12);
    expect(p.clockNote).toMatch(/timestamp/);
    const parsed = JSON.parse(profileJson(p, { url: 'x' }));
    expect(parsed.rows).toEqual(p.rows);
    expect(parsed.url).toBe('x');
  });

  it('refuses a profile of no steps', () => {
    expect(() =>
      summarizeProfile([], {
        steps: 0,
        backend: 'cpu',
        clock: 'wall',
        emulated: false,
        wallMsPerStep: 0,
        peakBytes: 0,
      }),
    ).toThrow(/at least one step/);
  });
});

describe('profileSteps', () => {
  it('names each kernel a step runs, with its calls per step, and the step peak in bytes', async () => {
    const a = tf.randomNormal([64, 64]);
    const b = tf.randomNormal([64, 64]);
    const step = () => {
      tf.tidy(() => tf.matMul(a, b).add(a).relu().matMul(b));
    };
    const p = await profileSteps(step, 3, { emulated: false });
    expect(p.backend).toBe('cpu');
    expect(p.clock).toBe('wall');
    const calls = Object.fromEntries(p.rows.map((r) => [r.kernel, r.callsPerStep]));
    expect(calls).toMatchObject({ BatchMatMul: 2, Add: 1, Relu: 1 });
    // Within a step 4 results of 64 x 64 float32 exist before tidy frees them, beside a and b.
    expect(p.peakBytes).toBeGreaterThanOrEqual(2 * 64 * 64 * 4 + 64 * 64 * 4);
    expect(p.rows.reduce((s, r) => s + r.msPerStep, 0)).toBeCloseTo(p.totalMsPerStep, 9);
    tf.dispose([a, b]);
  });
});

describe('sampleMemory', () => {
  it('reports the peak of tensors alive between two samples, then restarts from the present', () => {
    sampleMemory();
    const before = tf.memory().numBytes;
    const big = tf.zeros([1000]);
    big.dispose();
    const s = sampleMemory();
    expect(s.tensorBytes).toBe(before);
    expect(s.peakTensorBytes).toBe(before + 4000);
    expect(s.gpuBytes).toBeNull();
    expect(sampleMemory().peakTensorBytes).toBe(before);
  });
});

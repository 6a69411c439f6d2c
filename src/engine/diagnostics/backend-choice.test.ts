import { describe, expect, it } from 'vitest';
import { applyLayers, presetConfig } from '../spec/presets';
import {
  type BackendTiming,
  chooseBackend,
  formatStepTime,
  type TimingShape,
  timingCacheKey,
  wasmThreadCount,
} from './backend-choice';

const t = (
  name: BackendTiming['name'],
  msPerStep: number,
  extra: Partial<BackendTiming> = {},
): BackendTiming => ({
  name,
  msPerStep,
  cutShort: false,
  emulated: false,
  ...extra,
});

describe('chooseBackend', () => {
  it('takes the fastest measured backend and names the others with their step times', () => {
    // This machine's figures (browser-runtime.md): wasm 56 ms, WebGPU on SwiftShader 1.4 s.
    const d = chooseBackend(
      [t('webgpu', 1400, { emulated: true }), t('wasm', 56, { threads: 2 }), t('webgl', 130)],
      null,
    );
    expect(d.name).toBe('wasm');
    expect(d.reason).toBe('measured 56 ms/step vs webgl 130 ms/step, webgpu (emulated) 1.4 s/step');
  });

  it('takes a real GPU when it is faster than wasm', () => {
    expect(chooseBackend([t('wasm', 900), t('webgpu', 40)], null).name).toBe('webgpu');
  });

  it('never takes an emulated GPU over a CPU backend that is as fast', () => {
    expect(chooseBackend([t('webgpu', 50, { emulated: true }), t('wasm', 50)], null).name).toBe('wasm');
    expect(chooseBackend([t('wasm', 50), t('webgpu', 50, { emulated: true })], null).name).toBe('wasm');
    // Strictly faster, it may run (its timing was measured, not assumed).
    expect(chooseBackend([t('wasm', 50), t('webgpu', 20, { emulated: true })], null).name).toBe('webgpu');
  });

  it('marks a measurement cut short by its cap as a lower bound, and it loses a tie', () => {
    const d = chooseBackend(
      [t('webgpu', 2000, { emulated: true, cutShort: true }), t('wasm', 60, { threads: 2 })],
      null,
    );
    expect(d).toEqual({ name: 'wasm', reason: 'measured 60 ms/step vs webgpu (emulated) > 2.0 s/step' });
    expect(chooseBackend([t('webgl', 300, { cutShort: true }), t('webgpu', 300)], null).name).toBe('webgpu');
  });

  it('keeps a forced backend whatever was measured', () => {
    const d = chooseBackend([t('wasm', 10), t('webgpu', 5000, { emulated: true })], 'webgpu');
    expect(d).toEqual({ name: 'webgpu', reason: 'chosen in the link or settings (backend=webgpu)' });
  });

  it('says when only one backend could be measured, and refuses an empty list', () => {
    expect(chooseBackend([t('wasm', 70)], null)).toEqual({
      name: 'wasm',
      reason: 'measured 70 ms/step, the only backend timed',
    });
    expect(() => chooseBackend([], null)).toThrow(/No backend passed its self-test/);
  });
});

describe('formatStepTime', () => {
  it('writes ms below a second and seconds above', () => {
    expect([formatStepTime(56.4), formatStepTime(1400), formatStepTime(61_000)]).toEqual([
      '56 ms',
      '1.4 s',
      '61 s',
    ]);
  });
});

describe('timingCacheKey', () => {
  const tiny = presetConfig('tiny');
  const shape = (over: Partial<TimingShape> = {}, config = tiny): TimingShape => ({
    config,
    candidates: ['wasm', 'webgl', 'webgpu'],
    adapter: 'google swiftshader',
    wasmThreads: 2,
    ...over,
  });
  const key = timingCacheKey(shape());

  it('ignores what does not change a step cost: learning rate, seed, the size of non-zero weights', () => {
    const tuned = applyLayers(tiny, { seed: 99, optim: { lr: 0.05 }, loss: { wKd: tiny.loss.wKd + 1 } });
    expect(timingCacheKey(shape({}, tuned))).toBe(key);
  });

  it('changes with model sizes, batch, patch, the terms that run, candidates, adapter and threads', () => {
    const variants: TimingShape[] = [
      shape({}, applyLayers(tiny, { teacher: { dModel: 64 } })),
      shape({}, applyLayers(tiny, { student: { nLayers: tiny.student.nLayers + 1 } })),
      shape({}, applyLayers(tiny, { optim: { batch: tiny.optim.batch * 2 } })),
      shape({}, applyLayers(tiny, { teacher: { patchSize: 2 }, student: { patchSize: 2 } })),
      shape({}, applyLayers(tiny, { loss: { wMd: 0 } })),
      shape({ candidates: ['wasm', 'webgpu'] }),
      shape({ adapter: 'nvidia ampere' }),
      shape({ adapter: null }),
      shape({ wasmThreads: 1 }),
    ];
    const keys = variants.map(timingCacheKey);
    for (const k of keys) expect(k).not.toBe(key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('wasmThreadCount', () => {
  it('uses half the logical cores where the page is isolated, at least 2 and at most 8, and one thread where it is not', () => {
    expect(wasmThreadCount(1, true)).toBe(1);
    expect(wasmThreadCount(2, true)).toBe(2);
    expect(wasmThreadCount(3, true)).toBe(2);
    expect(wasmThreadCount(6, true)).toBe(3);
    expect(wasmThreadCount(16, true)).toBe(8);
    expect(wasmThreadCount(32, true)).toBe(8);
    expect(wasmThreadCount(undefined, true)).toBe(1);
    expect(wasmThreadCount(16, false)).toBe(1);
  });
});

/**
 * A fresh worker trusts a self-test that the page saw pass in an earlier one only for the same
 * backend on the same adapter; anything else is tested again (in Node: wasm against cpu).
 */
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import type { SelfTestResult } from '../engine/spec/backend-report';
import * as tf from '../engine/tf';
import { startCheckedBackend } from './backend-setup';

// The bundler's URLs of the wasm binaries, as files in Node.
const { wasmFile } = vi.hoisted(() => ({
  wasmFile: (name: string) =>
    createRequire(import.meta.url).resolve(`@tensorflow/tfjs-backend-wasm/dist/${name}`),
}));
vi.mock('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url', () => ({
  default: wasmFile('tfjs-backend-wasm.wasm'),
}));
vi.mock('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url', () => ({
  default: wasmFile('tfjs-backend-wasm-simd.wasm'),
}));
vi.mock('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url', () => ({
  default: wasmFile('tfjs-backend-wasm-threaded-simd.wasm'),
}));

/** A passed wasm result with figures no real run gives, so a fresh test cannot pass for it. */
const EARLIER: SelfTestResult = {
  backend: 'wasm',
  adapter: null,
  forwardMaxAbsDiff: 0.123,
  stepMaxRelDiff: 0.456,
  gradientMaxRelDiff: 0.789,
  updateMaxDiffInLr: 0.0123,
  total: 42,
  cpuTotal: 42,
  passed: true,
  problem: null,
};

describe('starting a backend that an earlier worker of the page tested', () => {
  it('keeps the earlier result for the same backend on the same adapter, testing nothing', async () => {
    const start = await startCheckedBackend('wasm', undefined, [EARLIER]);
    expect(tf.getBackend()).toBe('wasm');
    expect(start.backend.name).toBe('wasm');
    expect(start.selfTests).toEqual([EARLIER]);
  });

  it('tests again on another adapter, after a failed test, and for another backend', async () => {
    for (const trusted of [
      [{ ...EARLIER, adapter: 'some other gpu' }],
      [{ ...EARLIER, passed: false, problem: 'logits off' }],
      [{ ...EARLIER, backend: 'webgl' as const }],
    ]) {
      const start = await startCheckedBackend('wasm', undefined, trusted);
      expect(start.backend.name).toBe('wasm');
      expect(start.selfTests).toHaveLength(1);
      const fresh = start.selfTests[0]!;
      // A real comparison with cpu: its own totals, equal within float32 rounding.
      expect(fresh.total).not.toBe(42);
      expect(fresh.total).toBeCloseTo(fresh.cpuTotal, 3);
      expect(fresh.passed).toBe(true);
      expect(fresh.adapter).toBeNull();
    }
  }, 120_000);
});

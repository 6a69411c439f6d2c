import { writeFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import type { StepMeasurement } from '../src/engine/benchmark';
import type { BenchEvent, BenchJob } from '../src/worker/bench-protocol';

// The fused WGSL kernels exist only on WebGPU, so this is where the fast step is checked
// against the reference step: kernels against their plain-op versions (values and input
// gradients), then whole steps (loss terms of three steps, weights after them, dispatches).

/**
 * Two measurements trained alike: every loss term of every traced step within `losses`
 * (relative), the weights' sum of squares within `sumSq` (relative) and their sum within
 * `sum` of the weights' norm. `expected` is the measurement the other is held to.
 */
function expectSameTraining(
  actual: StepMeasurement,
  expected: StepMeasurement,
  tol: { losses: number; sumSq: number; sum: number },
): void {
  expected.losses.forEach((row, i) => {
    for (const [term, value] of Object.entries(row)) {
      const other = actual.losses[i]![term]!;
      expect(
        Math.abs(other - value) / Math.max(Math.abs(value), 1e-12),
        `step ${i + 1} ${term}`,
      ).toBeLessThan(tol.losses);
    }
  });
  const [a, e] = [actual.weightDigest, expected.weightDigest];
  expect(Math.abs(a.sumSq - e.sumSq) / e.sumSq).toBeLessThan(tol.sumSq);
  expect(Math.abs(a.sum - e.sum)).toBeLessThan(tol.sum * Math.sqrt(e.sumSq));
}

test('on WebGPU the fast step matches the reference step with at most half the dispatches', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('/bench/index.html');
  await page.waitForFunction(() => 'runBench' in window);
  const jobs: BenchJob[] = [{ size: 'tiny', timedSteps: 1, countSteps: 3, profile: true }];
  const events = (await page.evaluate(
    (request) => (window as unknown as { runBench: (r: unknown) => Promise<unknown> }).runBench(request),
    { backend: 'webgpu', jobs },
  )) as BenchEvent[];
  writeFileSync(artifactPath('fast-vs-reference.json'), JSON.stringify(events, null, 2));
  const failed = events.find((e) => e.type === 'failed');
  expect(failed, failed?.type === 'failed' ? failed.message : '').toBeUndefined();

  const started = events.find((e) => e.type === 'started');
  expect(started?.type === 'started' && started.backend).toBe('webgpu');
  const checks = started?.type === 'started' ? started.kernelChecks : [];
  expect(checks.map((c) => c.name).sort()).toEqual([
    'accuracy',
    'adamw',
    'addLayerNorm',
    'attention',
    'attention-65x32',
    'gelu',
    'kd',
    'kd-64x10',
    'layerNorm',
    'linear',
    'linear-patch',
    'linearAddLayerNorm',
    'prependTokens',
    'relations',
    'relations-64x64x128',
    'softmax',
    'weightedSum',
  ]);
  for (const c of checks) expect(c.maxRelDiff, c.name).toBeLessThan(1e-4);

  const results = events.flatMap((e) => (e.type === 'result' ? [e.measurement] : []));
  const byKind = (k: string) => results.find((m) => m.kind === k) as StepMeasurement;
  const ref = byKind('reference');
  const fast = byKind('fast');
  // Weights after three steps, by their sum and sum of squares (thousands of entries moved).
  expectSameTraining(fast, ref, { losses: 1e-4, sumSq: 1e-4, sum: 1e-3 });

  expect(ref.dispatchesPerStep).toBeGreaterThan(0);
  expect(fast.dispatchesPerStep!).toBeLessThanOrEqual(0.5 * ref.dispatchesPerStep!);
  // A count, not a time: 104.5 at tiny (docs/performance.md); a kernel that falls back to
  // plain ops shows here first.
  expect(fast.dispatchesPerStep!).toBeLessThanOrEqual(110);
  // TF.js kernels (engine work in the worker, each one): 172 for 104.5 dispatches at tiny,
  // most of the rest the tape's clones of saved tensors. Linear layers through
  // tf.fused.matMul again (ten kernels for one dispatch) would cross this.
  expect(fast.kernelsPerStep!).toBeLessThanOrEqual(2 * fast.dispatchesPerStep!);
  // The bound: no step syncs, and one metrics read per 10 steps is one mapAsync.
  expect(fast.readbacksPerStep!).toBeLessThanOrEqual(0.1);
  expect(fast.uploadBytesPerStep!).toBeLessThan(4096);
  expect(fast.tensorsAfterAll).toBe(fast.tensorsAfter2);
  expect(ref.tensorsAfterAll).toBe(ref.tensorsAfter2);
  // The bench warms both kinds' pipelines up first (warm-up.ts), leaking nothing.
  expect(fast.warmUpPipelines).toBeGreaterThan(0);
  expect(fast.warmUpLeakedTensors).toBe(0);
});

/** The fast step of the tiny size alone, in a fresh worker (so nothing is compiled yet). */
async function fastAlone(page: Page, warmUp: boolean): Promise<StepMeasurement> {
  const jobs: BenchJob[] = [
    { size: 'tiny', timedSteps: 3, countSteps: 0, profile: false, kinds: ['fast'], warmUp },
  ];
  const events = (await page.evaluate(
    (request) => (window as unknown as { runBench: (r: unknown) => Promise<unknown> }).runBench(request),
    { backend: 'webgpu', jobs },
  )) as BenchEvent[];
  const failed = events.find((e) => e.type === 'failed');
  expect(failed, failed?.type === 'failed' ? failed.message : '').toBeUndefined();
  const result = events.find((e) => e.type === 'result');
  return (result?.type === 'result' ? result.measurement : null) as StepMeasurement;
}

test('after the pipeline warm-up the first fast step compiles nothing, and trains the same', async ({
  page,
}) => {
  test.setTimeout(400_000);
  await page.goto('/bench/index.html');
  await page.waitForFunction(() => 'runBench' in window);
  const cold = await fastAlone(page, false);
  const warm = await fastAlone(page, true);
  const ratio = (m: StepMeasurement) => m.firstStepMs / m.medianStepMs;
  const figures = {
    cold: {
      firstStepMs: cold.firstStepMs,
      firstStepPipelines: cold.firstStepPipelines,
      medianStepMs: cold.medianStepMs,
      ratio: ratio(cold),
    },
    warm: {
      firstStepMs: warm.firstStepMs,
      firstStepPipelines: warm.firstStepPipelines,
      medianStepMs: warm.medianStepMs,
      ratio: ratio(warm),
      warmUpMs: warm.warmUpMs,
      warmUpPipelines: warm.warmUpPipelines,
    },
  };
  writeFileSync(artifactPath('warm-up.json'), JSON.stringify(figures, null, 2));
  expect(cold.warmUpMs).toBeNull();
  expect(cold.firstStepPipelines).toBeGreaterThan(0);
  // After the warm-up the first step compiles nothing (a count no load on the machine changes)...
  expect(warm.firstStepPipelines, JSON.stringify(figures)).toBe(0);
  expect(warm.warmUpLeakedTensors).toBe(0);
  // ...and so costs about a steady step: 0.9-1.8x here against 38-87x cold (warm-up.json, and
  // docs/performance.md). The time ratio is logged, not asserted: on two shared cores one stall
  // of a second in the first step would fail it, while the count above cannot be disturbed.
  console.log('first / steady step, cold and after the warm-up:', JSON.stringify(figures));
  // The warm-up changes no weight, moment, step count or RNG: the same losses and weights
  // after three steps as without it (same kernels on the same inputs: equal up to rounding).
  expectSameTraining(warm, cold, { losses: 1e-6, sumSq: 1e-6, sum: 1e-5 });
});

import { writeFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import type { StepMeasurement } from '../src/engine/diagnostics/benchmark';
import { shapeViolations } from '../src/engine/diagnostics/kernel-shapes';
import type { BenchEvent, BenchJob } from '../src/worker/shared/bench-protocol';

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

/** The bench page (bench/index.html), ready to run jobs in its worker. */
async function openBenchPage(page: Page): Promise<void> {
  await page.goto('/bench/index.html');
  await page.waitForFunction(() => 'runBench' in window);
}

/**
 * The jobs' events from the bench page's worker on WebGPU, kept as an artifact when named;
 * a failed job fails the test with its message.
 */
async function runOnWebGpu(page: Page, jobs: BenchJob[], artifact?: string): Promise<BenchEvent[]> {
  const events = (await page.evaluate(
    (request) => (window as unknown as { runBench: (r: unknown) => Promise<unknown> }).runBench(request),
    { backend: 'webgpu', jobs },
  )) as BenchEvent[];
  if (artifact) writeFileSync(artifactPath(artifact), JSON.stringify(events, null, 2));
  const failed = events.find((e) => e.type === 'failed');
  expect(failed, failed?.type === 'failed' ? failed.message : '').toBeUndefined();
  return events;
}

/** The measurement of the jobs' result event, null when there is none. */
function measurementOf(events: BenchEvent[]): StepMeasurement | null {
  const result = events.find((e) => e.type === 'result');
  return result?.type === 'result' ? result.measurement : null;
}

test('on WebGPU the fast step matches the reference step with at most half the dispatches', async ({
  page,
}) => {
  // About 90 s on an idle machine; the cores may be shared (CI saw twice that).
  test.setTimeout(600_000);
  await openBenchPage(page);
  // kernelShapesBatch: the fast step traced in compile-only mode at the same batch, afterwards.
  const jobs: BenchJob[] = [
    { size: 'tiny', timedSteps: 1, countSteps: 3, profile: true, kernelShapesBatch: 16 },
  ];
  const events = await runOnWebGpu(page, jobs, 'fast-vs-reference.json');

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
    'linear-520x24x10',
    'linear-patch',
    'linearAddLayerNorm',
    'prependTokens',
    'relations',
    'relations-64x64x128',
    'relations-72x16x24x40x130',
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
  // The kernel report traced in compile-only mode holds the kernels a dispatched step runs:
  // as many dispatches as the counter saw (which also counts the one concat of the metrics
  // read, spread over the three steps), each kernel's threads as its dispatch size says.
  const shapes = fast.kernelShapes ?? [];
  const traced = shapes.reduce((s, k) => s + k.dispatches, 0);
  expect(Math.abs(traced - fast.dispatchesPerStep!), JSON.stringify(shapes)).toBeLessThanOrEqual(1);
  for (const k of shapes) expect(k.threads % 64 === 0 || k.name.startsWith('matMul'), k.name).toBe(true);
  // The bench warms both kinds' pipelines up first (warm-up.ts), leaking nothing.
  expect(fast.warmUpPipelines).toBeGreaterThan(0);
  expect(fast.warmUpLeakedTensors).toBe(0);
});

/** The fast step of the tiny size alone, in a fresh worker (so nothing is compiled yet). */
async function fastAlone(page: Page, warmUp: boolean): Promise<StepMeasurement> {
  const jobs: BenchJob[] = [
    { size: 'tiny', timedSteps: 3, countSteps: 0, profile: false, kinds: ['fast'], warmUp },
  ];
  return measurementOf(await runOnWebGpu(page, jobs)) as StepMeasurement;
}

test('after the pipeline warm-up the first fast step compiles nothing, and trains the same', async ({
  page,
}) => {
  // About 2.6 min on CI's two cores, where the whole npm test must fit 30 min: the warm-up is
  // unchanged since it last passed there; npm run test:e2e:full (E2E_FULL=1) runs it.
  test.skip(!process.env.E2E_FULL, 'a long warm-up test: run it with npm run test:e2e:full (E2E_FULL=1)');
  test.setTimeout(400_000);
  await openBenchPage(page);
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

test("the default size's fast step is shaped for a GPU: every kernel with real work has threads to spare and short loops", async ({
  page,
}) => {
  test.setTimeout(600_000);
  await openBenchPage(page);
  // One step of one image runs (cheap on SwiftShader); the preset's batch of 64 is traced in
  // compile-only mode, which builds and fits every program as a dispatched step would.
  const jobs: BenchJob[] = [
    {
      size: 'default',
      kinds: ['fast'],
      traceSteps: 1,
      timedSteps: 0,
      countSteps: 0,
      profile: false,
      batch: 1,
      warmUp: false,
      kernelShapesBatch: 64,
    },
  ];
  const measurement = measurementOf(await runOnWebGpu(page, jobs));
  const shapes = measurement?.kernelShapes ?? [];
  writeFileSync(artifactPath('kernel-shapes-default.json'), JSON.stringify(shapes, null, 2));
  expect(shapes.length).toBeGreaterThan(20);
  expect(shapeViolations(shapes)).toEqual([]);
  // The bound on dispatches a default step (265; 247 before the kernels were reshaped).
  const dispatches = shapes.reduce((s, k) => s + k.dispatches, 0);
  console.log(`default size, batch 64: ${shapes.length} kernels, ${dispatches} dispatches a step`);
  expect(dispatches).toBeLessThanOrEqual(265);
  // Memory: the traced step's peak of tensor bytes at batch 64 (weights, AdamW's moments, the
  // activations kept for the gradient), plus the starter set resident on the GPU (11,000
  // images, a pixel's three bytes packed in one int32), stays under 512 MB: laptops share
  // their memory with an integrated GPU.
  const peak = measurement?.kernelShapesPeakBytes ?? 0;
  const starterSet = 11_000 * 32 * 32 * 4;
  console.log(`default size, batch 64: step peak ${(peak / 2 ** 20).toFixed(1)} MiB of tensors`);
  expect(peak).toBeGreaterThan(0);
  expect(peak + starterSet).toBeLessThan(512 * 2 ** 20);
});

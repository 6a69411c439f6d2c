import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { webgpuAdapterMode } from '../scripts/lib/browser';
import { openApp, trainTeacherHere, waitForStep } from './helpers';

// Tiny models, a teacher trained in the page, long enough that the run is still training.
const TINY = '#v=1&preset=tiny&seed=5&data=synthetic&lr=0.003&tSteps=400&steps=400&backend=webgpu';

type Counters = Awaited<ReturnType<Window['__kd']['counters']>>;
const perStep = (a: Counters, b: Counters) => ({
  dispatches: (b.counters.dispatches - a.counters.dispatches) / (b.step - a.step),
  submits: (b.counters.submits - a.counters.submits) / (b.step - a.step),
});

test('Profile 10 steps: a per-kernel step profile on the GPU clock, exported as JSON, and GPU memory', async ({
  page,
}) => {
  // SwiftShader on a shared machine: the first steps alone can take minutes.
  test.setTimeout(900_000);
  await openApp(page, TINY);
  await trainTeacherHere(page);
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
  const profileButton = page.getByRole('button', { name: 'Profile 10 steps' });
  await expect(profileButton).toBeDisabled();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^training/);

  // The dispatches of a plain step, counted by the worker's own WebGPU wrappers: the reference
  // the profile's calls per step are checked against.
  await waitForStep(page, 8, 400_000);
  const a = await page.evaluate(() => window.__kd.counters());
  await waitForStep(page, a.step + 10, 200_000);
  const b = await page.evaluate(() => window.__kd.counters());
  const plain = perStep(a, b);

  // GPU memory, reported with the metrics: in use now and its peak within the steps before.
  const memory = page.getByTestId('gpu-memory');
  await expect(memory).toContainText('GPU memory');
  const inUse = Number(await memory.getAttribute('data-bytes'));
  const peak = Number(await memory.getAttribute('data-peak-bytes'));
  expect(inUse).toBeGreaterThan(0);
  expect(peak).toBeGreaterThanOrEqual(inUse);

  await profileButton.click();
  const table = page.getByRole('table', { name: 'Step profile' });
  await expect(table).toBeVisible({ timeout: 300_000 });
  const clock = page.getByTestId('profile-clock');
  // SwiftShader offers timestamp-query: the GPU clock, of an emulated GPU.
  if (webgpuAdapterMode() === 'swiftshader') {
    await expect(clock).toHaveAttribute('data-clock', 'gpu-timestamps');
    await expect(clock).toContainText('emulated');
  }
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      kernel: tr.getAttribute('data-kernel') ?? '',
      calls: Number(tr.getAttribute('data-calls')),
      ms: Number(tr.getAttribute('data-ms')),
    })),
  );
  const total = Number(await table.getAttribute('data-total-ms'));
  console.log('Step profile (tiny, teacher phase):', { total, plain, rows: rows.slice(0, 12) });
  expect(rows.length).toBeGreaterThanOrEqual(10);
  expect(rows.filter((r) => r.ms > 0).length).toBeGreaterThanOrEqual(10);
  const sumMs = rows.reduce((s, r) => s + r.ms, 0);
  expect(total).toBeGreaterThan(0);
  expect(Math.abs(sumMs - total)).toBeLessThanOrEqual(0.2 * total);
  // Every program a step dispatches is in the table once: its calls are the plain step's dispatches.
  const calls = rows.reduce((s, r) => s + r.calls, 0);
  expect(Math.abs(calls - plain.dispatches)).toBeLessThanOrEqual(0.1 * plain.dispatches);

  // The export is the table, as JSON.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: /^Export profile/ }).click(),
  ]);
  const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(exported.kind).toBe('mkd-step-profile');
  expect(exported.steps).toBe(10);
  expect(exported.rows.map((r: { kernel: string }) => r.kernel)).toEqual(rows.map((r) => r.kernel));
  expect(exported.totalMsPerStep).toBeCloseTo(total, 6);

  // After the profiled steps nothing of the profiler is left on: TF.js submits in batches again
  // (profiling submits after every program), and the training goes on.
  const c = await page.evaluate(() => window.__kd.counters());
  await waitForStep(page, c.step + 10, 200_000);
  const d = await page.evaluate(() => window.__kd.counters());
  const after = perStep(c, d);
  expect(after.submits).toBeLessThanOrEqual(Math.ceil(after.dispatches / 15) + 1);
  expect(Math.abs(after.dispatches - plain.dispatches)).toBeLessThanOrEqual(0.1 * plain.dispatches);
});

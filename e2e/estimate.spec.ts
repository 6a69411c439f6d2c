import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { openApp, seriousViolations } from './helpers';

// What a newcomer sees before pressing Start: which phase Start runs, how long it will take here
// (from step times measured on the backend in use), and, when that is long, a preset that fits.
// And once a run goes, charts whose step axis fits the steps run so far.

type Backend = { name: string; timings: { name: string; msPerStep: number }[] };
const backend = (page: Page) =>
  page.evaluate(
    () => (window.__kd.store.getState() as unknown as { runtime: { backend: Backend } }).runtime.backend,
  );

test('on wasm the default link estimates the run at more than 10 minutes and offers Tiny, which changes the preset and nothing else', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openApp(page, '');
  const chosen = await backend(page);
  test.skip(chosen.name !== 'wasm', `auto chose ${chosen.name} here, not wasm`);

  // The idle panel names what Start runs: the shipped teacher means no teacher phase.
  await expect(page.getByTestId('next-phase')).toHaveText(
    'Start runs the student phase (2,000 steps) with the shipped teacher cifar10-default',
  );
  await expect(page.getByTestId('phase')).toHaveCount(0);

  const estimate = page.getByTestId('estimate');
  await expect(estimate).toContainText('more than 10 minutes', { timeout: 60_000 });
  const text = (await estimate.textContent()) ?? '';
  // "At least" when measuring was cut short (a busy machine): the figure is then a lower bound.
  const m =
    /^(?:About|At least) (?:(\d+) h )?(\d+) min here \(wasm, (\d+) threads?\): more than 10 minutes\./.exec(
      text,
    );
  expect(m, text).not.toBeNull();
  // The figure is the measured step time (what auto timed when it chose wasm) times 2,000 steps.
  const ms = chosen.timings.find((t) => t.name === 'wasm')!.msPerStep;
  const minutes = Number(m![1] ?? 0) * 60 + Number(m![2]);
  expect(Math.abs(minutes - (2000 * ms) / 60_000)).toBeLessThanOrEqual(1);
  const offer = estimate.getByRole('button', { name: /^Tiny takes (about \d+ min|under a minute)\.$/ });
  await expect(offer).toBeVisible({ timeout: 60_000 });
  await page.screenshot({ path: artifactPath('estimate-default-wasm.png') });
  // The idle page with its estimate and offer passes the accessibility scan too.
  expect(await seriousViolations(page)).toEqual([]);

  // One click: the preset changes, and nothing else (seed, data, backend, teacher choice).
  const before = await page.evaluate(() => location.hash);
  expect(before).toBe('#v=1&preset=default&seed=1');
  await offer.click();
  await expect(page.getByLabel('Preset')).toHaveValue('tiny');
  await expect.poll(() => page.evaluate(() => location.hash)).toBe('#v=1&preset=tiny&seed=1');
  await expect(page.getByLabel('Dataset')).toHaveValue('starter');
  await expect(page.getByLabel('Teacher', { exact: true })).toHaveValue('pretrained');
  await expect(page.getByLabel('Backend')).toHaveValue('auto');
  // Its own estimate, measured on the same backend, fits.
  await expect(page.getByTestId('next-phase')).toContainText('with the shipped teacher cifar10-tiny');
  await expect(estimate).toHaveText(/^(About \d+ min|Under a minute) here \(wasm, \d+ threads?\)\.$/, {
    timeout: 60_000,
  });
});

test('at step 50 of 2,000 the loss chart ends below step 200, and "Whole run" shows all 2,000', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openApp(page, '#v=1&preset=tiny&backend=wasm&steps=2000');
  await page.evaluate(() => window.__kd.step(50));
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText('50');
  const chart = page.getByTestId('chart-student-loss-terms');
  // The step axis' tick labels: centred under their ticks (the value axis' are right-aligned).
  const lastTick = async () => {
    const ticks = await chart
      .locator('.recharts-cartesian-axis-tick-value[text-anchor="middle"]')
      .allTextContents();
    return Math.max(...ticks.map(Number));
  };
  // The axis fits the run so far: past step 50, well short of 2,000.
  await expect.poll(lastTick, { timeout: 30_000 }).toBeGreaterThanOrEqual(50);
  expect(await lastTick()).toBeLessThan(200);
  await chart.screenshot({ path: artifactPath('chart-fitted-step-50.png') });

  await page.getByLabel('Whole run').check();
  await expect.poll(lastTick, { timeout: 30_000 }).toBe(2000);
  await page.getByLabel('Whole run').uncheck();
  await expect.poll(lastTick, { timeout: 30_000 }).toBeLessThan(200);
});

import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { openApp, savedViewsStep, trainTeacherHere } from './helpers';

// The ablation in the page: a 2-objective x 2-seed queue on the tiny preset, a few steps a run.
// The reference is what each run reported: the page's own run state, recorded as each run ends.

type Reported = {
  seed: number;
  wKd: number;
  wMd: number;
  acc: number;
  firstPhase: string;
  /** The student's training-batch accuracy and its loss at each step it reported: [step, value]. */
  trainAcc: [number, number][];
  loss: [number, number][];
};

/** 4 significant digits, as the chart's read-outs write them (src/ui/charts/format.ts). */
const fourDigits = (v: number) => Number(v.toPrecision(4)).toString();

/**
 * The reference for the overlay's last smoothed value of one objective: the mean over its runs
 * at each step they reported, smoothed as TensorBoard does (de-biased EMA, weight 0.6).
 */
function lastSmoothedMean(runs: Reported[], field: 'trainAcc' | 'loss'): number {
  const bySteps = new Map<number, number[]>();
  for (const r of runs)
    for (const [step, v] of r[field])
      if (Number.isFinite(v)) bySteps.set(step, [...(bySteps.get(step) ?? []), v]);
  let last = 0;
  let k = 0;
  let smoothed = Number.NaN;
  for (const step of [...bySteps.keys()].sort((a, b) => a - b)) {
    const vs = bySteps.get(step)!;
    const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
    last = 0.6 * last + 0.4 * mean;
    k++;
    smoothed = last / (1 - 0.6 ** k);
  }
  return smoothed;
}

test('an experiment queue runs every objective for every seed, survives a reload mid-run, and tabulates what the runs reported', async ({
  page,
}) => {
  test.setTimeout(240_000);
  // Each finished run's seed, weights, final student accuracy and the phase it was first seen
  // in, from the app's store; kept in sessionStorage, so the record survives the reload.
  await page.addInitScript(() => {
    const read = () => JSON.parse(sessionStorage.getItem('reported') ?? '[]') as unknown[];
    const timer = setInterval(() => {
      const kd = (window as unknown as { __kd?: { store: unknown } }).__kd;
      if (!kd) return;
      clearInterval(timer);
      const store = kd.store as {
        subscribe: (f: () => void) => void;
        getState: () => {
          run: {
            runId: number;
            status: string;
            phase: string;
            config: { seed: number; loss: { wKd: number; wMd: number } } | null;
            accuracyRows: Record<string, number>[];
            studentRows: Record<string, number>[];
          };
        };
      };
      let lastDone = -1;
      let seenRun = -1;
      let firstPhase = '';
      store.subscribe(() => {
        const { run } = store.getState();
        if (run.runId !== seenRun && run.status === 'training') {
          seenRun = run.runId;
          firstPhase = run.phase;
        }
        if (run.status !== 'done' || run.runId === lastDone || !run.config) return;
        lastDone = run.runId;
        const last = run.accuracyRows.filter((r) => r.phase === 1).at(-1);
        const entry = {
          seed: run.config.seed,
          wKd: run.config.loss.wKd,
          wMd: run.config.loss.wMd,
          trainAcc: run.studentRows.map((r) => [r.step, r.accuracy ?? null]),
          loss: run.studentRows.map((r) => [r.step, r.total ?? null]),
        };
        sessionStorage.setItem(
          'reported',
          JSON.stringify([...read(), { ...entry, acc: last!.student!, firstPhase }]),
        );
      });
    }, 20);
  });
  const reported = () =>
    page.evaluate(() => JSON.parse(sessionStorage.getItem('reported') ?? '[]') as Reported[]);
  await openApp(page, '#v=1&preset=tiny&data=synthetic&backend=wasm&tSteps=4&steps=8');
  await trainTeacherHere(page);

  const panel = page.getByRole('region', { name: 'Experiment queue' });
  for (const title of ['CE only', 'KD only', 'KD + intra + inter + random'])
    await panel.getByLabel(title, { exact: true }).setChecked(title !== 'CE only');
  await panel.getByLabel('Seeds').fill('1, 2');
  await panel.getByLabel('Steps per run').fill('8');
  // The address bar carries the form (steps equal the config's, so not written).
  await expect
    .poll(() => page.evaluate(() => location.hash))
    .toMatch(/&expObjectives=kd-only_kd-all&expSeeds=1_2$/);
  await panel.getByRole('button', { name: 'Run experiment' }).click();
  await expect(panel.getByTestId('experiment-progress')).toBeVisible();

  // A reload while a later run is in its student phase (saved at the phase switch).
  await expect.poll(async () => (await reported()).length, { timeout: 90_000 }).toBeGreaterThanOrEqual(1);
  await expect
    .poll(
      () =>
        page.evaluate(() => {
          const { run } = window.__kd.store.getState();
          return run.status === 'training' && run.phase === 'student' ? run.step : -1;
        }),
      { timeout: 60_000, intervals: [50] },
    )
    .toBeGreaterThanOrEqual(1);
  // Paused one step on (a pause saves the run, and the page's views with it), so the save is
  // part-way through the student phase: the resumed run must show its curve from its first step.
  await page.evaluate(() => window.__kd.step(1));
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 60_000 });
  const pausedAt = await page.evaluate(() => window.__kd.store.getState().run.step);
  await expect.poll(() => savedViewsStep(page), { timeout: 30_000 }).toBe(pausedAt);
  const before = (await reported()).length;
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 60_000 });
  await expect(panel.getByRole('alert')).toContainText('cut short when the page closed');
  // The form shows the reloaded experiment, not its defaults.
  await expect(panel.getByLabel('Seeds')).toHaveValue('1, 2');
  await expect(panel.getByLabel('CE only', { exact: true })).not.toBeChecked();
  await expect(panel.getByLabel('KD only', { exact: true })).toBeChecked();
  // Finished results survive the reload.
  await expect(panel.getByRole('table', { name: 'Experiment results' }).locator('tbody tr')).not.toHaveCount(
    0,
  );
  await panel.getByRole('button', { name: 'Resume experiment' }).click();
  await expect(panel.getByTestId('experiment-progress')).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Run experiment' })).toBeEnabled({ timeout: 150_000 });
  const table = panel.getByRole('table', { name: 'Experiment results' });
  await expect(table).toBeVisible();

  const all4 = await reported();
  expect(all4).toHaveLength(4);
  // The interrupted run continued from its save: it was first seen training its student, and
  // its curve is whole (the steps before the save came back with it).
  expect(all4[before]!.firstPhase).toBe('student');
  expect(all4[before]!.trainAcc.map(([step]) => step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  const pct = (seed: number, md: number) => 100 * all4.find((r) => r.seed === seed && r.wMd === md)!.acc;
  const summary = (vals: number[]) => {
    const mean = (vals[0]! + vals[1]!) / 2;
    const std = Math.abs(vals[0]! - vals[1]!) / Math.SQRT2; // sample std of two values
    return `${mean.toFixed(2)}% ± ${std.toFixed(2)} (${Math.min(...vals).toFixed(2)}–${Math.max(...vals).toFixed(2)})`;
  };
  const kd = [pct(1, 0), pct(2, 0)];
  const all = [pct(1, 1), pct(2, 1)];
  const kdRow = table.locator('tr[data-objective="kd-only"]');
  const allRow = table.locator('tr[data-objective="kd+all"]');
  await expect(kdRow.locator('td').nth(0)).toHaveText(summary(kd));
  await expect(allRow.locator('td').nth(0)).toHaveText(summary(all));
  await expect(kdRow.locator('td').nth(1)).toHaveText('+0.00');
  const diff = (all[0]! + all[1]!) / 2 - (kd[0]! + kd[1]!) / 2;
  await expect(allRow.locator('td').nth(1)).toHaveText(`${diff >= 0 ? '+' : ''}${diff.toFixed(2)}`);
  await expect(allRow.locator('td[data-seed="2"]')).toHaveText(`${all[1]!.toFixed(2)}%`);

  // The curves overlaid: one line per objective, the mean of its two seeds at each of the 8 steps.
  const chart = panel.getByTestId('chart-experiment-curves');
  const points = chart.getByTestId('chart-points');
  await expect(points.locator('li')).toHaveCount(2);
  for (const id of ['kd-only', 'kd+all'])
    await expect(points.locator(`li[data-series="${id}"]`)).toHaveAttribute('data-count', '8');
  const drawn = chart.locator('path.metric-chart-smoothed');
  await expect(drawn).toHaveCount(2);
  for (const d of await drawn.evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? '')))
    expect(d.match(/[ML]/g)).toHaveLength(8);
  await expect(chart.locator('.metric-chart-legend li')).toHaveText([
    'KD only (mean of 2 seeds)',
    'KD + intra + inter + random (mean of 2 seeds)',
  ]);
  // Its values are the runs' own reports, averaged over seeds.
  const lastStep = Math.max(...all4.flatMap((r) => r.trainAcc.map(([step]) => step)));
  const kdRuns = all4.filter((r) => r.wMd === 0);
  const allRuns = all4.filter((r) => r.wMd === 1);
  const curveSummary = (field: 'trainAcc' | 'loss') =>
    `Experiment curves at step ${lastStep} (smoothed): KD only (mean of 2 seeds) ${fourDigits(lastSmoothedMean(kdRuns, field))}, ` +
    `KD + intra + inter + random (mean of 2 seeds) ${fourDigits(lastSmoothedMean(allRuns, field))}`;
  const plot = chart.locator('.metric-chart-plot');
  await expect(plot).toHaveAttribute('aria-label', curveSummary('trainAcc'));
  await panel.getByLabel('Curves of').selectOption('loss');
  await expect(plot).toHaveAttribute('aria-label', curveSummary('loss'));
  await panel.getByLabel('Curves of').selectOption('trainAccuracy');
  // Exportable like the other charts: the SVG holds the title, both lines and the legend.
  const exported = async (kind: 'PNG' | 'SVG') => {
    const button = panel.getByRole('button', { name: `Export ${kind}… Experiment curves` });
    const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
    return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
  };
  const svg = await exported('SVG');
  expect(svg.name).toMatch(/experiment-curves.*\.svg$/);
  const svgText = svg.bytes.toString('utf8');
  for (const text of [
    'Experiment curves',
    'KD only (mean of 2 seeds)',
    'KD + intra + inter + random (mean of 2 seeds)',
  ])
    expect(svgText).toContain(text);
  writeFileSync(artifactPath('experiment-curves.svg'), svgText);
  // Each objective's line of 8 points, in its colour (raw beneath, smoothed on top).
  const paths = svgText.match(/<path [^>]*>/g) ?? [];
  for (const color of ['#E69F00', '#0072B2']) {
    const lines = paths.filter((p) => p.includes(`stroke="${color}"`));
    expect(lines.map((p) => /d="([^"]*)"/.exec(p)![1]!.match(/[ML]/g)?.length)).toEqual([8, 8]);
  }
  const png = await exported('PNG');
  expect(png.name).toMatch(/\.png$/);
  expect(png.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await panel.screenshot({ path: artifactPath(`experiment-${scheme}.png`) });
  }
});

test('a link with the experiment keys fills the form, starts nothing, and reports a bad key', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openApp(
    page,
    '#v=1&preset=tiny&data=synthetic&backend=wasm&expObjectives=kd-only_kd-random&expSeeds=4_7&expSteps=12&expSomething=1',
  );
  const panel = page.getByRole('region', { name: 'Experiment queue' });
  await expect(panel.getByLabel('CE only', { exact: true })).not.toBeChecked();
  await expect(panel.getByLabel('KD only', { exact: true })).toBeChecked();
  await expect(panel.getByLabel('KD + intra + inter + random', { exact: true })).not.toBeChecked();
  await expect(panel.getByLabel('KD + random', { exact: true })).toBeChecked();
  await expect(panel.getByLabel('Seeds')).toHaveValue('4, 7');
  await expect(panel.getByLabel('Steps per run')).toHaveValue('12');
  await expect(panel.getByTestId('experiment-from-link')).toBeVisible();
  await expect(page.getByTestId('url-notices')).toContainText("ignored unknown setting 'expSomething'");
  // Nothing runs by itself, and no results came with the link.
  await page.waitForTimeout(1500);
  await expect(page.getByTestId('status')).toHaveText(/^idle/);
  await expect(panel.getByTestId('experiment-progress')).toHaveCount(0);
  await expect(panel.getByRole('table', { name: 'Experiment results' })).toHaveCount(0);
  await panel.screenshot({ path: artifactPath('experiment-from-link.png') });
  // The page's own link keeps the definition (the unknown key is dropped).
  await expect
    .poll(() => page.evaluate(() => location.hash))
    .toMatch(/&expObjectives=kd-only_kd-random&expSeeds=4_7&expSteps=12$/);

  // A bad value is named, and the form keeps its own value for that part only (a fresh page:
  // a new hash alone is no new page load).
  await page.goto('about:blank');
  await openApp(page, '#v=1&preset=tiny&data=synthetic&backend=wasm&expSeeds=3_3&expSteps=5');
  await expect(page.getByTestId('url-notices')).toContainText(
    "ignored expSeeds='3_3' (seed 3 appears twice; give each seed once)",
  );
  await expect(panel.getByLabel('Seeds')).toHaveValue('1, 2, 3');
  await expect(panel.getByLabel('Steps per run')).toHaveValue('5');
});

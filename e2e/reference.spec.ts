import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

// The reference runs (issue #26, item 4): the twin's figures of docs/experiment.json, shown for
// the default run. The expected text is computed here from the file itself, so new seeds in it
// change what is expected, never the test.

type Run = { objective: string; seed: number; testAccuracy: number };
const table = JSON.parse(readFileSync('docs/experiment.json', 'utf8')).tables['default-starter'] as {
  runs: Run[];
};

/** "56.9% ± 0.4" for an objective's runs: mean and sample standard deviation, in percent. */
function expected(objective: string): string {
  const values = table.runs.filter((r) => r.objective === objective).map((r) => 100 * r.testAccuracy);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return `${mean.toFixed(1)}% (1 seed)`;
  const sumSq = values.reduce((a, b) => a + b * b, 0);
  const std = Math.sqrt((sumSq - n * mean * mean) / (n - 1));
  return `${mean.toFixed(1)}% ± ${std.toFixed(1)}`;
}

test('with no hash the Experiment panel shows the default run’s reference runs and the accuracy chart marks them; a wider student has none', async ({
  page,
}) => {
  // Nothing here trains: the reference is there before Start, for the settings being edited.
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Experiment queue' });
  const reference = panel.getByRole('table', { name: 'Reference runs' });
  await expect(reference).toBeVisible();

  const objectives = [...new Set(table.runs.map((r) => r.objective))];
  await expect(reference.locator('tbody tr')).toHaveCount(objectives.length);
  for (const objective of objectives) {
    const row = reference.locator(`tr[data-objective="${objective}"]`);
    await expect(row).toContainText(expected(objective));
    await expect(row.getByRole('rowheader')).toContainText('reference');
  }
  // The default's weights are KD + all three terms: that row is marked as the person's.
  await expect(reference.locator('tr[data-current]')).toHaveAttribute('data-objective', 'kd+all');

  const chart = page.getByTestId('chart-test-accuracy');
  const marks = chart.getByTestId('reference-mark');
  await expect(marks).toHaveCount(2);
  await expect(marks.nth(0)).toContainText(`reference: KD + all ${expected('kd+all')}`);
  await expect(marks.nth(1)).toContainText(`reference: KD only ${expected('kd-only')}`);
  // Drawn in the plot too, labelled as in the legend.
  await expect(chart.locator('.metric-chart-reference')).toHaveCount(2);
  await expect(chart.locator('.metric-chart-plot')).toContainText(
    `reference: KD + all ${expected('kd+all')}`,
  );

  // The export holds the reference runs, marked as such: one line per run of the table.
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'Export CSV…' }).click(),
  ]);
  const lines = readFileSync(await csv.path(), 'utf8')
    .trim()
    .split('\n');
  expect(lines[0]).toMatch(/,source$/);
  expect(lines.filter((l) => l.endsWith(',reference'))).toHaveLength(table.runs.length);

  // Manifold weight 0 makes the run KD only: the marks follow the weights.
  await page.getByLabel('Manifold weight', { exact: true }).fill('0');
  await page.getByLabel('Manifold weight', { exact: true }).press('Enter');
  await expect(reference.locator('tr[data-current]')).toHaveAttribute('data-objective', 'kd-only');
  await expect(marks).toHaveCount(1);
  await expect(marks).toContainText(`reference: KD only ${expected('kd-only')}`);

  // The queue's runs at 200 steps were never measured either; the chart follows the run's settings.
  const stepsPerRun = panel.getByLabel('Steps per run');
  await stepsPerRun.fill('200');
  await expect(panel.getByText('No reference for these settings')).toBeVisible();
  await expect(marks).toHaveCount(1);
  await stepsPerRun.fill('2000');
  await expect(reference.locator('tr[data-current]')).toHaveAttribute('data-objective', 'kd-only');

  // A wider student was never measured: no reference, in words, and no marks.
  await page.getByLabel('Student width', { exact: true }).fill('72');
  await page.getByLabel('Student width', { exact: true }).press('Enter');
  await expect(panel.getByText('No reference for these settings')).toBeVisible();
  await expect(reference).toHaveCount(0);
  await expect(marks).toHaveCount(0);
  await expect(chart.locator('.metric-chart-reference')).toHaveCount(0);
});

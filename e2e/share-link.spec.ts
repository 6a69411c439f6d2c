import { expect, test } from '@playwright/test';
import { openApp, trainTeacherHere } from './helpers';

test('a share link pasted into an open tab loads its settings; with a run in progress the page asks first', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openApp(page, '#v=1&preset=tiny&data=synthetic&seed=3&steps=400');
  await expect(page.getByLabel('Preset')).toHaveValue('tiny');

  // Assigning location.hash is what pasting a link into the address bar does to an open page.
  await page.evaluate(() => {
    location.hash = '#v=1&preset=kd-only&seed=9&wKd=2.5&batch=32&pairs=0-0_5-5';
  });
  await expect(page.getByLabel('Preset')).toHaveValue('kd-only');
  await expect(page.getByLabel('KD weight')).toHaveValue('2.5');
  await expect(page.getByLabel('Batch size')).toHaveValue('32');
  await expect(page.getByLabel('Seed', { exact: true })).toHaveValue('9');
  await expect(page.getByLabel('Layer pairs (student-teacher)')).toHaveValue('0-0_5-5');
  await expect(page.getByTestId('link-prompt')).toHaveCount(0);

  // A run in progress: the next link waits for an answer.
  await page.evaluate(() => {
    location.hash = '#v=1&preset=tiny&data=synthetic&seed=3&steps=400';
  });
  await expect(page.getByLabel('Preset')).toHaveValue('tiny');
  await trainTeacherHere(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^(training|paused)/, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 60_000 });

  await page.evaluate(() => {
    location.hash = '#v=1&preset=tiny&data=synthetic&seed=3&steps=400&wCe=0.7';
  });
  const prompt = page.getByTestId('link-prompt');
  await expect(prompt).toBeVisible();
  await expect(page.getByLabel('CE weight')).not.toHaveValue('0.7');
  await prompt.getByRole('button', { name: 'Keep the run' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(page.getByTestId('status')).toHaveText(/^paused/);
  await expect(page.getByLabel('CE weight')).not.toHaveValue('0.7');
  await expect.poll(() => page.evaluate(() => location.hash)).not.toContain('wCe=0.7');

  await page.evaluate(() => {
    location.hash = '#v=1&preset=tiny&data=synthetic&seed=3&steps=400&wCe=0.6';
  });
  await prompt.getByRole('button', { name: 'Discard the run and load the link' }).click();
  await expect(page.getByLabel('CE weight')).toHaveValue('0.6');
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 60_000 });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { dropPicture, openApp } from './helpers';

// The real CIFAR-10 files of ../shared/cifar10 (the app checks their hashes, so fakes would be
// refused); the test is skipped where they are absent.
const CIFAR = path.resolve(import.meta.dirname, '../../shared/cifar10/cifar-10-batches-bin');
const TEACHER = path.resolve(import.meta.dirname, '../public/models/cifar10-tiny/manifest.json');

test('on CIFAR-10 the shipped tiny teacher is loaded and used: no teacher phase, CIFAR-10 predictions', async ({
  page,
}) => {
  test.skip(!existsSync(CIFAR), `no CIFAR-10 files at ${CIFAR}`);
  test.setTimeout(240_000);
  const manifest = JSON.parse(readFileSync(TEACHER, 'utf8')) as { testAccuracy: number; name: string };
  await openApp(page, '#v=1&preset=tiny&data=cifar10&steps=40');
  const files = readdirSync(CIFAR)
    .filter((f) => /\.(bin|txt)$/.test(f))
    .map((f) => path.join(CIFAR, f));
  await page.getByLabel('CIFAR files').setInputFiles(files);
  const choice = page.getByLabel('Teacher', { exact: true });
  await expect(choice).toHaveValue('pretrained');
  await expect(choice.locator('option[value="pretrained"]')).toContainText(manifest.name);
  await expect(page.getByTestId('scale-command')).toContainText(`--teacher public/models/${manifest.name}`);

  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('phase')).toHaveText(/Student/, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 60_000 });
  const state = () => page.evaluate(() => window.__kd.store.getState().run);
  expect((await state()).teacherRows).toHaveLength(0);

  // The teacher in use is the CIFAR-10 one: an image gets three CIFAR-10 classes from it.
  await dropPicture(page, 'probe.png', 32, [
    ['#4a7', 0, 0, 32, 32],
    ['#eee', 8, 12, 16, 8],
  ]);
  const predictions = page.getByTestId('image-card').first().getByTestId('teacher-predictions').locator('li');
  await expect(predictions).toHaveCount(3, { timeout: 60_000 });
  const cifar = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  const text = (await predictions.allTextContents()).join(' ');
  expect(cifar.filter((c) => text.includes(c)).length).toBeGreaterThanOrEqual(3);
  console.info(
    `shipped ${manifest.name} (${(100 * manifest.testAccuracy).toFixed(2)}% test) predicts: ${text}`,
  );
  await page.screenshot({ path: artifactPath('pretrained-teacher.png'), fullPage: true });
});

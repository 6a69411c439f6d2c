import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { openApp, waitForStep } from './helpers';

// The CIFAR-10 starter set is the default data and the shipped teachers judge it. Dropped images
// are official test records (0..999, the exact ones; never in the starter's training part), read
// from ../shared/cifar10 and written as PNGs in the page; skipped where that folder is absent.
const TEST_BATCH = path.resolve(
  import.meta.dirname,
  '../../shared/cifar10/cifar-10-batches-bin/test_batch.bin',
);
const MODELS = path.resolve(import.meta.dirname, '../public/models');
const RECORD = 3073;

function manifest(name: string): { testAccuracy: number; testAccuracy1000: number; name: string } {
  return JSON.parse(readFileSync(path.join(MODELS, name, 'manifest.json'), 'utf8'));
}

/** Official test records as { name, label, rgb (interleaved, row-major) }. */
function testRecords(indices: number[]): { name: string; label: number; rgb: number[] }[] {
  const bytes = readFileSync(TEST_BATCH);
  return indices.map((i) => {
    const rec = bytes.subarray(i * RECORD, (i + 1) * RECORD);
    const rgb: number[] = [];
    for (let p = 0; p < 1024; p++) rgb.push(rec[1 + p]!, rec[1025 + p]!, rec[2049 + p]!);
    return { name: `record-${String(i).padStart(4, '0')}.png`, label: rec[0]!, rgb };
  });
}

/** Drops the records on the drop zone as PNG files made in the page. */
async function dropRecords(page: Page, records: { name: string; rgb: number[] }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(async (recs) => {
    const dt = new DataTransfer();
    for (const r of recs) {
      const canvas = new OffscreenCanvas(32, 32);
      const ctx = canvas.getContext('2d')!;
      const data = ctx.createImageData(32, 32);
      for (let p = 0; p < 1024; p++) {
        data.data.set([r.rgb[3 * p]!, r.rgb[3 * p + 1]!, r.rgb[3 * p + 2]!, 255], 4 * p);
      }
      ctx.putImageData(data, 0, 0);
      dt.items.add(
        new File([await canvas.convertToBlob({ type: 'image/png' })], r.name, { type: 'image/png' }),
      );
    }
    return dt;
  }, records);
  await page.getByLabel('Drop images').dispatchEvent('drop', { dataTransfer });
}

/** The teacher's top class name of each dropped record, once all of them are judged. */
async function teacherTop1(page: Page, records: { name: string }[]): Promise<string[]> {
  const tops: string[] = [];
  for (const r of records) {
    const first = page
      .getByRole('article', { name: `Image ${r.name}`, exact: true })
      .getByTestId('teacher-predictions')
      .locator('li')
      .first();
    await expect(first).toBeVisible({ timeout: 90_000 });
    tops.push(((await first.textContent()) ?? '').trim().split(/\s+/)[0]!);
  }
  return tops;
}

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Starts a run that must go straight to the student phase (no teacher trained here), and pauses it. */
async function startWithShippedTeacherAndPause(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('phase')).toHaveText(/Student/, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 120_000 });
  expect(await page.evaluate(() => window.__kd.store.getState().run.teacherRows.length)).toBe(0);
}

/** As above, then evaluates now, and returns the teacher's test accuracy as the page measured it. */
async function startWithShippedTeacherAndEvaluate(page: Page): Promise<number> {
  await startWithShippedTeacherAndPause(page);
  await page.getByRole('button', { name: 'Evaluate now' }).click();
  await expect
    .poll(() => page.evaluate(() => window.__kd.store.getState().run.accuracyRows.at(-1)?.teacher), {
      timeout: 120_000,
    })
    .toBeDefined();
  const evaluated = await page.evaluate(() => window.__kd.store.getState().run.accuracyRows.at(-1)!.teacher!);
  return evaluated;
}

/**
 * Where the README's picture goes: `npm run docs` sets README_PICTURE to docs/screenshot.png and
 * runs the test below, so the picture is always the default run as it is now.
 */
const README_PICTURE = process.env.README_PICTURE;

test('a page with no hash trains on the CIFAR-10 starter set: Start goes straight to the student phase with the shipped teacher (the README picture)', async ({
  page,
}) => {
  test.setTimeout(README_PICTURE ? 900_000 : 300_000);
  if (README_PICTURE) {
    test.skip(!existsSync(TEST_BATCH), `the README picture drops CIFAR-10 test photos: no ${TEST_BATCH}`);
    await page.setViewportSize({ width: 1400, height: 900 });
  }
  const teacher = manifest('cifar10-default');
  await openApp(page, '');
  await expect(page.getByLabel('Dataset')).toHaveValue('starter');
  const choice = page.getByLabel('Teacher', { exact: true });
  await expect(choice).toHaveValue('pretrained');
  await expect(choice.locator('option[value="pretrained"]')).toContainText(teacher.name);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('phase')).toHaveText(/Student/, { timeout: 180_000 });
  const state = await page.evaluate(() => {
    const s = window.__kd.store.getState() as unknown as {
      run: { teacherRows: unknown[]; status: string };
      dataInfo: { name: string; trainCount: number; testCount: number };
    };
    return { teacherRows: s.run.teacherRows.length, status: s.run.status, data: s.dataInfo };
  });
  expect(state.teacherRows).toBe(0);
  expect(state.data).toEqual(
    expect.objectContaining({ name: 'cifar10-starter', trainCount: 10000, testCount: 1000 }),
  );
  // The default data stays out of the link.
  expect(page.url()).not.toMatch(/[#&]data=/);
  // The run's own settings, as the worker echoed them, are the default run's: the accuracy chart
  // keeps the reference marks of KD + all and KD only (e2e/reference.spec.ts checks their figures).
  const marks = page.getByTestId('chart-test-accuracy').getByTestId('reference-mark');
  await expect(marks).toHaveCount(2);
  await expect(marks.first()).toContainText('reference: KD + all');
  await expect(marks.last()).toContainText('reference: KD only');
  await page.screenshot({ path: artifactPath('starter-default.png'), fullPage: true });
  if (!README_PICTURE) return;

  // The README's picture: a few student steps on the curves, the relation maps of teacher and
  // student, and two CIFAR-10 test photos with both models' top classes.
  await waitForStep(page, 6, 600_000);
  await expect(page.getByTestId('map-intra-student')).toBeVisible({ timeout: 120_000 });
  const photos = testRecords([3, 7]);
  await dropRecords(page, photos);
  for (const photo of photos) {
    const card = page.getByRole('article', { name: `Image ${photo.name}`, exact: true });
    await expect(card.getByTestId('student-predictions').locator('li')).toHaveCount(3, { timeout: 300_000 });
  }
  await waitForStep(page, 10, 600_000);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 120_000 });
  await page.emulateMedia({ colorScheme: 'light' });
  // From the top of the page to the photos' cards: the experiment queue and the runtime report
  // below them are not part of the default run.
  const bottom = await page
    .locator('section.images')
    .evaluate((el) => Math.ceil(el.getBoundingClientRect().bottom + window.scrollY + 16));
  await page.screenshot({
    path: README_PICTURE,
    fullPage: true,
    clip: { x: 0, y: 0, width: page.viewportSize()!.width, height: bottom },
  });
});

// The tiny preset's teacher, and the default preset's (the one a link with no hash uses),
// which judges fewer photos: its forward pass is 30 times the tiny one's. Each is evaluated
// over the 1,000 test records ("Evaluate now"), on wasm by the fast forward pass.
for (const { preset, teacherName, photos } of [
  { preset: 'tiny', teacherName: 'cifar10-tiny', photos: 200 },
  { preset: 'default', teacherName: 'cifar10-default', photos: 112 },
]) {
  test(`${preset} preset: photos are judged by the shipped CIFAR-10 teacher before a run and while paused, at its test accuracy`, async ({
    page,
  }) => {
    test.skip(!existsSync(TEST_BATCH), `no CIFAR-10 test file at ${TEST_BATCH}`);
    test.setTimeout(600_000);
    const teacher = manifest(teacherName);
    // wasm: this test is about the data and the teacher, not WebGPU (SwiftShader is slow here).
    await openApp(page, `#v=1&preset=${preset}&steps=400&backend=wasm`);

    // Before any run: the shipped teacher judges a dropped photo (no student yet).
    const early = testRecords([1000 - 1]);
    await dropRecords(page, early);
    await teacherTop1(page, early);
    await expect(page.getByRole('article', { name: `Image ${early[0]!.name}` })).toContainText(
      'Student: after the teacher phase',
    );

    // The teacher in use scores on the starter's test part (records 0..999) what its manifest says.
    const evaluated = await startWithShippedTeacherAndEvaluate(page);
    expect(Math.abs(evaluated - teacher.testAccuracy1000)).toBeLessThanOrEqual(0.01);

    // Test records spread over 0..999 dropped while paused, 16 at a time (the page keeps 16):
    // each gets the teacher's and the student's top three, and the teacher is right about as
    // often as on the test set.
    const indices = Array.from({ length: photos }, (_, i) => Math.floor((i * 1000) / photos));
    const records = testRecords(indices);
    let right = 0;
    for (let at = 0; at < records.length; at += 16) {
      const round = records.slice(at, at + 16);
      await dropRecords(page, round);
      const tops = await teacherTop1(page, round);
      tops.forEach((top, i) => {
        if (top === CLASSES[round[i]!.label]) right += 1;
      });
      const card = page.getByRole('article', { name: `Image ${round[0]!.name}`, exact: true });
      await expect(card.getByTestId('student-predictions').locator('li')).toHaveCount(3);
      await expect(
        card.getByRole('img', { name: `student intra-image relation of ${round[0]!.name}` }),
      ).toBeVisible();
    }
    const accuracy = right / records.length;
    // Three binomial standard deviations around the teacher's accuracy on records 0..999.
    const p = teacher.testAccuracy1000;
    const tolerance = 3 * Math.sqrt((p * (1 - p)) / records.length);
    console.info(
      `teacher top-1 on ${records.length} dropped test photos: ${(100 * accuracy).toFixed(1)}% (manifest ${(100 * p).toFixed(1)}%)`,
    );
    expect(Math.abs(accuracy - p)).toBeLessThanOrEqual(tolerance);
    await page.screenshot({ path: artifactPath(`starter-photos-${preset}.png`), fullPage: true });
  });
}

test('on the built-in shapes the tiny preset starts from the shipped shapes teacher; training one here stays a choice', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const teacher = manifest('shapes-tiny');
  await openApp(page, '#v=1&preset=tiny&data=synthetic&steps=400&backend=wasm');
  const choice = page.getByLabel('Teacher', { exact: true });
  await expect(choice).toHaveValue('pretrained');
  await expect(choice.locator('option[value="pretrained"]')).toContainText(teacher.name);
  await expect(choice.locator('option[value="train"]')).toHaveText('Train in the browser');
  // The teacher in use is the shipped one: on the shapes' test set it scores its manifest's figure.
  const evaluated = await startWithShippedTeacherAndEvaluate(page);
  expect(Math.abs(evaluated - teacher.testAccuracy)).toBeLessThanOrEqual(0.01);
});

import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { openApp, savedViewsStep, trainTeacherHere } from './helpers';

type TimelineState = {
  mapTimeline: { step: number }[];
  timelineStep: number | null;
  run: {
    status: string;
    step: number;
    config: { student: { nLayers: number }; teacher: { nLayers: number } } | null;
  };
};
const timelineState = (page: Page) =>
  page.evaluate(() => {
    const s = window.__kd.store.getState() as unknown as TimelineState;
    return {
      steps: s.mapTimeline.map((x) => x.step),
      cursor: s.timelineStep,
      status: s.run.status,
      step: s.run.step,
      depths: s.run.config ? [s.run.config.student.nLayers, s.run.config.teacher.nLayers] : null,
    };
  });

/** Waits for the run to pause with its pause's own maps snapshot, which comes after the status. */
async function waitForPausedSnapshot(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        const t = await timelineState(page);
        return t.status === 'paused' && t.steps.at(-1) === t.step;
      },
      { timeout: 60_000 },
    )
    .toBe(true);
}

test('the relation timeline replays earlier maps, plays, and the block match outlines the configured pairs', async ({
  page,
}) => {
  // Pairs 0-1 and 1-1: one off the diagonal, so the outline follows the config, not a default.
  await openApp(page, '#v=1&preset=tiny&backend=wasm&data=synthetic&seed=3&tSteps=10&steps=80&pairs=0-1_1-1');
  await trainTeacherHere(page);

  // Step the run in bursts: each pause reads the maps, so each burst ends with a snapshot at
  // the paused step (the run may add one more at the start of the student phase).
  await page.evaluate(() => window.__kd.step(10)); // the teacher phase
  for (let burst = 1; burst <= 4; burst++) {
    await page.evaluate(() => window.__kd.step(12));
    await waitForPausedSnapshot(page);
  }
  const { steps } = await timelineState(page);
  expect(steps.length).toBeGreaterThanOrEqual(4);
  expect(steps).toEqual([...steps].sort((a, b) => a - b));
  expect(new Set(steps).size).toBe(steps.length);
  const count = steps.length;

  const slider = page.getByLabel('Relation timeline');
  const studentIntra = page.getByTestId('map-intra-student');
  const shownStep = page.getByTestId('timeline-step');
  await expect(shownStep).toContainText(`latest, step ${steps.at(-1)}`);
  const latestSum = await studentIntra.getAttribute('data-sum');

  // Scrub to the first snapshot: the maps above show that earlier step, drawn from other data.
  await slider.focus();
  await page.keyboard.press('Home');
  await expect(shownStep).toHaveText(new RegExp(`^step ${steps[0]} · 1 of ${count}`));
  await expect(page.locator('#maps-heading + span')).toContainText(`step ${steps[0]} (timeline)`);
  await expect.poll(() => studentIntra.getAttribute('data-sum')).not.toBe(latestSum);
  await page.screenshot({ path: artifactPath('timeline-scrubbed-light.png'), fullPage: true });

  // Play advances through every snapshot in order and ends on the latest maps. Each step it
  // shows is recorded as it is drawn (a poll could miss one on busy cores).
  await shownStep.evaluate((el) => {
    const w = window as unknown as { __shown: string[] };
    w.__shown = [];
    new MutationObserver(() => w.__shown.push(el.textContent ?? '')).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await page.getByRole('button', { name: 'Play timeline' }).click();
  await expect(shownStep).toContainText(`latest, step ${steps.at(-1)}`, { timeout: 10_000 });
  const shown = await page.evaluate(() => (window as unknown as { __shown: string[] }).__shown);
  const shownSteps = shown
    .map((text) => Number(/step (\d+)/.exec(text)?.[1]))
    .filter((step, i, all) => i === 0 || step !== all[i - 1]);
  expect(shownSteps).toEqual(steps.slice(1));
  await expect.poll(() => studentIntra.getAttribute('data-sum')).toBe(latestSum);

  // The block match: depth x depth cells, outlined exactly where the run's pairs are.
  const grid = page.getByRole('img', { name: /^Block match/ });
  const { depths } = await timelineState(page);
  await expect(grid).toHaveAttribute('data-rows', String(depths![0]));
  await expect(grid).toHaveAttribute('data-cols', String(depths![1]));
  const options = await page.getByLabel('Layer pair', { exact: true }).locator('option').allTextContents();
  const configured = options
    .map((o) =>
      o
        .match(/student (\d+) ↔ teacher (\d+)/)!
        .slice(1)
        .join('-'),
    )
    .join('_');
  expect(configured).toBe('0-1_1-1');
  await expect(grid).toHaveAttribute('data-outlined', configured);

  // Clicking an unpaired cell (student 1, teacher 0) shows its maps and offers to add it.
  const box = (await grid.boundingBox())!;
  await grid.click({ position: { x: box.width * 0.25, y: box.height * 0.75 } });
  await expect(page.getByTestId('block-match-pick')).toContainText('Student block 1 ↔ teacher block 0');
  await expect(page.getByLabel('Layer pair', { exact: true })).toHaveValue('-1');
  await expect(
    page.getByRole('img', { name: /student intra-image relation, student block 1 \/ teacher block 0/ }),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Add to pairs' }).click();
  await expect(page.getByRole('button', { name: 'Reset and start with these pairs' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove from pairs' })).toBeVisible();

  const maps = page.locator('section.maps');
  await maps.screenshot({ path: artifactPath('timeline-maps-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await maps.screenshot({ path: artifactPath('timeline-maps-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  // The running student cannot take new pairs: a new run starts with them.
  await page.getByRole('button', { name: 'Reset and start with these pairs' }).click();
  await expect
    .poll(() => page.getByLabel('Layer pair', { exact: true }).locator('option').allTextContents())
    .toEqual(['student 0 ↔ teacher 1', 'student 1 ↔ teacher 0', 'student 1 ↔ teacher 1']);
  expect((await timelineState(page)).steps).toEqual([]);
});

test('a reload keeps the views: Continue brings back the earlier relation maps on the timeline and the whole loss curve', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await openApp(page, '#v=1&preset=tiny&backend=wasm&data=synthetic&seed=5&steps=400');
  // The shipped shapes teacher: straight to the student phase. Each burst ends in a pause, which
  // reads the maps (a snapshot) and saves the run (the page's views go with the save).
  for (let burst = 1; burst <= 3; burst++) {
    await page.evaluate(() => window.__kd.step(8));
    await expect
      .poll(
        async () => {
          const t = await timelineState(page);
          const saved = await page.evaluate(() => window.__kd.store.getState().run.lastCheckpointStep);
          return t.status === 'paused' && t.steps.at(-1) === t.step && saved === t.step;
        },
        { timeout: 60_000 },
      )
      .toBe(true);
  }
  const before = await timelineState(page);
  // The page's views went into the save with the last checkpoint.
  await expect.poll(() => savedViewsStep(page), { timeout: 30_000 }).toBe(before.step);
  const rowsBefore = await page.evaluate(() =>
    window.__kd.store.getState().run.studentRows.map((r) => r.step),
  );
  expect(before.steps.length).toBeGreaterThanOrEqual(3);
  expect(rowsBefore[0]).toBe(0);

  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 60_000 });
  const item = page.getByRole('region', { name: 'Saved runs' }).getByTestId('saved-run');
  await expect(item).toHaveAttribute('data-step', String(before.step));
  await item.getByRole('button', { name: /^Continue/ }).click();
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  // Or the count of snapshots read here can be one short of what the slider shows.
  await waitForPausedSnapshot(page);

  // The timeline holds every snapshot from before the reload (and the ones since), and its slider
  // replays the first of them.
  const after = await timelineState(page);
  expect(after.steps.slice(0, before.steps.length)).toEqual(before.steps);
  const slider = page.getByLabel('Relation timeline');
  await slider.focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('timeline-step')).toHaveText(
    new RegExp(`^step ${before.steps[0]} · 1 of ${after.steps.length}`),
  );
  // The loss curve starts at the run's first step, and the continued steps follow on without a gap.
  const rowsAfter = await page.evaluate(() =>
    window.__kd.store.getState().run.studentRows.map((r) => r.step),
  );
  expect(rowsAfter.slice(0, rowsBefore.length)).toEqual(rowsBefore);
  expect(rowsAfter).toEqual(Array.from({ length: rowsAfter.length }, (_, i) => i));
  expect(rowsAfter.length).toBeGreaterThan(rowsBefore.length);
  await page.screenshot({ path: artifactPath('timeline-after-reload.png'), fullPage: true });
});

/**
 * Saved runs (issue 15): a reload loses at most 30 s of training and offers to continue; two
 * tabs keep a save each; a saved run can be deleted. wasm and the tiny preset keep them quick.
 */
import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { openApp, stepValue, trainTeacherHere, waitForStep } from './helpers';

const TINY = '#v=1&preset=tiny&data=synthetic&backend=wasm&lr=0.003&tSteps=3000&steps=400';

/** The save-slot keys in the page's IndexedDB (idb-keyval's default database). */
function savedKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('keyval-store');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('keyval').objectStore('keyval').getAllKeys();
          request.onsuccess = () =>
            resolve(request.result.map(String).filter((k) => k.startsWith('manifold-kd/')));
          request.onerror = () => reject(request.error);
        };
      }),
  );
}

const lastCheckpoint = (page: Page) =>
  page.evaluate(() => window.__kd.store.getState().run.lastCheckpointStep);

/** Starts training in the page and waits for its first timed checkpoint (every 20 s). */
async function trainUntilCheckpointed(page: Page, seed: number): Promise<void> {
  await openApp(page, `${TINY}&seed=${seed}`);
  await trainTeacherHere(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await waitForStep(page, 2, 60_000);
  await expect.poll(() => lastCheckpoint(page), { timeout: 45_000 }).not.toBeNull();
}

test('a reload mid-run loses at most 30 s: the offer lists the run and Continue trains on from it', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await trainUntilCheckpointed(page, 3);
  // The page's views went into the save with the checkpoint.
  await expect
    .poll(async () => (await savedKeys(page)).some((k) => k.startsWith('manifold-kd/run-views/')), {
      timeout: 30_000,
    })
    .toBe(true);
  const reloadedAt = Date.now();
  const stepBefore = await stepValue(page);
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 60_000 });

  const offer = page.getByRole('region', { name: 'Saved runs' });
  const item = offer.getByTestId('saved-run');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(/Teacher phase, step \d+ of 3000/);
  await expect(item).toContainText('tiny preset, built-in shapes');
  const savedAt = Number(await item.getAttribute('data-saved-at'));
  const savedStep = Number(await item.getAttribute('data-step'));
  // Saved at most 30 s before the reload (the timed checkpoint runs every 20 s), and not ahead
  // of what the page had shown.
  expect(reloadedAt - savedAt).toBeLessThanOrEqual(30_000);
  expect(savedStep).toBeGreaterThan(0);
  expect(savedStep).toBeLessThanOrEqual(stepBefore + 1);

  await item.getByRole('button', { name: /^Continue/ }).click();
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 60_000 });
  // The continued run starts where it was saved and keeps training; its curve is whole again:
  // the rows kept with the save (from the first step), then the continued run's from the saved step.
  const rowSteps = () => page.evaluate(() => window.__kd.store.getState().run.teacherRows.map((r) => r.step));
  await expect.poll(rowSteps, { timeout: 60_000 }).toContain(savedStep);
  await waitForStep(page, savedStep + 5, 60_000);
  const steps = await rowSteps();
  expect(steps[0]).toBe(0);
  expect(steps.filter((s) => s < savedStep).length).toBeGreaterThan(0);
  expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
  await expect(offer).toHaveCount(0);
});

test('two tabs training at once keep a save each', async ({ context }) => {
  test.setTimeout(120_000);
  const tabs = [await context.newPage(), await context.newPage()];
  await Promise.all(
    tabs.map(async (tab, i) => {
      await openApp(tab, `${TINY}&seed=${3 + i}`);
      await trainTeacherHere(tab);
      await tab.getByRole('button', { name: 'Start' }).click();
    }),
  );
  // Both train at once; each pause saves that tab's run where it stopped, the first tab's first.
  await Promise.all(tabs.map((tab) => waitForStep(tab, 3, 60_000)));
  const steps: number[] = [];
  for (const tab of tabs) {
    await tab.getByRole('button', { name: 'Pause' }).click();
    await expect(tab.getByTestId('status')).toHaveText(/^paused/);
    const step = await stepValue(tab);
    await expect.poll(() => lastCheckpoint(tab)).toBe(step);
    steps.push(step);
  }

  await tabs[0]!.reload();
  await expect(tabs[0]!.getByTestId('status')).toHaveText(/^idle/, { timeout: 60_000 });
  const items = tabs[0]!.getByTestId('saved-run');
  await expect(items).toHaveCount(2);
  const listed = await items.evaluateAll((lis) =>
    lis.map((li) => ({ id: li.getAttribute('data-save-id'), step: Number(li.getAttribute('data-step')) })),
  );
  // Two slots, each at its own tab's step: the second tab's save did not replace the first's.
  expect(new Set(listed.map((r) => r.id)).size).toBe(2);
  expect(listed.map((r) => r.step).sort((a, b) => a - b)).toEqual([...steps].sort((a, b) => a - b));
  // The second tab still has its run open: the reloaded tab may not continue or delete it.
  const open = items.filter({ hasText: 'Open in another tab' });
  await expect(open).toHaveCount(1);
  await expect(open).toHaveAttribute('data-step', String(steps[1]));
  await expect(open.getByRole('button', { name: /^Continue/ })).toBeDisabled();
  await expect(
    items.filter({ hasNotText: 'Open in another tab' }).getByRole('button', { name: /^Continue/ }),
  ).toBeEnabled();
  await tabs[0]!.screenshot({ path: artifactPath('saved-runs-offer.png'), fullPage: true });
  // Each slot is its summary, its run and the page's views of it (once written), and nothing else.
  const keys = await savedKeys(tabs[0]!);
  const ids = keys.filter((k) => k.startsWith('manifold-kd/run-info/')).map((k) => k.split('/').at(-1)!);
  expect(ids).toHaveLength(2);
  expect(keys.filter((k) => k.startsWith('manifold-kd/run/')).sort()).toEqual(
    ids.map((id) => `manifold-kd/run/${id}`).sort(),
  );
  expect(keys.every((k) => ids.includes(k.split('/').at(-1)!))).toBe(true);
});

test('Delete removes a saved run from the list and from IndexedDB', async ({ page }) => {
  await openApp(page, `${TINY}&seed=5`);
  await trainTeacherHere(page);
  // One step, paused: the pause saves it; Reset leaves the save, and the offer shows it.
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 60_000 });
  await expect.poll(() => lastCheckpoint(page)).toBe(1);
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  const item = page.getByTestId('saved-run');
  await expect(item).toHaveCount(1);
  // Its summary, its run, and the page's views of it (written when the pause's save was reported).
  await expect
    .poll(async () => (await savedKeys(page)).map((k) => k.split('/').slice(0, -1).join('/')).sort())
    .toEqual(['manifold-kd/run', 'manifold-kd/run-info', 'manifold-kd/run-views']);
  await item.getByRole('button', { name: /^Delete/ }).click();
  await expect(item).toHaveCount(0);
  expect(await savedKeys(page)).toEqual([]);
});

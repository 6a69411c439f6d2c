/**
 * Faults in the training worker, injected the way they happen (through the worker's own
 * globals: GPUDevice.destroy, GPUBuffer.prototype.mapAsync, IDBObjectStore.prototype.put,
 * self.close; see src/worker/fault-injection.ts), in a tiny WebGPU run. Each test checks that
 * the page notices the fault by itself, says so, trains on from the last checkpoint (or step 0
 * before the first), loses at most 30 s of training, and that status, buttons and step agree.
 * docs/reliability.md quotes the figures these tests print.
 *
 * The faults come in sequence on three runs, one page each, so that npm test pays three
 * worker starts (a self-test and, on SwiftShader, a minute of shader compiles) instead of one
 * or two a fault: each run's faults are steps of one story, in serial mode (a failure skips
 * the rest of its run). Two faults of one kind within five minutes move a run to wasm, so a
 * run's second fault of a kind is also the test of that step-down.
 */
import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import {
  expectAdvancedInTime,
  expectAgreement,
  inject,
  lowerStallFloor,
  messages,
  now,
  recordRun,
  recoveryOf,
  report,
  runLog,
  startTraining,
  waitForCheckpoint,
} from './fault-run';
import { openApp, stepValue, trainTeacherHere, waitForStep } from './helpers';
import { sharedPage } from './shared-page';

// The built-in shapes, a teacher trained here, a phase long enough to still train after restarts.
const LINK = '#v=1&preset=tiny&seed=11&data=synthetic&tSteps=2000&steps=200&backend=webgpu';

/** One page for a describe block's run, opened on the link with a teacher trained here. */
function onePage(): () => Page {
  let page: Page | undefined;
  test.describe.configure({ mode: 'serial' });
  test.beforeAll(async ({ browser }) => {
    // A worker's first start (self-test, pipelines): minutes on a loaded emulated GPU.
    test.setTimeout(600_000);
    page = await sharedPage(browser);
    await openApp(page, LINK);
    await trainTeacherHere(page);
    await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
    await recordRun(page);
  });
  test.afterAll(async () => {
    await page?.close();
  });
  test.beforeEach(() => {
    // Each fault costs a worker restart (self-test trusted, pipelines compiled again).
    test.setTimeout(900_000);
  });
  return () => page!;
}

/** When the last step was shown: where the next fault's stretch of the log begins. */
async function lastEntryTime(page: Page): Promise<number> {
  const log = await runLog(page);
  return log[log.length - 1]?.t ?? 0;
}

/** Waits for the message that the run continues from its checkpoint, and the next step. */
async function expectContinuesFromCheckpoint(page: Page): Promise<void> {
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
  await expect
    .poll(() => messages(page), { timeout: 240_000 })
    .toContainEqual(expect.stringMatching(/The run continues from its checkpoint at step \d+/));
  await waitForStep(page, (await stepValue(page)) + 1, 300_000);
}

/**
 * Waits until the page says something matching `said` once more than `before` times: a
 * fault's toast may still be on screen from the run's earlier fault of the same kind.
 */
async function expectSaidAgain(page: Page, said: RegExp, before: number, timeout: number): Promise<void> {
  await expect.poll(() => countSaid(page, said), { timeout }).toBeGreaterThan(before);
}

const countSaid = async (page: Page, said: RegExp) =>
  (await messages(page)).filter((m) => said.test(m)).length;

const DEVICE_LOST = /GPU device was lost/;
const NO_PROGRESS = /The training worker stopped responding/;
const NO_ANSWER = /The training worker stopped responding \(no answer for \d+ s while paused\)/;

/**
 * A lost device fails the reads in flight before its lost event comes; the page says it lost
 * the device, not also that training stopped on a failed read.
 */
async function expectSaidOnlyAsALoss(page: Page): Promise<void> {
  expect((await messages(page)).filter((m) => /^Training stopped/.test(m))).toEqual([]);
}

/**
 * A fault that the run continued from: noticed within 2 minutes, trained on from no further back
 * than the checkpoint `saved` nor past the fault, at most 30 s of training lost, stepping again in
 * time, and status, buttons and step agreeing.
 */
async function expectContinuedFromCheckpoint(
  page: Page,
  name: string,
  r: ReturnType<typeof recoveryOf>,
  saved: number,
): Promise<void> {
  report(name, r);
  expect(r.noticedAfterS).toBeLessThanOrEqual(120);
  expect(r.resumedFrom).toBeGreaterThanOrEqual(saved);
  expect(r.resumedFrom).toBeLessThanOrEqual(r.faultStep);
  expect(r.lostSeconds).toBeLessThanOrEqual(30);
  expectAdvancedInTime(r);
  await expectAgreement(page);
}

const STEP_DOWN = /second such fault within five minutes: the run moves to the wasm backend/;

test.describe('device losses: at step 3, then after the first checkpoint', () => {
  const page = onePage();

  test('a device lost at step 3, before the first checkpoint, restarts the phase from step 0 at once', async () => {
    await inject(page(), 'device-lost', 3);
    await startTraining(page());
    // The fault comes with the third step: from the moment the run trains.
    const injectedAt = (await runLog(page())).find((e) => e.status === 'training')!.t;
    // The run's first steps wait for every pipeline to compile: minutes on a loaded emulated GPU.
    await expect(page().getByTestId('toasts')).toContainText(/GPU device was lost/, { timeout: 300_000 });
    const restarted =
      /No checkpoint had been written yet: the teacher phase starts again from step 0 \((\d+) steps? .*lost\)/;
    await expect
      .poll(() => messages(page()), { timeout: 240_000 })
      .toContainEqual(expect.stringMatching(restarted));
    await expect(page().getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
    await waitForStep(page(), 2, 300_000);
    const r = recoveryOf(await runLog(page()), injectedAt);
    report('device lost at step 3', r);
    // The device went at step 3; the loop goes on enqueueing steps on it until its lost event
    // arrives (7 more under a load of 22), and the page counts every step it showed as lost.
    expect(r.faultStep).toBeGreaterThanOrEqual(3);
    const said = (await messages(page())).map((m) => restarted.exec(m)).find(Boolean);
    expect(Number(said![1])).toBe(r.faultStep);
    expect(r.checkpointKnown).toBeNull();
    expect(r.resumedFrom).toBe(0);
    expect(r.lostSeconds).toBeLessThanOrEqual(30);
    expectAdvancedInTime(r);
    await expectAgreement(page());
    await expectSaidOnlyAsALoss(page());
  });

  test('a device lost after the first checkpoint continues from it; as the second loss within five minutes, on wasm', async () => {
    const since = await lastEntryTime(page());
    const saved = await waitForCheckpoint(page());
    const lostBefore = await countSaid(page(), DEVICE_LOST);
    const injectedAt = await now(page());
    await inject(page(), 'device-lost');
    await expectSaidAgain(page(), DEVICE_LOST, lostBefore, 120_000);
    await expect.poll(() => messages(page())).toContainEqual(expect.stringMatching(STEP_DOWN));
    await expectAgreement(page());
    await expect(page().getByTestId('backend')).toHaveText(/^wasm/, { timeout: 180_000 });
    await expectContinuesFromCheckpoint(page());
    await expectContinuedFromCheckpoint(
      page(),
      'device lost after a checkpoint, the second loss',
      recoveryOf(await runLog(page()), injectedAt, since),
      saved,
    );
    await expectSaidOnlyAsALoss(page());
    await page().screenshot({ path: artifactPath('stepped-down.png'), fullPage: true });
  });
});

test.describe('no progress: a closed worker, then a GPU read that never returns, then a worker closed while paused', () => {
  const page = onePage();

  for (const [fault, name, secondOfKind] of [
    ['close', 'a closed worker', false],
    ['hang-reads', 'a GPU read that never returns', true],
  ] as const) {
    test(`${name} is noticed as no progress and the run continues from its checkpoint in a fresh worker${secondOfKind ? ', on wasm as the second within five minutes' : ''}`, async () => {
      const since = await lastEntryTime(page());
      if (!secondOfKind) await startTraining(page());
      const saved = await waitForCheckpoint(page());
      await lowerStallFloor(page());
      const saidBefore = await countSaid(page(), NO_PROGRESS);
      const injectedAt = await now(page());
      await inject(page(), fault);
      await expectSaidAgain(page(), NO_PROGRESS, saidBefore, 120_000);
      await expect(page().getByTestId('toasts')).toContainText(NO_PROGRESS);
      await expectAgreement(page());
      if (secondOfKind) {
        await expect.poll(() => messages(page())).toContainEqual(expect.stringMatching(STEP_DOWN));
        await expect(page().getByTestId('backend')).toHaveText(/^wasm/, { timeout: 180_000 });
      }
      await expectContinuesFromCheckpoint(page());
      await expectContinuedFromCheckpoint(
        page(),
        name,
        recoveryOf(await runLog(page()), injectedAt, since),
        saved,
      );
    });
  }

  test('a worker closed while paused is noticed while paused, and the run comes back paused at its checkpoint', async () => {
    // A paused run makes no steps: the page asks the worker whether it answers, every 5 s with a
    // minute's patience on the site, here every second with 5 s (the worker answers in ms).
    await page().evaluate(() =>
      (
        window.__kd as unknown as { livenessLimits: (l: { intervalMs: number; floorMs: number }) => void }
      ).livenessLimits({ intervalMs: 1_000, floorMs: 5_000 }),
    );
    await page().getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(page().getByTestId('status')).toHaveText(/^paused/);
    // The pause writes a checkpoint at the step it stopped at.
    const checkpointAtStep = () =>
      page().evaluate(() => {
        const { run } = window.__kd.store.getState();
        return run.status === 'paused' && run.lastCheckpointStep === run.step ? run.step : null;
      });
    await expect.poll(checkpointAtStep, { timeout: 60_000 }).not.toBeNull();
    const pausedAt = (await checkpointAtStep())!;
    const saidBefore = await countSaid(page(), NO_ANSWER);
    const injectedAt = await now(page());
    await inject(page(), 'close');
    await expectSaidAgain(page(), NO_ANSWER, saidBefore, 60_000);
    const backPaused = new RegExp(
      `The run is back at its checkpoint at step ${pausedAt} of the \\w+ phase, paused: 0 steps`,
    );
    await expect
      .poll(() => messages(page()), { timeout: 180_000 })
      .toContainEqual(expect.stringMatching(backPaused));
    await expect(page().getByTestId('status')).toHaveText(/^paused/);
    expect(await stepValue(page())).toBe(pausedAt);
    await expectAgreement(page());
    // From the page's log: it noticed while the run was paused (nobody pressed Resume).
    const log = (await runLog(page())).filter((e) => e.t >= injectedAt);
    const noticed = log.findIndex((e) => e.status !== 'paused');
    expect(noticed, 'the page noticed the closed worker').toBeGreaterThan(-1);
    expect(log.slice(0, noticed).every((e) => e.status === 'paused')).toBe(true);
    const back = log.slice(noticed).find((e) => e.status === 'paused')!;
    expect(back.step).toBe(pausedAt);
    expect(log.some((e) => e.status === 'training')).toBe(false);
    console.log(
      `fault a worker closed while paused: ${JSON.stringify({
        noticedAfterS: (log[noticed]!.t - injectedAt) / 1000,
        backPausedAfterS: (back.t - log[noticed]!.t) / 1000,
        pausedAt,
        backAt: back.step,
      })}`,
    );
  });
});

test.describe('storage full, then a NaN loss', () => {
  const page = onePage();

  test('with storage full the failed save is said once in a minute of training, and training goes on', async () => {
    await inject(page(), 'storage-full');
    await startTraining(page());
    await waitForStep(page(), 2, 400_000);
    const from = await stepValue(page());
    // A minute of training: the first checkpoint after the first read, then one every 20 s.
    await page().waitForTimeout(60_000);
    const said = (await messages(page())).filter((m) => /Could not save the run/.test(m));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/storage is full/);
    await expect(page().getByTestId('not-saved')).toHaveText(
      'Not saved in this browser: storage full; export the weights to keep them.',
    );
    await expect(page().getByTestId('status')).toHaveText(/^training/);
    expect(await stepValue(page())).toBeGreaterThan(from);
    expect(await page().evaluate(() => window.__kd.store.getState().run.lastCheckpointStep)).toBeNull();
    await expectAgreement(page());
    await page().screenshot({ path: artifactPath('storage-full.png'), fullPage: true });
  });

  test('a NaN loss pauses the run and names the term', async () => {
    await page().evaluate(() => window.__kd.fault('nan'));
    await expect(page().getByTestId('toasts')).toContainText(
      /The \w+ loss became (NaN|Infinity|-Infinity) at step \d+/,
      {
        timeout: 120_000,
      },
    );
    await expect(page().getByTestId('status')).toHaveText(/^paused/);
    await expectAgreement(page());
    await page().screenshot({ path: artifactPath('faults.png'), fullPage: true });
  });
});

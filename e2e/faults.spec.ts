/**
 * Faults in the training worker, injected the way they happen (through the worker's own
 * globals: GPUDevice.destroy, GPUBuffer.prototype.mapAsync, IDBObjectStore.prototype.put,
 * self.close; see src/worker/fault-injection.ts), in a tiny WebGPU run. Each test checks that
 * the page notices the fault by itself, says so, trains on from the last checkpoint (or step 0
 * before the first), loses at most 30 s of training, and that status, buttons and step agree.
 * docs/reliability.md quotes the figures these tests print.
 */
import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { openApp, stepValue, trainTeacherHere, waitForStep } from './helpers';

// The built-in shapes, a teacher trained here, a phase long enough to still train after a restart.
const LINK = '#v=1&preset=tiny&seed=11&data=synthetic&tSteps=2000&steps=200&backend=webgpu';

type Fault = 'device-lost' | 'hang-reads' | 'storage-full' | 'close';
interface LogEntry {
  t: number;
  status: string;
  phase: string;
  step: number;
  ckpt: number | null;
}

/** Records every change of the page's status, phase, step and checkpoint, and every message shown. */
async function recordRun(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __runLog: LogEntry[]; __messages: string[] };
    w.__runLog = [];
    w.__messages = [];
    const seen = new Set<number>();
    let previous = '';
    const store = (
      window.__kd.store as unknown as {
        subscribe: (l: (s: ReturnType<typeof window.__kd.store.getState> & SubscribedState) => void) => void;
      }
    ).subscribe;
    store((s) => {
      const status = s.runtime.status === 'idle' ? s.run.status : s.runtime.status;
      const key = `${status}|${s.run.phase}|${s.run.step}|${s.run.lastCheckpointStep}`;
      if (key !== previous) {
        previous = key;
        w.__runLog.push({
          t: performance.now(),
          status,
          phase: s.run.phase,
          step: s.run.step,
          ckpt: s.run.lastCheckpointStep,
        });
      }
      for (const toast of s.toasts as { id: number; message: string }[]) {
        if (seen.has(toast.id)) continue;
        seen.add(toast.id);
        w.__messages.push(toast.message);
      }
    });
  });
}
type SubscribedState = { runtime: { status: string }; toasts: unknown[] };

const runLog = (page: Page) => page.evaluate(() => (window as unknown as { __runLog: LogEntry[] }).__runLog);
const messages = (page: Page) =>
  page.evaluate(() => (window as unknown as { __messages: string[] }).__messages);
const now = (page: Page) => page.evaluate(() => performance.now());

/** Sends a fault to the worker; 'close' is never answered, so nothing waits on it. */
async function inject(page: Page, fault: Fault, atStep: number | null = null): Promise<void> {
  await page.evaluate(
    ([f, s]) => {
      void (window.__kd as unknown as { inject: (f: string, s: number | null) => Promise<unknown> })
        .inject(f as string, s as number | null)
        .catch(() => null);
    },
    [fault, atStep] as const,
  );
}

/** The buttons match the status badge, and the step shown is the store's. */
async function expectAgreement(page: Page): Promise<void> {
  const status = (await page.getByTestId('status').textContent())?.trim();
  const start = page.getByRole('button', { name: 'Start', exact: true });
  const pause = page.getByRole('button', { name: 'Pause', exact: true });
  const resume = page.getByRole('button', { name: 'Resume', exact: true });
  if (status === 'training') {
    await expect(pause).toBeEnabled();
    await expect(start).toHaveCount(0);
  } else if (status === 'idle') {
    await expect(start).toBeEnabled();
    await expect(pause).toHaveCount(0);
  } else if (status === 'paused') {
    await expect(resume).toBeEnabled();
  } else {
    // Starting or restarting: nothing to pause, nothing to start yet.
    await expect(pause).toHaveCount(0);
    await expect(resume).toHaveCount(0);
  }
  await expect
    .poll(
      async () =>
        (await stepValue(page)) === (await page.evaluate(() => window.__kd.store.getState().run.step)),
    )
    .toBe(true);
}

/**
 * What a fault injected at `injectedAt` cost, from the page's own log: when it was noticed,
 * the step the run trains on from, the training time lost, and when the step advanced again.
 */
function recoveryOf(log: LogEntry[], injectedAt: number) {
  const noticed = log.find((e) => e.t >= injectedAt && e.status !== 'training');
  expect(noticed, 'the page noticed the fault').toBeDefined();
  const before = log.filter((e) => e.t < noticed!.t && e.status === 'training');
  const last = before[before.length - 1]!;
  const ckpt = log.filter((e) => e.t < noticed!.t).reduce<number | null>((c, e) => e.ckpt ?? c, null);
  const resumed = log.find((e) => e.t > noticed!.t && e.status === 'training');
  expect(resumed, 'the run trains again').toBeDefined();
  const advanced = log.find((e) => e.t > resumed!.t && e.status === 'training' && e.step > resumed!.step);
  expect(advanced, 'the step advances again').toBeDefined();
  // The training lost: from the first step past the one it resumes from, to the fault (the
  // compiling before a run's first step is not training, and a restart compiles again anyway).
  const reached = before.find((e) => e.phase === last.phase && e.step > resumed!.step);
  const lostSeconds = reached ? (last.t - reached.t) / 1000 : 0;
  // How long the run took from Start to its first step: a fresh worker's start-up on this machine.
  const started = log.find((e) => e.status === 'training');
  const firstStep = log.find((e) => e.status === 'training' && e.step > 0);
  const startUpS = started && firstStep ? (firstStep.t - started.t) / 1000 : 0;
  return {
    noticedAfterS: (noticed!.t - injectedAt) / 1000,
    advancedAfterS: (advanced!.t - noticed!.t) / 1000,
    faultStep: last.step,
    checkpointKnown: ckpt,
    resumedFrom: resumed!.step,
    lostSeconds,
    startUpS,
  };
}

function report(name: string, figures: ReturnType<typeof recoveryOf>): void {
  console.log(`fault ${name}: ${JSON.stringify(figures)}`);
}

/**
 * The step advances again within 3 minutes of the fault being noticed, or, on a machine so
 * loaded that a fresh worker's start alone takes longer (measured: 246 s from Start to the
 * first step on SwiftShader with a load of 19 on 2 cores), within one and a half times what
 * the first start took plus a minute: a restart is a start (a new worker, its self-test, its
 * pipelines), and must cost little more.
 */
function expectAdvancedInTime(r: ReturnType<typeof recoveryOf>): void {
  expect(r.advancedAfterS).toBeLessThanOrEqual(Math.max(180, r.startUpS + 60) * 1.5);
}

async function startTraining(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
}

/** Waits until a checkpoint of the run has been written and the step has moved past it. */
async function waitForCheckpoint(page: Page): Promise<number> {
  await expect
    .poll(() => page.evaluate(() => window.__kd.store.getState().run.lastCheckpointStep), {
      // The run's pipelines compile first: minutes on an emulated GPU under load.
      timeout: 400_000,
      intervals: [500],
    })
    .not.toBeNull();
  const saved = (await page.evaluate(() => window.__kd.store.getState().run.lastCheckpointStep)) ?? 0;
  await waitForStep(page, saved + 2, 300_000);
  return saved;
}

// These faults take two worker start-ups each on an emulated GPU; they had not yet run to the
// end on this project's CI machine, so npm test leaves them to npm run test:e2e:full.
const FULL = Boolean(process.env.E2E_FULL);
const FULL_ONLY = 'a long fault test: run it with npm run test:e2e:full (E2E_FULL=1)';

test.beforeEach(async ({ page }) => {
  // Two worker start-ups (self-test, pipelines) per test: many minutes on a loaded emulated GPU.
  test.setTimeout(1_200_000);
  await openApp(page, LINK);
  await trainTeacherHere(page);
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
  await recordRun(page);
});

test('with storage full the failed save is said once in a minute of training, and training goes on', async ({
  page,
}) => {
  await inject(page, 'storage-full');
  await startTraining(page);
  await waitForStep(page, 2, 400_000);
  const from = await stepValue(page);
  // A minute of training: the first checkpoint after the first read, then one every 20 s.
  await page.waitForTimeout(60_000);
  const said = (await messages(page)).filter((m) => /Could not save the run/.test(m));
  expect(said).toHaveLength(1);
  expect(said[0]).toMatch(/storage is full/);
  await expect(page.getByTestId('not-saved')).toHaveText(
    'Not saved in this browser: storage full; export the weights to keep them.',
  );
  await expect(page.getByTestId('status')).toHaveText(/^training/);
  expect(await stepValue(page)).toBeGreaterThan(from);
  expect(await page.evaluate(() => window.__kd.store.getState().run.lastCheckpointStep)).toBeNull();
  await expectAgreement(page);
  await page.screenshot({ path: artifactPath('storage-full.png'), fullPage: true });
});

test('a device lost at step 3, before the first checkpoint, restarts the phase from step 0 at once', async ({
  page,
}) => {
  test.skip(!FULL, FULL_ONLY);
  await inject(page, 'device-lost', 3);
  await startTraining(page);
  // The fault comes with the third step: from the moment the run trains.
  const injectedAt = (await runLog(page)).find((e) => e.status === 'training')!.t;
  // The run's first steps wait for every pipeline to compile: minutes on a loaded emulated GPU.
  await expect(page.getByTestId('toasts')).toContainText(/GPU device was lost/, { timeout: 300_000 });
  const restarted =
    /No checkpoint had been written yet: the teacher phase starts again from step 0 \((\d+) steps? .*lost\)/;
  await expect
    .poll(() => messages(page), { timeout: 240_000 })
    .toContainEqual(expect.stringMatching(restarted));
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
  await waitForStep(page, 2, 300_000);
  const r = recoveryOf(await runLog(page), injectedAt);
  report('device lost at step 3', r);
  // The device went at step 3; the loop goes on enqueueing steps on it until its lost event
  // arrives (7 more under a load of 22), and the page counts every step it showed as lost.
  expect(r.faultStep).toBeGreaterThanOrEqual(3);
  const said = (await messages(page)).map((m) => restarted.exec(m)).find(Boolean);
  expect(Number(said![1])).toBe(r.faultStep);
  expect(r.checkpointKnown).toBeNull();
  expect(r.resumedFrom).toBe(0);
  expect(r.lostSeconds).toBeLessThanOrEqual(30);
  expectAdvancedInTime(r);
  await expectAgreement(page);
});

test('a device lost after the first checkpoint continues from that checkpoint', async ({ page }) => {
  await startTraining(page);
  const saved = await waitForCheckpoint(page);
  const injectedAt = await now(page);
  await inject(page, 'device-lost');
  await expect(page.getByTestId('toasts')).toContainText(/GPU device was lost/, { timeout: 120_000 });
  await expectAgreement(page);
  await expect
    .poll(() => messages(page), { timeout: 240_000 })
    .toContainEqual(
      expect.stringMatching(/The run continues from its checkpoint at step \d+ of the teacher phase/),
    );
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
  await waitForStep(page, (await stepValue(page)) + 1, 300_000);
  const r = recoveryOf(await runLog(page), injectedAt);
  report('device lost after a checkpoint', r);
  expect(r.noticedAfterS).toBeLessThanOrEqual(120);
  expect(r.resumedFrom).toBeGreaterThanOrEqual(saved);
  expect(r.resumedFrom).toBeLessThanOrEqual(r.faultStep);
  expect(r.lostSeconds).toBeLessThanOrEqual(30);
  expectAdvancedInTime(r);
  await expectAgreement(page);
});

for (const [fault, name] of [
  ['close', 'a closed worker'],
  ['hang-reads', 'a GPU read that never returns'],
] as const) {
  test(`${name} is noticed as no progress and the run continues from its checkpoint in a fresh worker`, async ({
    page,
  }) => {
    test.skip(!FULL, FULL_ONLY);
    await startTraining(page);
    const saved = await waitForCheckpoint(page);
    // A step is timed only over a stretch that waited for a metrics read past the first (read
    // every 10 steps here): until then the page allows 120 s (stall-watch.ts).
    await waitForStep(page, saved + 12, 300_000);
    // The floor of the stall limit (60 s on the site) is lowered once steps have been timed; ten
    // times the slowest step seen still holds, so a slow emulated GPU does not trip it.
    await page.evaluate(() =>
      (window.__kd as unknown as { stallLimits: (l: { floorMs: number }) => void }).stallLimits({
        floorMs: 15_000,
      }),
    );
    const injectedAt = await now(page);
    await inject(page, fault);
    await expect(page.getByTestId('toasts')).toContainText(/The training worker stopped responding/, {
      timeout: 120_000,
    });
    await expectAgreement(page);
    await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
    await expect
      .poll(() => messages(page), { timeout: 240_000 })
      .toContainEqual(expect.stringMatching(/The run continues from its checkpoint at step \d+/));
    await waitForStep(page, (await stepValue(page)) + 1, 300_000);
    const r = recoveryOf(await runLog(page), injectedAt);
    report(name, r);
    expect(r.noticedAfterS).toBeLessThanOrEqual(120);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(saved);
    expect(r.resumedFrom).toBeLessThanOrEqual(r.faultStep);
    expect(r.lostSeconds).toBeLessThanOrEqual(30);
    expectAdvancedInTime(r);
    await expectAgreement(page);
  });
}

test('two device losses within five minutes move the run to wasm, saying why', async ({ page }) => {
  test.skip(!FULL, FULL_ONLY);
  await inject(page, 'device-lost', 3);
  await startTraining(page);
  await expect
    .poll(() => messages(page), { timeout: 240_000 })
    .toContainEqual(expect.stringMatching(/starts again from step 0/));
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
  await waitForStep(page, 1, 300_000);
  const injectedAt = await now(page);
  await inject(page, 'device-lost', 3);
  await expect
    .poll(() => messages(page), { timeout: 120_000 })
    .toContainEqual(
      expect.stringMatching(/second such fault within five minutes: the run moves to the wasm backend/),
    );
  await expect(page.getByTestId('backend')).toHaveText(/^wasm/, { timeout: 180_000 });
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
  await waitForStep(page, (await stepValue(page)) + 1, 300_000);
  const r = recoveryOf(await runLog(page), injectedAt);
  report('two device losses', r);
  expect(r.noticedAfterS).toBeLessThanOrEqual(120);
  expect(r.lostSeconds).toBeLessThanOrEqual(30);
  expectAdvancedInTime(r);
  await expectAgreement(page);
  await page.screenshot({ path: artifactPath('stepped-down.png'), fullPage: true });
});

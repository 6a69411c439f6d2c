/**
 * The fault tests' view of a run (e2e/faults.spec.ts): a log of every change of the page's
 * status, phase, step and checkpoint, the messages shown, fault injection through the worker's
 * own globals (src/worker/fault-injection.ts), and what a recovery cost, read from that log.
 */
import { expect, type Page } from '@playwright/test';
import { stepValue, waitForStep } from './helpers';

export type Fault = 'device-lost' | 'hang-reads' | 'storage-full' | 'close';
export interface LogEntry {
  t: number;
  status: string;
  phase: string;
  step: number;
  ckpt: number | null;
}

/** Records every change of the page's status, phase, step and checkpoint, and every message shown. */
export async function recordRun(page: Page): Promise<void> {
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

export const runLog = (page: Page) =>
  page.evaluate(() => (window as unknown as { __runLog: LogEntry[] }).__runLog);
export const messages = (page: Page) =>
  page.evaluate(() => (window as unknown as { __messages: string[] }).__messages);
export const now = (page: Page) => page.evaluate(() => performance.now());

/** Sends a fault to the worker; 'close' is never answered, so nothing waits on it. */
export async function inject(page: Page, fault: Fault, atStep: number | null = null): Promise<void> {
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
export async function expectAgreement(page: Page): Promise<void> {
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
 * `since`: where this fault's stretch of the log begins, after the recovery from an earlier
 * fault in the same run (its steps are not this fault's training).
 */
export function recoveryOf(log: LogEntry[], injectedAt: number, since = 0) {
  const noticed = log.find((e) => e.t >= injectedAt && e.status !== 'training');
  expect(noticed, 'the page noticed the fault').toBeDefined();
  const before = log.filter((e) => e.t >= since && e.t < noticed!.t && e.status === 'training');
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

export function report(name: string, figures: ReturnType<typeof recoveryOf>): void {
  console.log(`fault ${name}: ${JSON.stringify(figures)}`);
}

/**
 * The step advances again within 3 minutes of the fault being noticed, or, on a machine so
 * loaded that a fresh worker's start alone takes longer (measured: 246 s from Start to the
 * first step on SwiftShader with a load of 19 on 2 cores), within one and a half times what
 * the first start took plus a minute: a restart is a start (a new worker, its self-test, its
 * pipelines), and must cost little more.
 */
export function expectAdvancedInTime(r: ReturnType<typeof recoveryOf>): void {
  expect(r.advancedAfterS).toBeLessThanOrEqual(Math.max(180, r.startUpS + 60) * 1.5);
}

export async function startTraining(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^training/, { timeout: 180_000 });
}

/** Waits until a checkpoint of the run has been written and the step has moved past it. */
export async function waitForCheckpoint(page: Page): Promise<number> {
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

/**
 * Lowers the stall limit's floor (60 s on the site) once steps have been timed; ten times the
 * slowest step seen still holds, so a slow emulated GPU does not trip it. A step is timed only
 * over a stretch that waited for a metrics read past the first (every 10 steps here): until
 * then the page allows 120 s (stall-watch.ts), so this waits for 12 more steps first.
 */
export async function lowerStallFloor(page: Page): Promise<void> {
  await waitForStep(page, (await stepValue(page)) + 12, 300_000);
  await page.evaluate(() =>
    (window.__kd as unknown as { stallLimits: (l: { floorMs: number }) => void }).stallLimits({
      floorMs: 15_000,
    }),
  );
}

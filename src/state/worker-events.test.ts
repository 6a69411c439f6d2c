import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../engine/spec/config';
import { parseWorkerEvent } from '../worker/shared/event-schema';
import type { WorkerEvent } from '../worker/shared/protocol';
import { useAppStore } from './store';
import { applyWorkerEvent } from './worker-events';

const CURRENT = 7;
const ctx = {
  isCurrent: (runId: number) => runId === CURRENT,
  recoverFromDeviceLoss: async () => {},
  saveFailed: () => {},
  keepViews: () => {},
};

/** Delivers an event the way the bridge does: parsed first, then applied. */
function deliver(event: WorkerEvent): void {
  const parsed = parseWorkerEvent(event);
  if (!parsed.ok) throw new Error(parsed.message);
  applyWorkerEvent(parsed.event, ctx);
}

function echo(config: RunConfig, step: number, runId = CURRENT): void {
  deliver({ type: 'run.config', runId, phase: 'student', step, config });
}

function studentRows(steps: number[]): void {
  deliver({
    type: 'run.metrics',
    runId: CURRENT,
    phase: 'student',
    rows: steps.map((step) => ({ step, epoch: 0, lr: 1e-3, values: { total: 1 }, baselines: {} })),
  });
}

const withIntra = (wIntra: number): RunConfig => ({
  ...DEFAULT_CONFIG,
  loss: { ...DEFAULT_CONFIG.loss, wIntra },
});

beforeEach(() => {
  useAppStore.setState(useAppStore.getInitialState(), true);
});

describe('the run config on screen is the worker echo', () => {
  it('keeps an edited weight out of the run until the worker says it applied it', () => {
    const store = useAppStore.getState();
    store.runStarted(CURRENT, 100);
    expect(useAppStore.getState().run.config).toBeNull();
    echo(withIntra(4), 0);
    store.setConfig({ loss: { wIntra: 0 } });
    expect(useAppStore.getState().config.loss.wIntra).toBe(0);
    expect(useAppStore.getState().run.config!.loss.wIntra).toBe(4);
    expect(useAppStore.getState().run.markers).toEqual([]);
    echo(withIntra(0), 12);
    expect(useAppStore.getState().run.config!.loss.wIntra).toBe(0);
    expect(useAppStore.getState().run.markers).toEqual([{ step: 12, label: 'wIntra 4→0' }]);
  });

  it('ignores the echo of a run the page no longer shows', () => {
    useAppStore.getState().runStarted(CURRENT, 100);
    echo(withIntra(4), 0);
    echo(withIntra(9), 3, CURRENT - 1);
    expect(useAppStore.getState().run.config!.loss.wIntra).toBe(4);
  });

  it('labels a run changed mid-way by what it trained with, not what it started with', () => {
    const store = useAppStore.getState();
    // Run 1 trains with wIntra 4 throughout.
    store.runStarted(CURRENT, 100);
    echo(withIntra(4), 0);
    studentRows([0, 1]);
    store.archiveRun();
    // Run 2 starts with the same config; its weight is changed at step 5.
    store.runStarted(CURRENT, 100);
    echo(withIntra(4), 0);
    studentRows([0, 1, 2, 3, 4]);
    echo(withIntra(0), 5);
    studentRows([5, 6]);
    store.archiveRun();
    const ghosts = useAppStore.getState().ghosts;
    expect(ghosts.map((g) => g.label)).toEqual(['run 1', 'wIntra 4→0']);
  });
});

describe('faults reach the supervisor and are said once', () => {
  it('hands a lost device of the current run to the recovery, and one of an old run to nobody', () => {
    const lost: string[] = [];
    const withRecovery = { ...ctx, recoverFromDeviceLoss: async (m: string) => void lost.push(m) };
    const fault = (runId: number) =>
      applyWorkerEvent(
        { type: 'run.fault', runId, kind: 'device-lost', message: 'The GPU device was lost.', term: null },
        withRecovery,
      );
    fault(CURRENT - 1);
    expect(lost).toEqual([]);
    fault(CURRENT);
    expect(lost).toEqual(['The GPU device was lost.']);
  });

  it('routes a failed save to saveFailed instead of a toast of its own', () => {
    const failed: string[] = [];
    const event: WorkerEvent = {
      type: 'error',
      requestId: null,
      name: 'SaveError',
      message: 'Could not save the run in this browser (storage is full).',
      stack: null,
    };
    applyWorkerEvent(event, { ...ctx, saveFailed: (m) => void failed.push(m) });
    expect(failed).toEqual([event.message]);
    expect(useAppStore.getState().toasts).toEqual([]);
  });

  it('does not stack a message that is already on screen', () => {
    const { notify } = useAppStore.getState();
    notify({ kind: 'error', message: 'same' });
    notify({ kind: 'error', message: 'same' });
    notify({ kind: 'error', message: 'other' });
    expect(useAppStore.getState().toasts.map((t) => t.message)).toEqual(['same', 'other']);
  });

  it('keeps the not-saved line until a save succeeds', () => {
    const store = useAppStore.getState();
    store.runStarted(CURRENT, 100);
    store.runNotSaved('Not saved in this browser: storage full; export the weights to keep them.');
    expect(useAppStore.getState().run.notSaved).toMatch(/storage full/);
    store.runCheckpointed(20);
    expect(useAppStore.getState().run.notSaved).toBeNull();
  });
});

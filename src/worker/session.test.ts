/**
 * The worker's session driven through the protocol, in Node on the cpu backend: every command
 * passes the worker's own parser, and every event the session posts must parse as a WorkerEvent.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tryBackend } from '../engine/backend';
import type { Dataset } from '../engine/data/dataset';
import type { MetricRow } from '../engine/pending-metrics';
import { DEFAULT_CONFIG, type RunConfig } from '../engine/spec/config';
import { ALL_TERMS_LOSS, randomDataset, smallModels } from '../engine/test-utils';
import * as tf from '../engine/tf';
import { memoryKeyValue, type SavedRunStore, slotStore } from './saved-run';
import { Session } from './session';
import { parseCommand } from './shared/command-schema';
import { parseWorkerEvent } from './shared/event-schema';
import type { WorkerEvent } from './shared/protocol';
import { noSlotLocks } from './slot-lock';

const DATASET: Dataset = randomDataset('session-test', 48, 12);

const CONFIG: RunConfig = {
  ...DEFAULT_CONFIG,
  seed: 3,
  ...smallModels(10),
  loss: { ...ALL_TERMS_LOSS, tau: 1, k: 24, layerPairs: [] },
  optim: { ...DEFAULT_CONFIG.optim, batch: 8, steps: 40, teacherSteps: 3, warmupSteps: 0, lr: 2e-3 },
  baseline: 'none',
};

/** The IndexedDB store's slot logic over a Map, standing in for IndexedDB. */
function memoryStore(): SavedRunStore {
  return slotStore(memoryKeyValue());
}

/** One session with the page's view of it: the events it posted, and a way to send commands. */
class Harness {
  readonly events: WorkerEvent[] = [];
  readonly malformed: string[] = [];
  readonly session: Session;
  private nextId = 1;

  constructor(saved: SavedRunStore) {
    this.session = new Session(
      (event) => {
        const parsed = parseWorkerEvent(event);
        if (parsed.ok) this.events.push(parsed.event);
        else this.malformed.push(parsed.message);
      },
      { saved, locks: noSlotLocks, loadData: async () => DATASET },
    );
  }

  /** Sends a command through the worker's parser; resolves when the session has handled it. */
  async send(body: Record<string, unknown>): Promise<void> {
    const parsed = parseCommand({ ...body, requestId: this.nextId++ });
    if (!parsed.ok) throw new Error(parsed.message);
    await this.session.handle(parsed.command);
  }

  of<T extends WorkerEvent['type']>(type: T, from = 0): Extract<WorkerEvent, { type: T }>[] {
    return this.events.slice(from).filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
  }

  /** Waits until an event after index `from` satisfies `test`. */
  async waitFor<T extends WorkerEvent['type']>(
    type: T,
    test: (e: Extract<WorkerEvent, { type: T }>) => boolean = () => true,
    from = 0,
  ): Promise<Extract<WorkerEvent, { type: T }>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const hit = this.of(type, from).find(test);
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(`No ${type} event came; got ${this.events.map((e) => e.type)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Runs `count` steps and waits until the run has paused and saved (its loop has ended). */
  async step(count: number): Promise<Extract<WorkerEvent, { type: 'run.status' }>> {
    const from = this.events.length;
    await this.send({ type: 'run.step', count });
    const paused = await this.waitFor('run.status', (e) => e.status === 'paused', from);
    await this.waitFor('run.checkpointed', () => true, this.events.indexOf(paused));
    return paused;
  }

  rows(phase: 'teacher' | 'student', from = 0): MetricRow[] {
    return this.of('run.metrics', from)
      .filter((e) => e.phase === phase)
      .flatMap((e) => e.rows);
  }

  async start(config: RunConfig, extra: Record<string, unknown> = {}): Promise<void> {
    await this.send({ type: 'data.load', source: { kind: 'synthetic' } });
    await this.send({
      type: 'run.start',
      runId: 1,
      config,
      teacher: { kind: 'train' },
      saveId: 'run-a',
      resumeSaved: false,
      paused: true,
      ...extra,
    });
  }
}

let baselineTensors = 0;

beforeAll(async () => {
  expect(await tryBackend('cpu')).toBeNull();
  baselineTensors = tf.memory().numTensors;
});

describe('a session driven through the protocol', () => {
  const saved = memoryStore();
  const a = new Harness(saved);

  afterAll(() => {
    expect(a.malformed).toEqual([]);
  });

  it('starts paused and echoes the config it applied, with the classes of the data', async () => {
    await a.start(CONFIG);
    const echo = await a.waitFor('run.config');
    // The config asked for 10 classes; the data has 4, and the run trains with what fits the data.
    expect(echo.config.teacher.numClasses).toBe(4);
    expect(echo.config.loss).toEqual(CONFIG.loss);
    const status = await a.waitFor('run.status');
    expect(status).toMatchObject({ status: 'paused', phase: 'teacher', step: 0, totalSteps: 3 });
  });

  it('runs exactly N steps, across the switch from teacher to student, then pauses', async () => {
    const paused = await a.step(5);
    // 3 teacher steps, the teacher evaluated, then 2 student steps.
    expect(paused).toMatchObject({ status: 'paused', phase: 'student', step: 2 });
    expect(a.rows('teacher').map((r) => r.step)).toEqual([0, 1, 2]);
    expect(a.rows('student').map((r) => r.step)).toEqual([0, 1]);
    expect(a.of('run.eval').map((e) => e.phase)).toEqual(['teacher']);
  });

  it('applies a weight change from the next step on, and echoes it once', async () => {
    const from = a.events.length;
    await a.send({ type: 'run.setLoss', loss: { wCe: 1, wKd: 0, wMd: 0 } });
    const echoes = a.of('run.config', from);
    expect(echoes).toHaveLength(1);
    expect(echoes[0]).toMatchObject({ phase: 'student', step: 2 });
    expect(echoes[0]!.config.loss).toMatchObject({ wCe: 1, wKd: 0, wMd: 0, k: 24 });
    await a.step(2);
    // With weights (1, 0, 0) the total is the CE term alone; before the change it was not.
    const before = a.rows('student', 0).filter((r) => r.step < 2);
    const after = a.rows('student', from);
    expect(after.map((r) => r.step)).toEqual([2, 3]);
    for (const r of after) expect(r.values.total).toBeCloseTo(r.values.ce!, 5);
    for (const r of before) expect(Math.abs(r.values.total! - r.values.ce!)).toBeGreaterThan(1e-3);
  });

  it('saved the run with the changed weights at the pause, and a new session continues it exactly', async () => {
    const saveA = await saved.load('run-a');
    expect(saveA).toMatchObject({ id: 'run-a', phase: 'student', step: 4 });
    expect(saveA!.config.loss).toMatchObject({ wCe: 1, wKd: 0, wMd: 0 });
    const b = new Harness(saved);
    await b.start(CONFIG, { resumeSaved: true, runId: 2 });
    expect((await b.waitFor('run.config')).config.loss).toEqual(saveA!.config.loss);
    expect(await b.waitFor('run.status')).toMatchObject({ phase: 'student', step: 4 });
    const fromA = a.events.length;
    await a.step(3);
    await b.step(3);
    // The run that never stopped and the one continued from its checkpoint take the same steps.
    const continued = b.rows('student');
    expect(continued.map((r) => r.step)).toEqual([4, 5, 6]);
    expect(continued).toEqual(a.rows('student', fromA));
    await b.send({ type: 'run.reset' });
    expect(b.malformed).toEqual([]);
  });

  it('pauses by itself on a non-finite loss and says which term', async () => {
    const from = a.events.length;
    await a.send({ type: 'debug.fault', fault: 'nan' });
    await a.send({ type: 'run.step', count: 3 });
    const fault = await a.waitFor('run.fault', () => true, from);
    expect(fault.kind).toBe('nan');
    expect(fault.message).toMatch(/loss became (NaN|Infinity|-Infinity) at step \d+\. Training paused/);
    const status = await a.waitFor('run.status', (e) => e.status === 'paused' && e.reason !== null, from);
    expect(status.reason).toBe(fault.message);
  });

  it('resets, refuses commands that need a run, and leaves no tensors behind', async () => {
    await a.send({ type: 'run.reset' });
    await expect(a.send({ type: 'run.pause' })).rejects.toThrow('Nothing to pause: no run has started.');
    // Let any read still in flight settle before counting.
    await new Promise((r) => setTimeout(r, 50));
    expect(tf.memory().numTensors).toBe(baselineTensors);
  });
});

describe('save slots of sessions sharing one browser', () => {
  it('keeps one slot per run, lists and deletes them by id, and drops a finished run', async () => {
    const saved = memoryStore();
    const tab1 = new Harness(saved);
    const tab2 = new Harness(saved);
    const short = { ...CONFIG, optim: { ...CONFIG.optim, steps: 2 } };
    await tab1.start(short, { saveId: 'tab-1' });
    await tab2.start(CONFIG, { saveId: 'tab-2' });
    // Nothing is saved before the first step, pause or hide; run.save (the page being hidden) saves now.
    expect(await saved.list()).toEqual([]);
    await tab1.send({ type: 'run.save' });
    await vi.waitFor(async () => expect(await saved.load('tab-1')).toMatchObject({ step: 0 }));
    await tab1.step(2);
    await tab2.step(1);
    await tab1.step(1);
    // Each tab's save is where it paused: the later saves of one never replaced the other's.
    expect(await saved.load('tab-1')).toMatchObject({ id: 'tab-1', phase: 'teacher', step: 3 });
    expect(await saved.load('tab-2')).toMatchObject({ id: 'tab-2', phase: 'teacher', step: 1 });

    const listed = tab1.events.length;
    await tab1.send({ type: 'saved.list' });
    const runs = tab1.of('saved.runs', listed)[0]!.runs;
    expect(runs.map((r) => [r.id, r.step]).sort()).toEqual([
      ['tab-1', 3],
      ['tab-2', 1],
    ]);
    await expect(tab1.send({ type: 'saved.delete', id: '../x' })).rejects.toThrow(/save id/);
    await tab1.send({ type: 'saved.delete', id: 'tab-2' });
    expect(await saved.load('tab-2')).toBeNull();
    await expect(tab2.start(CONFIG, { saveId: 'tab-2', resumeSaved: true, runId: 3 })).rejects.toThrow(
      /no longer in this browser/,
    );

    // Run tab 1 to its end (3 teacher + 2 student steps): its slot goes with it.
    const from = tab1.events.length;
    await tab1.send({ type: 'run.resume' });
    await tab1.waitFor('run.status', (e) => e.status === 'done', from);
    await vi.waitFor(async () => expect(await saved.list()).toEqual([]), { timeout: 10_000 });
    await tab1.send({ type: 'run.reset' });
    expect([...tab1.malformed, ...tab2.malformed]).toEqual([]);
  });
});

describe('pausing a session mid-run', () => {
  it('stops within a step of the pause, runs no further, and resumes from there', async () => {
    const h = new Harness(memoryStore());
    await h.start({ ...CONFIG, optim: { ...CONFIG.optim, teacherSteps: 400 } });
    await h.send({ type: 'run.step', count: 300 });
    await h.waitFor('run.progress', (e) => e.step >= 2);
    const from = h.events.length;
    await h.send({ type: 'run.pause' });
    const paused = await h.waitFor('run.status', (e) => e.status === 'paused', from);
    expect(paused.step).toBeLessThan(300);
    const settled = await h.waitFor('run.status', (e) => e.status === 'paused', h.events.indexOf(paused) + 1);
    // The step in progress when the pause arrived may finish; none after it starts.
    expect(settled.step - paused.step).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 100));
    const counters = h.events.length;
    await h.send({ type: 'debug.counters' });
    expect(h.of('debug.counters', counters)[0]!.step).toBe(settled.step);

    const resumedFrom = h.events.length;
    await h.send({ type: 'run.resume' });
    expect(h.of('run.config', resumedFrom)).toHaveLength(1);
    await h.waitFor('run.progress', (e) => e.step >= settled.step + 2, resumedFrom);
    await h.send({ type: 'run.reset' });
    expect(h.malformed).toEqual([]);
  });
});

describe('profiling a run', () => {
  it('profiles the next steps of a paused run, pauses again, and reports memory with the metrics', async () => {
    const h = new Harness(memoryStore());
    await h.start({ ...CONFIG, optim: { ...CONFIG.optim, teacherSteps: 400 } });
    await h.step(2);
    const from = h.events.length;
    await h.send({ type: 'run.profile', steps: 4 });
    const event = await h.waitFor('run.profile', () => true, from);
    const { profile } = event;
    expect(profile).toMatchObject({ steps: 4, backend: 'cpu', clock: 'wall', emulated: false });
    expect(profile.rows.length).toBeGreaterThan(10);
    expect(profile.rows.reduce((s, r) => s + r.msPerStep, 0)).toBeCloseTo(profile.totalMsPerStep, 6);
    // The cpu backend runs each kernel as it is called: the kernels' time is most of the step's.
    expect(profile.totalMsPerStep).toBeGreaterThan(0);
    expect(profile.totalMsPerStep).toBeLessThanOrEqual(profile.wallMsPerStep);
    expect(profile.peakBytes).toBeGreaterThan(0);
    // Exactly the steps profiled were run, then the run paused where it was.
    const paused = await h.waitFor('run.status', (e) => e.status === 'paused', from);
    expect(paused.step).toBe(6);
    const memory = h.of('run.memory', from).at(-1)!.memory;
    expect(memory.tensorBytes).toBeGreaterThan(0);
    expect(memory.peakTensorBytes).toBeGreaterThanOrEqual(memory.tensorBytes);
    expect(memory.gpuBytes).toBeNull();

    // A run dropped before its profile ran answers the request with an error.
    await h.send({ type: 'run.pause' });
    const before = h.events.length;
    const id = (h as unknown as { nextId: number }).nextId;
    (h.session as unknown as { run: { status: string } }).run.status = 'loading';
    await h.send({ type: 'run.profile', steps: 3 });
    await h.send({ type: 'run.reset' });
    expect(h.of('error', before).map((e) => [e.requestId, e.message])).toEqual([
      [id, 'The run ended before its steps were profiled.'],
    ]);
    expect(h.malformed).toEqual([]);
  });
});

describe('the first checkpoint of a phase', () => {
  it('is written right after the first metrics read, not 20 s later', async () => {
    const h = new Harness(memoryStore());
    const started = performance.now();
    await h.start({ ...CONFIG, optim: { ...CONFIG.optim, teacherSteps: 400 } }, { paused: false });
    const saved = await h.waitFor('run.checkpointed');
    const firstRead = h.rows('teacher');
    expect(saved.phase).toBe('teacher');
    // Saved at the step of the first read (the read happens once 10 steps are pending).
    expect(saved.step).toBe(firstRead[firstRead.length - 1]!.step + 1);
    expect(performance.now() - started).toBeLessThan(20_000);
    await h.send({ type: 'run.reset' });
  });

  it('that cannot be written (storage full) is said as a SaveError, and training goes on', async () => {
    const store = memoryStore();
    const full: SavedRunStore = {
      ...store,
      save: async () => {
        throw Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
      },
    };
    const h = new Harness(full);
    await h.start({ ...CONFIG, optim: { ...CONFIG.optim, teacherSteps: 400 } }, { paused: false });
    const error = await h.waitFor('error', (e) => e.name === 'SaveError');
    expect(error.message).toMatch(/storage is full/);
    const step = h.of('run.progress').at(-1)!.step;
    await h.waitFor('run.progress', (e) => e.step > step + 5);
    await h.send({ type: 'run.reset' });
  });
});

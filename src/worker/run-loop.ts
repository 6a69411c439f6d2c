/**
 * The training loop of one run and its cadence. The loop enqueues a step, yields to the event
 * loop so commands (pause, new weights) get through between any two steps, and reads the
 * metrics of many steps at once; relation maps are read at most every MAPS_INTERVAL_MS.
 */

import { baselineSpecs } from '../engine/baselines';
import type { Dataset } from '../engine/data/dataset';
import { type MetricRow, MIN_STEPS_PER_READ } from '../engine/pending-metrics';
import { Trainer } from '../engine/trainer';
import { stepEnqueued } from './fault-injection';
import { type Post, type Run, startWarmUp } from './run';
import { checkpointDue } from './run-checkpoint';
import { postMemory, runProfiledSteps } from './step-profiler';

/** Metrics are read at most this often, so the page updates a few times a second. */
const READ_INTERVAL_MS = 250;
const PROGRESS_INTERVAL_MS = 150;
const MAPS_INTERVAL_MS = 1000;
const MIN_STEPS_PER_MAPS = 50;

/** What the loop needs from the session that owns the run. */
export interface LoopHost {
  readonly post: Post;
  readonly dataset: Dataset;
  /** Whether `run` is still the session's run: a reset or a new start replaces it. */
  isCurrent(run: Run): boolean;
  /** True once the GPU device is lost: every pending read fails, and the page has been told. */
  readonly deviceGone: boolean;
  /**
   * Whether the GPU device is lost, waiting a moment for its lost promise: a destroyed device
   * fails the pending reads before that promise settles.
   */
  deviceLostSoon(): Promise<boolean>;
  postMaps(run: Run): Promise<void>;
  saveCheckpoint(run: Run): Promise<void>;
  /** Deletes the run's save slot (the run has finished). */
  deleteSaved(run: Run): Promise<void>;
}

/** Yields to the worker's event loop without setTimeout's 4 ms clamp. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** How often a worker busy compiling says it is alive. */
const HEARTBEAT_MS = 5000;

/** Waits for `work`, calling `beat` every HEARTBEAT_MS meanwhile. */
async function withHeartbeat(work: Promise<unknown>, beat: () => void): Promise<void> {
  const timer = setInterval(beat, HEARTBEAT_MS);
  try {
    await work;
  } finally {
    clearInterval(timer);
  }
}

export function postStatus(post: Post, run: Run): void {
  post({
    type: 'run.status',
    runId: run.runId,
    status: run.status,
    phase: run.phase,
    step: run.trainer.step,
    totalSteps: run.trainer.totalSteps,
    reason: run.reason,
  });
}

/** Echoes the config the run trains with, so the page labels its curves by what was applied. */
export function postConfig(post: Post, run: Run): void {
  post({
    type: 'run.config',
    runId: run.runId,
    phase: run.phase,
    step: run.trainer.step,
    config: run.trainer.config,
  });
}

export function postProgress(post: Post, run: Run, force = false): void {
  const now = performance.now();
  if (!force && now - run.lastProgressAt < PROGRESS_INTERVAL_MS) return;
  const steps = run.trainer.step - run.lastRead.step;
  const seconds = (now - run.lastRead.time) / 1000;
  const stepsPerSecond = steps > 0 && seconds > 0 ? steps / seconds : 0;
  run.lastProgressAt = now;
  post({
    type: 'run.progress',
    runId: run.runId,
    phase: run.phase,
    step: run.trainer.step,
    totalSteps: run.trainer.totalSteps,
    epoch: run.trainer.epoch,
    imagesPerSecond: stepsPerSecond * run.trainer.config.optim.batch,
    etaSeconds:
      stepsPerSecond > 0 ? (run.trainer.totalSteps - run.trainer.step) / stepsPerSecond : Number.NaN,
  });
}

/** Sets the run training and starts its loop unless one is running. */
export function continueRun(host: LoopHost, run: Run): void {
  run.status = 'training';
  run.reason = null;
  run.lastRead = { time: performance.now(), step: run.trainer.step };
  postStatus(host.post, run);
  if (!run.looping) void loop(host, run);
}

async function loop(host: LoopHost, run: Run): Promise<void> {
  const { post } = host;
  run.looping = true;
  try {
    // The first step would compile every pipeline one by one: wait for the parallel warm-up,
    // saying meanwhile that the worker is alive (the page's supervisor counts these beats
    // until the first step; on an emulated GPU under load the warm-up takes minutes).
    await withHeartbeat(run.warmUp, () => host.isCurrent(run) && postProgress(post, run, true));
    while (host.isCurrent(run) && run.status === 'training') {
      const trainer = run.trainer;
      if (trainer.step >= trainer.totalSteps) {
        await flush(host, run);
        if (run.phase === 'teacher') await beginStudentPhase(host, run);
        else await finish(host, run);
        continue;
      }
      // The fault hook: one step at an absurd learning rate sends the weights to infinity.
      trainer.learningRateOverride = run.poison ? Number.POSITIVE_INFINITY : null;
      run.poison = false;
      const profile = run.profileRequest;
      run.profileRequest = null;
      let stepped = 1;
      if (profile) stepped = await runProfiledSteps(post, run, profile);
      else trainer.trainStep();
      if (!host.isCurrent(run)) return;
      stepEnqueued(trainer.step);
      if (run.stepBudget !== null) run.stepBudget = Math.max(0, run.stepBudget - stepped);
      const budgetDone = run.stepBudget === 0;
      const now = performance.now();
      const dueRead =
        trainer.pendingSteps >= MIN_STEPS_PER_READ && now - run.lastRead.time >= READ_INTERVAL_MS;
      postProgress(post, run, budgetDone);
      const previousRead = run.lastRead.time;
      if (dueRead || budgetDone || trainer.step >= trainer.totalSteps) {
        await flush(host, run);
        if (!host.isCurrent(run)) return;
      } else {
        await yieldToEvents();
      }
      if (budgetDone && run.status === 'training') {
        run.status = 'paused';
        run.stepBudget = null;
      }
      if (
        run.status === 'training' &&
        now - run.lastMaps.time >= MAPS_INTERVAL_MS &&
        trainer.step - run.lastMaps.step >= MIN_STEPS_PER_MAPS
      ) {
        await host.postMaps(run);
      }
      // Saved right after a metrics read, when no step is pending: on an emulated GPU (SwiftShader)
      // a checkpoint read behind unread steps stalled the loop for over a minute.
      const readAt = run.lastRead.time;
      if (
        dueRead &&
        run.status === 'training' &&
        checkpointDue(readAt, run.lastCheckpointAt, readAt - previousRead)
      )
        await host.saveCheckpoint(run);
    }
    if (host.isCurrent(run) && run.status === 'paused') {
      await flush(host, run);
      postProgress(post, run, true);
      postStatus(post, run);
      await host.postMaps(run);
      await host.saveCheckpoint(run);
    }
  } catch (err) {
    // After a lost device every pending read fails; deviceLost() tells the page (not as a
    // second, "Training stopped" message).
    if (host.deviceGone || !host.isCurrent(run) || (await host.deviceLostSoon())) return;
    const message = err instanceof Error ? err.message : String(err);
    run.status = 'paused';
    run.reason = `Training stopped: ${message}`;
    postStatus(post, run);
    post({
      type: 'error',
      requestId: null,
      name: err instanceof Error ? err.name : 'Error',
      message: run.reason,
      stack: err instanceof Error ? (err.stack ?? null) : null,
    });
  } finally {
    run.looping = false;
    // A resume that arrived while this loop was winding down (saving, drawing maps) found it
    // still running and started none: pick it up here.
    if (host.isCurrent(run) && run.status === 'training' && !host.deviceGone) void loop(host, run);
  }
}

/** Reads pending metrics (one transfer), posts them, and pauses on a non-finite loss. */
async function flush(host: LoopHost, run: Run): Promise<void> {
  const rows: MetricRow[] = await run.trainer.readMetrics();
  if (!host.isCurrent(run) || !rows.length) return;
  host.post({ type: 'run.metrics', runId: run.runId, phase: run.phase, rows });
  postMemory(host.post, run);
  run.lastRead = { time: performance.now(), step: run.trainer.step };
  for (const row of rows) {
    const bad = Object.entries(row.values).find(([, v]) => !Number.isFinite(v));
    if (bad) {
      const [term, value] = bad;
      run.status = 'paused';
      run.reason =
        `The ${term} loss became ${value} at step ${row.step}. Training paused: lower the learning rate ` +
        '(or the weight of that term) and reset.';
      host.post({ type: 'run.fault', runId: run.runId, kind: 'nan', message: run.reason, term });
      postStatus(host.post, run);
      return;
    }
  }
}

/** The teacher is trained: evaluate it, keep its checkpoint, and train the student under it. */
async function beginStudentPhase(host: LoopHost, run: Run): Promise<void> {
  const teacherTrainer = run.trainer;
  const result = await teacherTrainer.evaluate();
  host.post({ type: 'run.eval', runId: run.runId, phase: 'teacher', result });
  run.teacherCheckpoint = await teacherTrainer.checkpoint();
  const teacher = teacherTrainer.teacher;
  const config = teacherTrainer.config;
  teacherTrainer.dispose(false);
  run.phase = 'student';
  run.trainer = new Trainer({
    config,
    phase: 'student',
    dataset: host.dataset,
    teacher,
    baselines: baselineSpecs(config),
    normalization: teacherTrainer.normalization,
  });
  run.lastRead = { time: performance.now(), step: 0 };
  run.lastMaps = { time: 0, step: -Infinity };
  // The student's pipelines compile while the switch is saved; the page counts the beats as
  // signs of life, as before a run's first step.
  run.warmUp = startWarmUp(config, 'student');
  postStatus(host.post, run);
  await host.saveCheckpoint(run);
  await withHeartbeat(run.warmUp, () => host.isCurrent(run) && postProgress(host.post, run, true));
}

async function finish(host: LoopHost, run: Run): Promise<void> {
  const result = await run.trainer.evaluate();
  host.post({ type: 'run.eval', runId: run.runId, phase: run.phase, result });
  run.status = 'done';
  postProgress(host.post, run, true);
  postStatus(host.post, run);
  await host.postMaps(run);
  await host.deleteSaved(run);
}

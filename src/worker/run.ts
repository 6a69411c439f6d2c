/**
 * One run in the worker: what it is (trainer, phase, the trained teacher's checkpoint) and
 * where its loop stands. The run's config lives in its trainer, the one copy the worker keeps.
 */

import { baselineSpecs } from '../engine/baselines';
import { decodeCheckpoint, type EncodedCheckpoint } from '../engine/checkpoint';
import type { Dataset } from '../engine/data/dataset';
import { type AugmentConfig, STANDARD_AUGMENT } from '../engine/data/gpu-data';
import { warmUpPipelines } from '../engine/diagnostics/warm-up';
import type { Phase } from '../engine/spec/checkpoint-format';
import type { RunConfig } from '../engine/spec/config';
import { Trainer } from '../engine/trainer';
import type { Vit } from '../engine/vit';
import type { SavedRunStore } from './saved-run';
import type { Command, MapView, RunStatusName, TeacherSource, WorkerEvent } from './shared/protocol';
import type { ProfileRequest } from './step-profiler';

export type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

export interface Run {
  runId: number;
  /** The run's save slot (saved-run.ts), kept across phases and across a continue. */
  saveId: string;
  phase: Phase;
  trainer: Trainer;
  /** The trained teacher's checkpoint once the student phase runs (kept for saving). */
  teacherCheckpoint: EncodedCheckpoint | null;
  status: RunStatusName;
  /** Steps left before pausing by itself (run.step), or null to run to the end. */
  stepBudget: number | null;
  reason: string | null;
  looping: boolean;
  view: MapView;
  lastRead: { time: number; step: number };
  lastProgressAt: number;
  lastMaps: { time: number; step: number };
  lastCheckpointAt: number;
  /** Releases the Web Lock on the save slot (slot-lock.ts) when the run is dropped. */
  releaseSlot: () => void;
  /** The IndexedDB write of the last checkpoint, which runs while training goes on. */
  pendingSave: Promise<void>;
  /** Test hook: the next step runs at an infinite learning rate. */
  poison: boolean;
  /** The next steps are to be profiled (step-profiler.ts), for the page's request. */
  profileRequest: ProfileRequest | null;
  /**
   * The pipelines of the run's steps compiling in parallel (warm-up.ts), started before the
   * trainer uploads the data; the loop waits for it before its first step. Never rejects.
   */
  warmUp: Promise<unknown>;
}

/** The config a run actually trains with: the dataset decides the number of classes. */
export function fitToDataset(config: RunConfig, dataset: Dataset): RunConfig {
  const classes = dataset.classNames.length;
  return {
    ...config,
    teacher: { ...config.teacher, numClasses: classes },
    student: { ...config.student, numClasses: classes },
  };
}

/**
 * Starts compiling the pipelines of the fast steps of the phase the run is in (the student
 * phase's are compiled when it begins, run-loop.ts). Its trace runs now; what it returns is the
 * compilation, for the loop to wait on. A failure only loses the head start: the first step
 * compiles as it always did.
 */
export function startWarmUp(config: RunConfig, phase: Phase, augment?: AugmentConfig): Promise<unknown> {
  try {
    return warmUpPipelines({
      config,
      phase,
      followingPhase: false,
      stepKinds: ['fast'],
      baselines: baselineSpecs(config),
      augment: augment ?? STANDARD_AUGMENT,
    }).catch(() => null);
  } catch {
    return Promise.resolve(null);
  }
}

/**
 * Builds the run a run.start asks for: the saved run continued, a student phase under a
 * given teacher, or a fresh teacher phase. It starts paused; the caller sets it going.
 */
export async function createRun(
  // A shipped teacher ('site') is downloaded by the session before: here it is a checkpoint.
  cmd: Omit<Extract<Command, { type: 'run.start' }>, 'teacher'> & {
    teacher: Exclude<TeacherSource, { kind: 'site' }>;
  },
  dataset: Dataset,
  saved: SavedRunStore,
): Promise<Run> {
  let config = fitToDataset(cmd.config, dataset);
  let phase: Phase = 'teacher';
  let trainer: Trainer;
  let teacherCheckpoint: EncodedCheckpoint | null = null;
  let warmUp: Promise<unknown>;
  const previous = cmd.resumeSaved ? await saved.load(cmd.saveId) : null;
  if (cmd.resumeSaved && !previous)
    throw new Error('That saved run is no longer in this browser (deleted, or finished in another tab).');
  if (previous) {
    config = previous.config;
    phase = previous.phase;
    // Compiles while the checkpoint decodes and the trainer uploads the data.
    warmUp = startWarmUp(config, phase, previous.manifest.augment);
    const decoded = await decodeCheckpoint(previous.manifest, previous.weights);
    let teacher: Vit | undefined;
    if (phase === 'student') {
      teacher = decoded.models.get('teacher')?.model;
      teacherCheckpoint = previous.teacher;
    }
    trainer = new Trainer({
      config,
      phase,
      dataset,
      teacher,
      resume: decoded,
      baselines: baselineSpecs(config),
    });
  } else if (cmd.teacher.kind === 'checkpoint') {
    const decoded = await decodeCheckpoint(cmd.teacher.manifest, cmd.teacher.weights, {
      withOptimizers: false,
    });
    const teacher = decoded.models.get('teacher')?.model;
    if (!teacher) throw new Error('The teacher file holds no teacher model.');
    for (const [role, m] of decoded.models) if (role !== 'teacher') m.model.dispose();
    config = { ...config, teacher: teacher.config };
    phase = 'student';
    teacherCheckpoint = { manifest: cmd.teacher.manifest, weights: cmd.teacher.weights };
    warmUp = startWarmUp(config, phase);
    trainer = new Trainer({
      config,
      phase,
      dataset,
      teacher,
      baselines: baselineSpecs(config),
      normalization: cmd.teacher.manifest.normalization,
    });
  } else {
    warmUp = startWarmUp(config, phase);
    trainer = new Trainer({ config, phase, dataset });
  }
  const now = performance.now();
  return {
    runId: cmd.runId,
    saveId: cmd.saveId,
    phase,
    trainer,
    teacherCheckpoint,
    status: 'paused',
    stepBudget: null,
    reason: null,
    looping: false,
    view: { pair: 0, image: 0, position: 0 },
    lastRead: { time: now, step: trainer.step },
    lastProgressAt: 0,
    lastMaps: { time: 0, step: -Infinity },
    // The first checkpoint follows the first metrics read: a lost device then costs seconds.
    lastCheckpointAt: Number.NEGATIVE_INFINITY,
    pendingSave: Promise.resolve(),
    releaseSlot: () => {},
    poison: false,
    profileRequest: null,
    warmUp,
  };
}

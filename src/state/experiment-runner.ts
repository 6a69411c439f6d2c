import { get as idbGet, set as idbSet } from 'idb-keyval';
import { create } from 'zustand';
import type { RunConfig } from '../engine/spec/config';
import { runCurve } from './experiment-curves';
import { fillFormFromExperiment } from './experiment-form';
import {
  type ExperimentDefinition,
  experimentProblems,
  experimentQueue,
  objectiveById,
  type QueuedRun,
  type RunResult,
} from './experiment-plan';
import { activeSaveId, listSavedRuns, startRun } from './run-actions';
import { useAppStore } from './store';

/**
 * Runs an experiment's queue one run after another through the normal run commands: each run
 * is the edited config with the objective's loss weights, the run's seed (the same seed draws the
 * same student weights and batches for every objective) and its steps. The teacher is whatever a
 * plain Start uses: the shipped one for every run, or one trained here from the run's seed.
 * The queue is kept in IndexedDB with its finished results and the save slot of the run in
 * progress, so after a reload the finished results are there and "Resume experiment" continues
 * the interrupted run from its last save (saved-run.ts), then the rest.
 */

const RESULTS_KEY = 'kd-playground:experiment-results';

/** What IndexedDB keeps of an experiment. */
interface SavedExperiment {
  definition: ExperimentDefinition;
  results: RunResult[];
  /** The settings being edited when it started: restored when it ends. */
  edited?: RunConfig;
  /** Shipped teacher or one trained here: the same for every run, across a reload too. */
  teacherChoice?: 'pretrained' | 'train';
  /** The run in progress: its place in the queue and its save slot. */
  running?: { index: number; saveId: string | null } | null;
}

export interface ExperimentState {
  /** 'interrupted': a reload ended the page while a run of the queue was in progress. */
  status: 'idle' | 'running' | 'done' | 'stopped' | 'interrupted' | 'error';
  definition: ExperimentDefinition | null;
  queue: QueuedRun[];
  /** Index in the queue of the run in progress (or the next one). */
  current: number;
  results: RunResult[];
  /** Wall time of each finished run of this session, for the estimate of the time left. */
  runSeconds: number[];
  message: string | null;
}

export const useExperimentStore = create<ExperimentState>(() => ({
  status: 'idle',
  definition: null,
  queue: [],
  current: 0,
  results: [],
  runSeconds: [],
  message: null,
}));

/** Seconds left: the mean time of the runs so far, times the runs still to go; null before one ends. */
export function secondsLeft(s: ExperimentState): number | null {
  if (s.status !== 'running' || s.runSeconds.length === 0) return null;
  const mean = s.runSeconds.reduce((a, b) => a + b, 0) / s.runSeconds.length;
  return mean * (s.queue.length - s.current);
}

async function loadSaved(): Promise<SavedExperiment | null> {
  try {
    return (await idbGet<SavedExperiment>(RESULTS_KEY)) ?? null;
  } catch {
    return null; // No IndexedDB (private mode): the experiment lives only as long as the page.
  }
}

async function persist(saved: SavedExperiment): Promise<void> {
  try {
    await idbSet(RESULTS_KEY, saved);
  } catch {
    // As above: kept in the page only.
  }
}

/** The experiment of an earlier visit: its finished results, and whether a run was cut short. */
export async function loadExperimentResults(): Promise<void> {
  const saved = await loadSaved();
  if (!saved || useExperimentStore.getState().status === 'running') return;
  const queue = experimentQueue(saved.definition);
  const next = queue[saved.results.length];
  const interrupted = Boolean(saved.running) && next !== undefined;
  useExperimentStore.setState({
    definition: saved.definition,
    queue,
    current: saved.results.length,
    results: saved.results,
    status: saved.results.length >= queue.length ? 'done' : interrupted ? 'interrupted' : 'stopped',
    message: interrupted
      ? `Run ${saved.results.length + 1} of ${queue.length} (${objectiveById(next!.objective).title}, seed ${next!.seed}) ` +
        'was cut short when the page closed. Resume experiment continues it from its last save; the finished runs are kept.'
      : null,
  });
  fillFormFromExperiment(saved.definition, true);
}

let stopRequested = false;

/** Stops after the run in progress ends. */
export function stopExperiment(): void {
  stopRequested = true;
}

/** Resolves when run `runId` is done or failed: the final student accuracy, or null. */
function runEnded(runId: number): Promise<number | null> {
  return new Promise((resolve) => {
    const check = () => {
      const { run } = useAppStore.getState();
      if (run.runId !== runId) return finishWith(null);
      if (run.status === 'error') return finishWith(null);
      if (run.status !== 'done') return;
      const last = run.accuracyRows.filter((r) => r.phase === 1 && r.student !== undefined).at(-1);
      finishWith(last?.student ?? null);
    };
    const unsubscribe = useAppStore.subscribe(check);
    function finishWith(v: number | null) {
      unsubscribe();
      resolve(v);
    }
    check();
  });
}

/** Runs the queue of `definition` from its start; results of an earlier experiment are replaced. */
export async function runExperiment(definition: ExperimentDefinition): Promise<void> {
  const problems = experimentProblems(definition);
  if (problems.length) {
    useExperimentStore.setState({ status: 'error', message: problems.join(' ') });
    return;
  }
  if (useExperimentStore.getState().status === 'running') return;
  await runQueue(definition, [], useAppStore.getState().config, null);
}

/** Continues the experiment a reload interrupted: its cut-short run from its save, then the rest. */
export async function resumeExperiment(): Promise<void> {
  if (useExperimentStore.getState().status === 'running') return;
  // Running from the click on: the lookups below take a moment, and a second click or a
  // "Run experiment" in between must not start another queue.
  useExperimentStore.setState({ status: 'running', message: null });
  const saved = await loadSaved();
  if (!saved) {
    useExperimentStore.setState({
      status: 'stopped',
      message: 'The interrupted experiment is no longer saved.',
    });
    return;
  }
  const saveId = saved.running?.saveId ?? null;
  // A run that never reached its first save starts again from its beginning.
  const listed = saveId !== null && (await listSavedRuns().catch(() => [])).some((r) => r.id === saveId);
  if (saved.teacherChoice) useAppStore.getState().setTeacherChoice(saved.teacherChoice);
  await runQueue(
    saved.definition,
    saved.results,
    saved.edited ?? useAppStore.getState().config,
    listed ? saveId : null,
  );
}

async function runQueue(
  definition: ExperimentDefinition,
  done: RunResult[],
  edited: RunConfig,
  resumeSaveId: string | null,
): Promise<void> {
  const queue = experimentQueue(definition);
  const teacherChoice = useAppStore.getState().teacherChoice;
  const save = (results: RunResult[], running: SavedExperiment['running']) =>
    persist({ definition, results, edited, teacherChoice, running });
  stopRequested = false;
  useExperimentStore.setState({
    status: 'running',
    definition,
    queue,
    current: done.length,
    results: done,
    runSeconds: [],
    message: null,
  });
  fillFormFromExperiment(definition);
  await save(done, null);
  try {
    for (let i = done.length; i < queue.length; i++) {
      if (stopRequested) {
        useExperimentStore.setState({
          status: 'stopped',
          message: `Stopped after ${i} of ${queue.length} runs.`,
        });
        return;
      }
      const { objective, seed } = queue[i]!;
      useExperimentStore.setState({ current: i });
      const resumeSaved = i === done.length && resumeSaveId !== null ? resumeSaveId : undefined;
      if (!resumeSaved) {
        useAppStore.getState().replaceConfig(edited);
        useAppStore.getState().setConfig({
          seed,
          // No baseline student beside it: each objective is a run of its own.
          baseline: 'none',
          optim: { steps: definition.steps },
          loss: objectiveById(objective).loss,
        });
      }
      const started = performance.now();
      if (!(await startRun({ resumeSaved })))
        throw new Error(useAppStore.getState().run.reason ?? 'the run did not start');
      const results = useExperimentStore.getState().results;
      await save(results, { index: i, saveId: activeSaveId() });
      const accuracy = await runEnded(useAppStore.getState().run.runId);
      if (accuracy === null)
        throw new Error(`${objectiveById(objective).title}, seed ${seed}, ended without a test accuracy`);
      const seconds = (performance.now() - started) / 1000;
      const s = useExperimentStore.getState();
      const curve = runCurve(useAppStore.getState().run.studentRows);
      const finished = [
        ...s.results,
        { objective, seed, testAccuracy: accuracy, trainSeconds: seconds, curve },
      ];
      useExperimentStore.setState({
        results: finished,
        runSeconds: [...s.runSeconds, seconds],
        current: i + 1,
      });
      await save(finished, null);
    }
    useExperimentStore.setState({ status: 'done' });
  } catch (e) {
    useExperimentStore.setState({
      status: 'error',
      message: `The experiment stopped: ${e instanceof Error ? e.message : String(e)}. Finished runs are kept.`,
    });
    await save(useExperimentStore.getState().results, null);
  } finally {
    useAppStore.getState().replaceConfig(edited);
  }
}

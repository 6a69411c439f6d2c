/**
 * What the page asks of the worker, as store actions: start, pause, step, reset, new weights,
 * maps, images, export. The worker bridge (worker/bridge.ts) carries the commands; the events
 * coming back update the store through worker-events.ts.
 */

import type { BackendName } from '../engine/spec/backend-report';
import type { LossConfig, RunConfig } from '../engine/spec/config';
import { type CommandBody, WorkerBridge } from '../worker/client/bridge';
import type { DataSource, MapView, ProbeImage, TeacherSource, WorkerEvent } from '../worker/shared/protocol';
import { FALLBACKS, hungMessage, StartDeadline, type StartSetting } from './backend-start-guard';
import { pretrainedTeacherFor, siteTeacher, teacherFitsData } from './pretrained-teachers';
import { createRecovery } from './run-recovery';
import { runViewsAt, viewsToRestore } from './run-views';
import { starterSource } from './site-data';
import { useAppStore } from './store';
import { applyWorkerEvent } from './worker-events';

/** The run the page shows; events of any other run are dropped. */
let currentRunId = 0;
/** The save slot of the run the page shows (saved-run.ts): continued after a lost GPU device. */
let currentSaveId: string | null = null;

/** The save slot of the run in progress (null before the first start). */
export function activeSaveId(): string | null {
  return currentSaveId;
}

/** A save slot's id, unique across tabs: time first (readable), then 64 random bits. */
function newSaveId(): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
    b.toString(16).padStart(2, '0'),
  );
  return `${Date.now().toString(36)}-${random.join('')}`;
}

/** Whether the current run's failing saves have been told (once per run; then a lasting line). */
let toldSaveFailure = false;

const bridge = new WorkerBridge({
  onEvent: (event) => {
    recovery.heard();
    if (event.type === 'backend.progress')
      for (const d of startDeadlines) d.progress(event.name, event.stage);
    applyWorkerEvent(event, {
      isCurrent: (runId) => runId === currentRunId,
      recoverFromDeviceLoss: (message) => recovery.recover('device-lost', message),
      keepViews,
      saveFailed,
    });
  },
  onMalformed: (message) => {
    recovery.heard();
    useAppStore.getState().notify({ kind: 'error', message });
  },
  onCrash: (message) => {
    const { run } = useAppStore.getState();
    // A run that was training goes on in a fresh worker, a paused one comes back paused;
    // otherwise the user decides.
    if (run.status === 'training' || run.status === 'paused' || recovery.recovering) {
      void recovery.recover('worker', message, { paused: run.status === 'paused' });
      return;
    }
    workerStopped(message);
  },
});

/** The worker is gone with no run to continue: said, with a button that starts a fresh one. */
function workerStopped(message: string): void {
  useAppStore.getState().runtimeFailed(message);
  useAppStore.getState().notify({
    kind: 'error',
    message: `${message} Press Reset to start a fresh worker.`,
    action: { label: 'Restart worker', run: () => void restartWorker() },
  });
}

/** The supervisor of the run (run-recovery.ts); main.tsx starts its stall checks. */
export const recovery = createRecovery({
  restartWorker: () => restartWorker(),
  saveId: () => currentSaveId,
  savedStep: async (id) => (await listSavedRuns()).find((r) => r.id === id) ?? null,
  // A run that trained trains on, whether it was started with Start or with Step.
  resume: (id, paused) => startRun({ ...lastStart, paused, resumeSaved: id, afterFault: true }),
  startOver: (paused) => startRun({ ...lastStart, paused, afterFault: true }),
  ping: () => void bridge.request({ type: 'worker.ping' }).catch(() => {}),
  workerStopped,
});

/** A checkpoint could not be written: said once per run, then a lasting line in the run panel. */
function saveFailed(message: string): void {
  const store = useAppStore.getState();
  const full = /storage is full/.test(message);
  store.runNotSaved(
    `Not saved in this browser: ${full ? 'storage full' : 'the last save failed'}; export the weights to keep them.`,
  );
  if (toldSaveFailure) return;
  toldSaveFailure = true;
  store.notify({ kind: 'error', message });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Keeps the page's views of the run (curves, map timeline) with its save at `step`, so continuing
 * it after a reload shows them whole. Best effort: a failure costs only the views.
 */
function keepViews(step: number): void {
  const s = useAppStore.getState();
  if (!currentSaveId || s.run.status === 'done') return;
  void bridge
    .request({ type: 'saved.keepViews', id: currentSaveId, views: runViewsAt(s, step) })
    .catch(() => {});
}

/** Puts back the views kept with saved run `id` (none kept: the run's history starts where it resumes). */
async function restoreViews(id: string): Promise<void> {
  const event = await bridge.request({ type: 'saved.views', id }).catch(() => null);
  if (event?.type !== 'saved.views' || !event.saved) return;
  const { mapTimeline, ...rows } = viewsToRestore(event.saved);
  useAppStore.setState((s) => ({ run: { ...s.run, ...rows }, mapTimeline }));
}

/**
 * The deadlines on the backend starts in flight, told of the worker's backend.progress events
 * (more than one only when inits overlap, as React's StrictMode makes them in development).
 */
const startDeadlines = new Set<StartDeadline>();

/** Test hook: ?testhooks&hangstart makes the first backend start block its worker (e2e/start-guard.spec.ts). */
function hangFirstStartForTest(): boolean {
  const query = new URLSearchParams(globalThis.location?.search ?? '');
  return query.has('testhooks') && query.has('hangstart');
}

/** One backend.init under the start deadline: resolves with the backend whose start hung, or 'ready'. */
function guardedInit(body: CommandBody): Promise<{ hung: BackendName | null } | 'ready'> {
  let deadline: StartDeadline | null = null;
  const outcome = new Promise<{ hung: BackendName | null } | 'ready'>((resolve, reject) => {
    deadline = new StartDeadline((hung) => resolve({ hung }));
    startDeadlines.add(deadline);
    bridge.request(body).then(() => resolve('ready'), reject);
  });
  return outcome.finally(() => {
    if (!deadline) return;
    deadline.stop();
    startDeadlines.delete(deadline);
  });
}

/**
 * Starts (or restarts) TF.js in the worker on the chosen backend, with fallback. A start that
 * does not end within 30 s gets its worker ended and a fresh one on the next-safest setting
 * (backend-start-guard.ts), and the page says why.
 */
export async function initBackend(): Promise<boolean> {
  const store = useAppStore.getState();
  // What the last worker's self-tests showed holds for a fresh one on the same adapter: a
  // restart after a fault skips testing again (backend-setup.ts checks the adapter).
  let trusted = store.runtime.selfTests.filter((t) => t.passed);
  store.backendLoading();
  let setting: Omit<StartSetting, 'label'> = { choice: store.config.backend };
  let hangForTest = hangFirstStartForTest();
  try {
    for (let next = 0; ; next++) {
      const body: CommandBody = {
        type: 'backend.init',
        config: useAppStore.getState().config,
        ...setting,
        ...(hangForTest ? { hangForTest: true as const } : {}),
        ...(trusted.length ? { trusted } : {}),
      };
      hangForTest = false;
      // A start that hung is replaced by a safer setting, which is tested afresh.
      trusted = [];
      const outcome = await guardedInit(body);
      if (outcome === 'ready') return true;
      const fallback = FALLBACKS[next] ?? null;
      const why = hungMessage(outcome.hung, fallback);
      useAppStore.getState().backendFellBack(why);
      useAppStore.getState().notify({ kind: 'error', message: why });
      bridge.restart();
      useAppStore.getState().dataLoaded(null);
      if (!fallback) throw new Error(why);
      setting = { choice: fallback.choice, wasmThreads: fallback.wasmThreads };
    }
  } catch (err) {
    useAppStore.getState().runtimeFailed(errorMessage(err));
    return false;
  }
}

/**
 * Step times of `config` on the active backend, per phase, for the estimate before Start: the
 * worker measures a few steps (or remembers them), or says why it does not on this backend.
 */
export async function requestStepTimes(
  config: RunConfig,
  phases: ('teacher' | 'student')[],
): Promise<Omit<Extract<WorkerEvent, { type: 'backend.estimate' }>, 'type' | 'requestId'>> {
  const event = await bridge.request({ type: 'backend.estimate', config, phases });
  if (event.type !== 'backend.estimate') throw new Error(`Expected step times, got ${event.type}.`);
  return { timings: event.timings, unmeasured: event.unmeasured };
}

/** Ends the current worker and starts a fresh one with the same backend choice. */
export async function restartWorker(): Promise<boolean> {
  bridge.restart();
  useAppStore.getState().dataLoaded(null);
  return initBackend();
}

function dataSource(): DataSource {
  const { config, cifarSource } = useAppStore.getState();
  if (config.data === 'cifar10') {
    if (!cifarSource)
      throw new Error(
        'CIFAR-10 is selected but no CIFAR files were given: add the archive or the .bin files.',
      );
    return cifarSource;
  }
  return config.data === 'starter' ? starterSource() : { kind: 'synthetic' };
}

async function ensureData(): Promise<void> {
  const store = useAppStore.getState();
  store.setDataLoading(true);
  try {
    await bridge.request({ type: 'data.load', source: dataSource() });
  } finally {
    useAppStore.getState().setDataLoading(false);
  }
}

/**
 * The shipped teacher for the config's data and teacher shape (state/pretrained-teachers.ts),
 * when it fits the loaded data and the user has not chosen to train one here.
 */
async function pretrainedTeacherSource(): Promise<TeacherSource | undefined> {
  const { teacherChoice, dataInfo, config } = useAppStore.getState();
  if (teacherChoice !== 'pretrained') return undefined;
  const shipped = pretrainedTeacherFor(config);
  if (!shipped || !teacherFitsData(shipped, dataInfo?.name)) return undefined;
  // The worker downloads it, saying how far it is.
  return { kind: 'site', ...siteTeacher(shipped) };
}

type StartOptions = {
  paused?: boolean;
  resumeSaved?: string;
  teacher?: TeacherSource;
  /** The same run, restarted by the supervisor: what was said about it is not said again. */
  afterFault?: boolean;
};
/** How the last run was started: "Retry" after a failed download starts it the same way. */
let lastStart: StartOptions = {};

/** Starts the last run again the way it was started (after a download failed or stalled). */
export function retryStart(): Promise<boolean> {
  return startRun(lastStart);
}

/** Starts a new run with the edited config, or continues the run saved under `resumeSaved`. */
export async function startRun(options: StartOptions = {}): Promise<boolean> {
  if (!options.afterFault) {
    lastStart = options;
    toldSaveFailure = false;
  }
  const store = useAppStore.getState();
  if (store.configProblems.length && !options.resumeSaved) {
    store.notify({ kind: 'error', message: `Fix the settings first: ${store.configProblems.join('; ')}.` });
    return false;
  }
  if (store.runtime.status !== 'idle') {
    store.notify({ kind: 'error', message: 'The backend is not ready yet.' });
    return false;
  }
  store.archiveRun();
  store.clearMaps();
  store.runDiagnosticsCleared();
  store.downloadProgress(null);
  const runId = ++currentRunId;
  const saveId = options.resumeSaved ?? newSaveId();
  currentSaveId = saveId;
  store.runStarted(runId, store.config.optim.teacherSteps);
  try {
    if (options.resumeSaved) await restoreViews(options.resumeSaved);
    await ensureData();
    const teacher = options.teacher ?? (options.resumeSaved ? undefined : await pretrainedTeacherSource());
    await bridge.request({
      type: 'run.start',
      runId,
      config: useAppStore.getState().config,
      teacher: teacher ?? { kind: 'train' },
      saveId,
      resumeSaved: options.resumeSaved !== undefined,
      paused: options.paused ?? false,
      takeOverSlot: options.afterFault ?? false,
    });
    void bridge.request({ type: 'maps.view', view: useAppStore.getState().mapView }).catch(() => {});
    return true;
  } catch (err) {
    const store = useAppStore.getState();
    if (err instanceof Error && err.name === 'MemoryLimitError') {
      // Nothing started; the worker's memory fault event has already told the user what to shrink.
      store.runRefused(err.message);
    } else {
      store.runFailed(errorMessage(err));
      store.notify({ kind: 'error', message: errorMessage(err) });
    }
    return false;
  }
}

async function command(body: CommandBody): Promise<boolean> {
  try {
    await bridge.request(body);
    return true;
  } catch (err) {
    useAppStore.getState().notify({ kind: 'error', message: errorMessage(err) });
    return false;
  }
}

export const pauseRun = () => command({ type: 'run.pause' });
export const resumeRun = () => command({ type: 'run.resume' });

/** Runs exactly `count` steps (starting a paused run first when there is none). */
export async function stepRun(count = 1): Promise<boolean> {
  const { run } = useAppStore.getState();
  if (run.status === 'idle' || run.status === 'done' || run.status === 'error') {
    if (!(await startRun({ paused: true }))) return false;
  }
  return command({ type: 'run.step', count });
}

/** Drops the run; its curves stay as a faint ghost and the saved checkpoint stays. */
export async function resetRun(): Promise<void> {
  const store = useAppStore.getState();
  currentRunId++;
  store.archiveRun();
  store.clearMaps();
  if (store.runtime.status === 'error') {
    await restartWorker();
    return;
  }
  await command({ type: 'run.reset' });
}

/**
 * New loss weights: the edited config, and the running student from its next step on. The
 * run's own config changes only when the worker echoes what it applied (run.config).
 */
export async function setLossWeights(loss: Partial<LossConfig>): Promise<void> {
  useAppStore.getState().setConfig({ loss });
  const { run } = useAppStore.getState();
  if (run.status === 'training' || run.status === 'paused') await command({ type: 'run.setLoss', loss });
}

export async function setMapView(view: Partial<MapView>): Promise<void> {
  const store = useAppStore.getState();
  store.setMapView(view);
  const { run } = useAppStore.getState();
  if (run.status !== 'idle' && run.status !== 'loading' && run.status !== 'error') {
    await command({ type: 'maps.view', view: useAppStore.getState().mapView });
  }
}

export async function evaluateNow(): Promise<boolean> {
  return command({ type: 'run.evaluate' });
}

/**
 * Profiles the run's next `steps` steps in the worker (a paused run runs them, then pauses):
 * per kernel, calls and milliseconds per step, for the Runtime panel's "Step profile".
 */
export async function profileRun(steps = 10): Promise<boolean> {
  const runId = currentRunId;
  useAppStore.getState().profileStarted();
  try {
    const event = await bridge.request({ type: 'run.profile', steps });
    const ours = event.type === 'run.profile' && runId === currentRunId && event.runId === runId;
    useAppStore
      .getState()
      .profileFinished(ours ? { profile: event.profile, step: useAppStore.getState().run.step } : null);
    return ours;
  } catch (err) {
    useAppStore.getState().profileFinished(null);
    useAppStore.getState().notify({ kind: 'error', message: errorMessage(err) });
    return false;
  }
}

/** Predictions and relation maps of the user's images, by the current models. */
export async function analyzeImages(images: ProbeImage[]): Promise<void> {
  const { run, mapView, runtime, config } = useAppStore.getState();
  if (!images.length || run.status === 'loading' || run.status === 'error') return;
  if (run.status === 'idle') {
    // Before any run, the shipped teacher for these settings judges them (when there is one).
    const shipped = runtime.status === 'idle' ? pretrainedTeacherFor(config) : null;
    if (!shipped) return;
    await command({ type: 'images.analyze', images, pair: mapView.pair, teacher: siteTeacher(shipped) });
    return;
  }
  await command({ type: 'images.analyze', images, pair: mapView.pair });
}

/** The current run's checkpoint (models, optimizer, config), for export to a file. */
export async function exportModel(): Promise<Extract<WorkerEvent, { type: 'model.exported' }> | null> {
  try {
    const event = await bridge.request({ type: 'model.export' });
    return event.type === 'model.exported' ? event : null;
  } catch (err) {
    useAppStore.getState().notify({ kind: 'error', message: errorMessage(err) });
    return null;
  }
}

export type SavedRunInfo = Extract<WorkerEvent, { type: 'saved.runs' }>['runs'][number];

/** Every run saved in this browser (by any tab), newest first. */
export async function listSavedRuns(): Promise<SavedRunInfo[]> {
  const event = await bridge.request({ type: 'saved.list' });
  return event.type === 'saved.runs' ? event.runs : [];
}

export const deleteSavedRun = (id: string) => command({ type: 'saved.delete', id });

/**
 * The page is being hidden or unloaded: ask the worker to save the run now. Best effort: a
 * reload or a closed tab ends the worker, usually before its read and write finish.
 */
export function saveRunNow(): void {
  const { status, step } = useAppStore.getState().run;
  if (status === 'training' || status === 'paused') {
    keepViews(step);
    void bridge.request({ type: 'run.save' }).catch(() => {});
  }
}

/** Test and benchmark hooks (exposed on window by main.tsx only when asked for in the URL). */
export const debugHooks = {
  counters: () => bridge.request({ type: 'debug.counters' }),
  fault: (fault: 'nan' | 'device-lost') => bridge.request({ type: 'debug.fault', fault }),
  /** A fault injected through the worker's own globals (worker/fault-injection.ts). */
  inject: (fault: 'device-lost' | 'hang-reads' | 'storage-full' | 'close', atStep: number | null = null) =>
    bridge.request({ type: 'debug.inject', fault, atStep }),
  /** Shorter stall limits for the supervisor, so tests need not wait a minute. */
  stallLimits: (limits: { floorMs?: number; firstStepMs?: number }) => recovery.setStallLimits(limits),
  /** A shorter ping interval and limit for a worker that makes no steps (a paused run). */
  livenessLimits: (limits: { intervalMs?: number; floorMs?: number }) => recovery.setLivenessLimits(limits),
  step: stepRun,
};

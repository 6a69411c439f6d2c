/**
 * The page's side of the worker: one send(), one event router into the store, and
 * request/response matching by requestId. Events of a run other than the current one are
 * dropped. The worker can be replaced by a fresh one (after a crash or a lost GPU device).
 */
import type { LossConfig } from '../engine/config';
import { fetchPretrainedTeacher, pretrainedTeacherFor } from '../state/pretrained-teachers';
import { useAppStore } from '../state/store';
import type { Command, DataSource, MapView, ProbeImage, TeacherSource, WorkerEvent } from './protocol';

type Pending = { resolve: (e: WorkerEvent) => void; reject: (err: Error) => void };
type CommandBody = Command extends infer C ? (C extends Command ? Omit<C, 'requestId'> : never) : never;

let worker: Worker | null = null;
let nextRequestId = 1;
let currentRunId = 0;
const pending = new Map<number, Pending>();

function createWorker(): Worker {
  const w = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
  w.addEventListener('message', (e: MessageEvent<unknown>) => {
    if (isWorkerEvent(e.data)) {
      route(e.data);
      return;
    }
    const message = 'The worker sent a message this page does not understand; it was ignored.';
    useAppStore.getState().notify({ kind: 'error', message });
  });
  w.addEventListener('error', (e) => {
    e.preventDefault();
    const message = `The training worker crashed (${e.message || 'unknown error'}). Press Reset to start a fresh worker.`;
    failAll(new Error(message));
    useAppStore.getState().runtimeFailed(message);
    useAppStore.getState().notify({
      kind: 'error',
      message,
      action: { label: 'Restart worker', run: () => void restartWorker() },
    });
  });
  return w;
}

const EVENT_TYPES = new Set<string>([
  'backend.ready',
  'data.ready',
  'run.status',
  'run.progress',
  'run.metrics',
  'run.eval',
  'run.checkpointed',
  'run.fault',
  'maps',
  'images.result',
  'model.exported',
  'saved.info',
  'debug.counters',
  'ok',
  'error',
] satisfies WorkerEvent['type'][]);

/** The page checks the envelope of what arrives (type, ids); payloads are typed by the protocol. */
function isWorkerEvent(data: unknown): data is WorkerEvent {
  if (typeof data !== 'object' || data === null) return false;
  const { type, runId, requestId } = data as { type?: unknown; runId?: unknown; requestId?: unknown };
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) return false;
  if (runId !== undefined && typeof runId !== 'number') return false;
  return requestId === undefined || requestId === null || typeof requestId === 'number';
}

function send(cmd: Command, transfer: Transferable[] = []): void {
  worker ??= createWorker();
  worker.postMessage(cmd, transfer);
}

/** Sends a command and resolves with the event that answers it (or rejects with its error). */
function request(body: CommandBody, transfer: Transferable[] = []): Promise<WorkerEvent> {
  const requestId = nextRequestId++;
  return new Promise((resolve, reject) => {
    pending.set(requestId, { resolve, reject });
    send({ ...body, requestId } as Command, transfer);
  });
}

function isCurrent(runId: number): boolean {
  return runId === currentRunId;
}

function route(event: WorkerEvent): void {
  const store = useAppStore.getState();
  switch (event.type) {
    case 'backend.ready':
      store.backendReady(event.backend, event.selfTests);
      break;
    case 'data.ready':
      store.dataLoaded({
        name: event.name,
        classNames: event.classNames,
        trainCount: event.trainCount,
        testCount: event.testCount,
      });
      break;
    case 'run.status':
      if (isCurrent(event.runId)) store.runStatus(event);
      break;
    case 'run.progress':
      if (isCurrent(event.runId)) store.runProgress(event);
      break;
    case 'run.metrics':
      if (isCurrent(event.runId)) store.appendMetrics(event.phase, event.rows);
      break;
    case 'run.eval':
      if (isCurrent(event.runId)) store.appendEval(event.phase, event.result);
      break;
    case 'run.checkpointed':
      if (isCurrent(event.runId)) store.runCheckpointed(event.step);
      break;
    case 'run.fault':
      handleFault(event);
      break;
    case 'maps':
      if (isCurrent(event.runId)) store.mapsArrived(event.maps, event.step, event.phase);
      break;
    case 'images.result':
      store.imagesAnalyzed(event.results, event.across);
      break;
    case 'model.exported':
    case 'saved.info':
    case 'debug.counters':
    case 'ok':
      break;
    case 'error':
      if (event.requestId === null) {
        store.notify({ kind: 'error', message: event.message });
      }
      break;
    default: {
      const unhandled: never = event;
      console.warn('Unknown worker event', unhandled);
    }
  }
  if ('requestId' in event && event.requestId !== null) {
    const p = pending.get(event.requestId);
    if (p) {
      pending.delete(event.requestId);
      if (event.type === 'error') p.reject(Object.assign(new Error(event.message), { name: event.name }));
      else p.resolve(event);
    }
  }
}

function handleFault(event: Extract<WorkerEvent, { type: 'run.fault' }>): void {
  const store = useAppStore.getState();
  if (event.kind === 'memory') {
    store.notify({ kind: 'error', message: event.message });
    return;
  }
  if (!isCurrent(event.runId)) return;
  if (event.kind === 'nan') {
    store.notify({ kind: 'error', message: event.message });
    return;
  }
  store.notify({ kind: 'error', message: `${event.message} Restarting from the last checkpoint…` });
  void recoverFromDeviceLoss();
}

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Starts (or restarts) TF.js in the worker on the chosen backend, with fallback. */
export async function initBackend(): Promise<boolean> {
  const store = useAppStore.getState();
  store.backendLoading();
  try {
    await request({ type: 'backend.init', choice: store.config.backend });
    return true;
  } catch (err) {
    store.runtimeFailed(errorMessage(err));
    return false;
  }
}

/** Ends the current worker and starts a fresh one with the same backend choice. */
export async function restartWorker(): Promise<boolean> {
  worker?.terminate();
  failAll(new Error('The worker was restarted.'));
  worker = createWorker();
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
  return { kind: 'synthetic' };
}

async function ensureData(): Promise<void> {
  const store = useAppStore.getState();
  store.setDataLoading(true);
  try {
    await request({ type: 'data.load', source: dataSource() });
  } finally {
    useAppStore.getState().setDataLoading(false);
  }
}

/**
 * The shipped CIFAR-10 teacher for the config's teacher shape (state/pretrained-teachers.ts),
 * when the loaded data is CIFAR-10 and the user has not chosen to train one here.
 */
async function pretrainedTeacherSource(): Promise<TeacherSource | undefined> {
  const { teacherChoice, dataInfo, config } = useAppStore.getState();
  if (teacherChoice !== 'pretrained' || dataInfo?.name !== 'cifar10') return undefined;
  const shipped = pretrainedTeacherFor(config);
  if (!shipped) return undefined;
  return { kind: 'checkpoint', ...(await fetchPretrainedTeacher(shipped)) };
}

/** Starts a new run with the edited config (or continues the saved one). */
export async function startRun(
  options: { paused?: boolean; resumeSaved?: boolean; teacher?: TeacherSource } = {},
): Promise<boolean> {
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
  const runId = ++currentRunId;
  store.runStarted(runId, store.config);
  try {
    await ensureData();
    const teacher = options.teacher ?? (options.resumeSaved ? undefined : await pretrainedTeacherSource());
    await request({
      type: 'run.start',
      runId,
      config: useAppStore.getState().config,
      teacher: teacher ?? { kind: 'train' },
      resumeSaved: options.resumeSaved ?? false,
      paused: options.paused ?? false,
    });
    void request({ type: 'maps.view', view: useAppStore.getState().mapView }).catch(() => {});
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
    await request(body);
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

/** New loss weights: edited config, and the running student from its next step on. */
export async function setLossWeights(loss: Partial<LossConfig>): Promise<void> {
  const store = useAppStore.getState();
  const before = store.config.loss;
  store.setConfig({ loss });
  const { run } = useAppStore.getState();
  if (run.status === 'training' || run.status === 'paused') {
    if (await command({ type: 'run.setLoss', loss })) useAppStore.getState().markWeightChange(loss, before);
  }
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

/** Predictions and relation maps of the user's images, by the current models. */
export async function analyzeImages(images: ProbeImage[]): Promise<void> {
  const { run, mapView } = useAppStore.getState();
  if (run.status === 'idle' || run.status === 'loading' || run.status === 'error' || !images.length) return;
  await command({ type: 'images.analyze', images, pair: mapView.pair });
}

/** The current run's checkpoint (models, optimizer, config), for export to a file. */
export async function exportModel(): Promise<Extract<WorkerEvent, { type: 'model.exported' }> | null> {
  try {
    const event = await request({ type: 'model.export' });
    return event.type === 'model.exported' ? event : null;
  } catch (err) {
    useAppStore.getState().notify({ kind: 'error', message: errorMessage(err) });
    return null;
  }
}

export async function peekSavedRun(): Promise<Extract<WorkerEvent, { type: 'saved.info' }>['saved']> {
  const event = await request({ type: 'saved.peek' });
  return event.type === 'saved.info' ? event.saved : null;
}

/** After a lost GPU device: a fresh worker (new device, or a fallback backend) continues from the checkpoint. */
async function recoverFromDeviceLoss(): Promise<void> {
  if (!(await restartWorker())) return;
  const saved = await peekSavedRun().catch(() => null);
  if (!saved) {
    useAppStore
      .getState()
      .notify({ kind: 'error', message: 'No checkpoint to continue from; press Start to begin again.' });
    return;
  }
  await startRun({ resumeSaved: true });
}

/** Test and benchmark hooks (exposed on window by main.tsx only when asked for in the URL). */
export const debugHooks = {
  counters: () => request({ type: 'debug.counters' }),
  fault: (fault: 'nan' | 'device-lost') => request({ type: 'debug.fault', fault }),
  step: stepRun,
};

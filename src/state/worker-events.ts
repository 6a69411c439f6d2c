/**
 * What each worker event does to the store. Events of a run other than the current one are
 * dropped: after a reset or a new start, the old run's late messages must not reach the charts.
 */
import type { WorkerEvent } from '../worker/shared/protocol';
import { useAppStore } from './store';

export interface EventContext {
  /** Whether `runId` is the run the page shows. */
  isCurrent(runId: number): boolean;
  /** After a lost GPU device: restart the worker and continue from the checkpoint. */
  recoverFromDeviceLoss(message: string): Promise<void>;
  /** A checkpoint could not be written (storage full): said once per run, then shown as a lasting line. */
  saveFailed(message: string): void;
  /** The run was saved at `step`: keep the page's views of it with the save (run-views.ts). */
  keepViews(step: number): void;
}

export function applyWorkerEvent(event: WorkerEvent, ctx: EventContext): void {
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
      if (ctx.isCurrent(event.runId)) store.runStatus(event);
      break;
    case 'run.config':
      if (ctx.isCurrent(event.runId)) store.runConfigApplied(event.config, event.step);
      break;
    case 'run.progress':
      if (ctx.isCurrent(event.runId)) store.runProgress(event);
      break;
    case 'run.metrics':
      if (ctx.isCurrent(event.runId)) store.appendMetrics(event.phase, event.rows);
      break;
    case 'run.eval':
      if (ctx.isCurrent(event.runId)) store.appendEval(event.phase, event.result);
      break;
    case 'run.checkpointed':
      if (ctx.isCurrent(event.runId)) {
        store.runCheckpointed(event.step);
        ctx.keepViews(event.step);
      }
      break;
    case 'run.fault':
      applyFault(event, ctx);
      break;
    case 'run.memory':
      if (ctx.isCurrent(event.runId)) store.memoryReported(event.memory);
      break;
    case 'maps':
      if (ctx.isCurrent(event.runId)) store.mapsArrived(event.maps, event.step, event.phase);
      break;
    case 'download.progress': {
      const { type: _, ...progress } = event;
      store.downloadProgress(progress);
      break;
    }
    case 'images.result':
      store.imagesAnalyzed(event.results, event.across);
      break;
    case 'backend.progress':
      store.backendProgress(event.name, event.stage);
      break;
    case 'backend.estimate':
    case 'run.profile':
    case 'model.exported':
    case 'saved.runs':
    case 'saved.views':
    case 'debug.counters':
    case 'ok':
      break;
    case 'error':
      if (event.name === 'SaveError') ctx.saveFailed(event.message);
      else if (event.requestId === null) store.notify({ kind: 'error', message: event.message });
      break;
    default: {
      const unhandled: never = event;
      console.warn('Unknown worker event', unhandled);
    }
  }
}

function applyFault(event: Extract<WorkerEvent, { type: 'run.fault' }>, ctx: EventContext): void {
  const store = useAppStore.getState();
  if (event.kind === 'memory') {
    store.notify({ kind: 'error', message: event.message });
    return;
  }
  if (!ctx.isCurrent(event.runId)) return;
  if (event.kind === 'nan') {
    store.notify({ kind: 'error', message: event.message });
    return;
  }
  void ctx.recoverFromDeviceLoss(event.message);
}

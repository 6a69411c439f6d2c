import { useShallow } from 'zustand/react/shallow';
import { useEstimateStore } from '../../state/estimate-sync';
import { evaluateNow, pauseRun, resetRun, resumeRun, startRun, stepRun } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { useStatus } from '../runtime/StatusBadge';
import { DownloadStatus } from './DownloadStatus';
import { NextPhase, RunEstimate, useRunEta } from './RunEstimate';

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
    : s >= 60
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${s} s`;
}

/** Start / Pause / Resume / Step / Reset, and where the run is. */
export function RunControls() {
  const status = useStatus();
  const { phase, step, totalSteps, epoch, imagesPerSecond, reason, runStatus, notSaved } = useAppStore(
    useShallow((s) => ({
      phase: s.run.phase,
      step: s.run.step,
      totalSteps: s.run.totalSteps,
      epoch: s.run.epoch,
      imagesPerSecond: s.run.imagesPerSecond,
      reason: s.run.reason,
      runStatus: s.run.status,
      notSaved: s.run.notSaved,
    })),
  );
  const ready = useAppStore((s) => s.runtime.status === 'idle');
  const busy = status === 'loading';
  const canStart = ready && !busy && status !== 'training' && status !== 'paused';
  const fraction = totalSteps > 0 ? Math.min(1, step / totalSteps) : 0;
  const etaSeconds = useRunEta();
  // Until the worker says which phase runs, the panel says what Start runs (or is starting).
  const before = runStatus === 'idle' || runStatus === 'loading';
  const plan = useEstimateStore((s) => s.plan);
  const stepsOfPhase = before && plan ? plan.teacherSteps || plan.studentSteps : totalSteps;

  return (
    <section className="panel run-controls" aria-label="Run controls">
      <div className="buttons">
        {status === 'paused' ? (
          <button type="button" className="primary" onClick={() => void resumeRun()}>
            Resume
          </button>
        ) : status === 'training' ? (
          <button type="button" className="primary" onClick={() => void pauseRun()}>
            Pause
          </button>
        ) : (
          <button type="button" className="primary" disabled={!canStart} onClick={() => void startRun()}>
            Start
          </button>
        )}
        <button
          type="button"
          disabled={!ready || busy || status === 'training'}
          onClick={() => void stepRun(1)}
        >
          Step
        </button>
        <button type="button" disabled={!ready && status !== 'error'} onClick={() => void resetRun()}>
          Reset
        </button>
        <button
          type="button"
          disabled={status !== 'paused' && status !== 'done' && status !== 'training'}
          title="Test accuracy of every model now, on the whole test split"
          onClick={() => void evaluateNow()}
        >
          Evaluate now
        </button>
      </div>
      <div className="progress-block">
        <div className="progress-line">
          {before ? (
            <NextPhase />
          ) : (
            <span className={`phase phase-${phase}`} data-testid="phase">
              {phase === 'teacher' ? 'Teacher phase' : 'Student phase'}
            </span>
          )}
          <span>
            step <span data-testid="step">{step}</span> / {stepsOfPhase || '–'}
          </span>
          {!before && <span>epoch {epoch + 1}</span>}
          {!before && (
            <span>{imagesPerSecond > 0 ? `${imagesPerSecond.toFixed(0)} images/s` : '– images/s'}</span>
          )}
          {before ? <RunEstimate /> : <span>ETA {formatEta(etaSeconds)}</span>}
        </div>
        <progress max={1} value={fraction} aria-label="Progress of the current phase" />
        <DownloadStatus />
        {reason && (
          <p className="warning" role="status">
            {reason}
          </p>
        )}
        {notSaved && (
          <p className="warning" data-testid="not-saved">
            {notSaved}
          </p>
        )}
      </div>
    </section>
  );
}

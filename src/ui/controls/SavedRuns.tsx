import { useCallback, useEffect, useState } from 'react';
import { deleteSavedRun, listSavedRuns, type SavedRunInfo, startRun } from '../../state/run-actions';
import { describeSavedConfig } from '../../state/saved-run-summary';
import { useAppStore } from '../../state/store';

/** The runs saved in this browser (by any tab), each with Continue and Delete, while no run is active. */
export function SavedRuns() {
  const runStatus = useAppStore((s) => s.run.status);
  const backendReady = useAppStore((s) => s.runtime.status === 'idle');
  const [runs, setRuns] = useState<SavedRunInfo[]>([]);

  const refresh = useCallback(() => {
    listSavedRuns()
      .then(setRuns)
      .catch(() => setRuns([]));
  }, []);

  const active = runStatus === 'training' || runStatus === 'paused' || runStatus === 'done';
  useEffect(() => {
    if (backendReady && !active) refresh();
  }, [backendReady, active, refresh]);

  if (!runs.length || active) return null;
  return (
    <section className="resume-offer" aria-label="Saved runs">
      <p>Saved in this browser, ready to continue:</p>
      <ul className="saved-runs">
        {runs.map((r) => (
          <li
            key={r.id}
            data-testid="saved-run"
            data-save-id={r.id}
            data-step={r.step}
            data-saved-at={r.savedAt}
          >
            <span>
              <strong>
                {r.phase === 'teacher' ? 'Teacher' : 'Student'} phase, step {r.step} of {r.totalSteps}
              </strong>
              , saved {new Date(r.savedAt).toLocaleString()}
              <br />
              <small>{describeSavedConfig(r.config)}</small>
              {r.openElsewhere && (
                <>
                  <br />
                  <small className="open-elsewhere">Open in another tab: continue it there.</small>
                </>
              )}
            </span>
            <span className="buttons">
              <button
                type="button"
                disabled={r.openElsewhere}
                aria-label={`Continue the run saved at step ${r.step}`}
                onClick={() => {
                  setRuns([]);
                  void startRun({ resumeSaved: r.id });
                }}
              >
                Continue
              </button>
              <button
                type="button"
                disabled={r.openElsewhere}
                aria-label={`Delete the run saved at step ${r.step}`}
                onClick={() => void deleteSavedRun(r.id).then(refresh)}
              >
                Delete
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

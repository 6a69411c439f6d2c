import { useEffect, useMemo } from 'react';
import { editExperimentForm, useExperimentForm } from '../../state/experiment-form';
import {
  formatAccuracy,
  formatVsKdOnly,
  OBJECTIVES,
  objectiveById,
  parseSeeds,
  resultRows,
  resultsCsv,
  resultsMarkdown,
} from '../../state/experiment-plan';
import {
  loadExperimentResults,
  resumeExperiment,
  runExperiment,
  secondsLeft,
  stopExperiment,
  useExperimentStore,
} from '../../state/experiment-runner';
import { useEditedReference } from '../../state/reference-view';
import { useAppStore } from '../../state/store';
import { downloadBlob } from '../export/figure-files';
import { ExperimentCurves } from './ExperimentCurves';
import { ReferenceRuns } from './ReferenceRuns';

function formatSeconds(s: number): string {
  return s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

/**
 * The ablation in the page: objectives x seeds, run one after another, and the table of
 * docs/EXPERIMENT.md from what the runs reported.
 */
export function ExperimentPanel() {
  const experiment = useExperimentStore();
  const editedSteps = useAppStore((s) => s.config.optim.steps);
  const runStatus = useAppStore((s) => s.run.status);
  // The form shows a share link's experiment, else the one in the table (after a reload, the
  // one loaded from IndexedDB): experiment-form.ts.
  const { objectives, seedsText, steps, source } = useExperimentForm();
  useEffect(() => {
    void loadExperimentResults();
  }, []);

  const seeds = parseSeeds(seedsText);
  const stepsPerRun = steps ?? editedSteps;
  const rows = useMemo(() => resultRows(experiment.results), [experiment.results]);
  // The twin's runs of the settings being edited, at the steps the queue's runs take: where
  // those runs should land.
  const reference = useEditedReference(stepsPerRun);
  const exportReference = reference && {
    source: `PyTorch twin, ${reference.title.toLowerCase()}, teacher ${reference.teacher}`,
    rows: reference.rows,
    runs: reference.runs,
  };
  const running = experiment.status === 'running';
  // A run can start only once the worker's backend is up (after a reload it starts again).
  const backendReady = useAppStore((s) => s.runtime.status === 'idle');
  const busy = running || !backendReady || runStatus === 'training' || runStatus === 'loading';
  const seedList = experiment.definition?.seeds ?? [];
  const left = secondsLeft(experiment);
  const now = experiment.queue[experiment.current];

  const start = () => {
    if (!seeds) return;
    void runExperiment({ objectives, seeds, steps: stepsPerRun });
  };

  return (
    <section className="panel experiment" aria-labelledby="experiment-heading">
      <div className="panel-head">
        <h2 id="experiment-heading">Experiment queue</h2>
        <span className="muted">Do the relation terms help? The same seeds for every objective.</span>
      </div>
      <fieldset className="experiment-objectives" disabled={running}>
        <legend>Objectives</legend>
        {OBJECTIVES.map((o) => (
          <label key={o.id}>
            <input
              type="checkbox"
              checked={objectives.includes(o.id)}
              onChange={(e) =>
                editExperimentForm({
                  objectives: e.target.checked ? [...objectives, o.id] : objectives.filter((p) => p !== o.id),
                })
              }
            />{' '}
            {o.title}
          </label>
        ))}
      </fieldset>
      <div className="experiment-settings">
        <div className="field">
          <label htmlFor="experiment-seeds">Seeds</label>
          <input
            id="experiment-seeds"
            value={seedsText}
            disabled={running}
            onChange={(e) => editExperimentForm({ seedsText: e.target.value })}
            aria-invalid={seeds === null}
          />
        </div>
        <div className="field">
          <label htmlFor="experiment-steps">Steps per run</label>
          <input
            id="experiment-steps"
            type="number"
            min={1}
            value={stepsPerRun}
            disabled={running}
            onChange={(e) => editExperimentForm({ steps: Number(e.target.value) })}
          />
        </div>
        <button type="button" onClick={start} disabled={busy || !seeds || objectives.length === 0}>
          Run experiment
        </button>
        {experiment.status === 'interrupted' && (
          <button type="button" onClick={() => void resumeExperiment()} disabled={busy}>
            Resume experiment
          </button>
        )}
        {running && (
          <button type="button" onClick={stopExperiment}>
            Stop after this run
          </button>
        )}
      </div>
      {seeds === null && (
        <p className="field-error">Seeds are whole numbers separated by commas, e.g. "1, 2, 3".</p>
      )}
      {source === 'link' && !running && (
        <p className="muted" data-testid="experiment-from-link">
          The link filled in this experiment; Run experiment runs it.
        </p>
      )}
      {experiment.message && <p role="alert">{experiment.message}</p>}
      {running && now && (
        <p data-testid="experiment-progress">
          <progress max={experiment.queue.length} value={experiment.current} /> Run {experiment.current + 1}{' '}
          of {experiment.queue.length}: {objectiveById(now.objective).title}, seed {now.seed}
          {left !== null ? ` · about ${formatSeconds(left)} left` : ''}
        </p>
      )}
      <div className="experiment-tables">
        {rows.length > 0 && (
          <table className="experiment-results">
            <caption>Experiment results</caption>
            <thead>
              <tr>
                <th scope="col">objective</th>
                <th scope="col">test accuracy, mean ± std (min–max)</th>
                <th scope="col">vs KD only</th>
                {seedList.map((s) => (
                  <th scope="col" key={s}>
                    seed {s}
                  </th>
                ))}
                <th scope="col">time per run</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.objective} data-objective={r.objective}>
                  <th scope="row">{r.title}</th>
                  <td>{formatAccuracy(r.accuracy)}</td>
                  <td>{formatVsKdOnly(r.vsKdOnly)}</td>
                  {seedList.map((s) => (
                    <td key={s} data-seed={s}>
                      {r.bySeed.has(s) ? `${r.bySeed.get(s)!.toFixed(2)}%` : '–'}
                    </td>
                  ))}
                  <td>{formatSeconds(r.trainSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ReferenceRuns reference={reference} />
      </div>
      {(rows.length > 0 || reference) && (
        <p>
          <button
            type="button"
            onClick={() =>
              downloadBlob(
                new Blob([resultsCsv(experiment.results, reference?.runs)], { type: 'text/csv' }),
                'kd-playground_experiment.csv',
              )
            }
          >
            Export CSV…
          </button>{' '}
          <button
            type="button"
            onClick={() =>
              downloadBlob(
                new Blob([resultsMarkdown(rows, exportReference ?? undefined)], { type: 'text/markdown' }),
                'kd-playground_experiment.md',
              )
            }
          >
            Export Markdown…
          </button>
        </p>
      )}
      <ExperimentCurves results={experiment.results} steps={experiment.definition?.steps} />
    </section>
  );
}

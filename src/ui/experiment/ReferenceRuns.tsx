import {
  describeTable,
  formatMeanStd,
  REFERENCE_TABLES,
  type Reference,
  teacherStillShipped,
} from '../../state/reference-runs';

const percent = (v: number) => `${(100 * v).toFixed(1)}%`;
const signed = (v: number | null) => (v === null ? '' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}`);

/** What was measured with a teacher the page still ships, in words, for the "no reference" line. */
const MEASURED = Object.values(REFERENCE_TABLES)
  .filter((t) => t.compareTo === undefined && teacherStillShipped(t))
  .map(describeTable)
  .join('; ');

/**
 * The twin's runs of the settings on the page (state/reference-runs.ts): each objective's mean ±
 * std over its seeds, marked as reference, the row of the objective the weights make marked too.
 * Someone comparing their own results has the expected figures beside them.
 */
export function ReferenceRuns({ reference }: { reference: Reference | null }) {
  if (!reference)
    return (
      <p className="muted reference-none" data-testid="reference-none">
        No reference for these settings. The PyTorch twin measured: {MEASURED}; each with its preset's model
        and optimizer otherwise.
      </p>
    );
  const { settings, teacherAccuracy, testCount } = reference;
  return (
    <div className="reference-runs">
      <table className="experiment-results reference-table" data-testid="reference-runs">
        <caption>Reference runs</caption>
        <thead>
          <tr>
            <th scope="col">objective (reference)</th>
            <th scope="col">test accuracy, mean ± std</th>
            <th scope="col">vs KD only</th>
            <th scope="col">seeds</th>
          </tr>
        </thead>
        <tbody>
          {reference.rows.map((r) => {
            const current = r.objective === reference.current;
            return (
              <tr
                key={r.objective}
                data-objective={r.objective}
                data-current={current || undefined}
                className={current ? 'reference-current' : undefined}
              >
                <th scope="row">
                  {r.title} <span className="reference-badge">reference</span>
                  {current && <strong className="reference-yours"> · your objective</strong>}
                </th>
                <td>{formatMeanStd(r.accuracy, r.bySeed.size)}</td>
                <td>{signed(r.vsKdOnly)}</td>
                <td>{[...r.bySeed.keys()].sort((a, b) => a - b).join(', ')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small">
        Measured with the PyTorch twin (tools/torch/experiment.py, docs/EXPERIMENT.md), not in this page:{' '}
        {reference.title.toLowerCase()}, {settings.steps.toLocaleString('en-US')} steps of {settings.batch}{' '}
        images, teacher {reference.teacher}
        {teacherAccuracy !== null ? ` (${percent(teacherAccuracy)})` : ''}; final test accuracy on{' '}
        {testCount ? `${testCount.toLocaleString('en-US')} ` : 'the '}CIFAR-10 test images.
        {reference.current === null && ' Your loss settings are none of these objectives.'}
      </p>
    </div>
  );
}

import { useDeferredValue, useId, useMemo, useState } from 'react';
import { CURVE_METRICS, type CurveMetric, overlayRows } from '../../state/experiment-curves';
import { type ObjectiveId, objectiveById, type RunResult } from '../../state/experiment-plan';
import { MetricChart, type MetricSeries, SERIES_COLORS } from '../charts/MetricChart';

/**
 * Okabe-Ito colours, as the training charts give them: KD orange, each relation term its own
 * colour. The comparison most experiments make, KD only against KD with all three terms, gets
 * the two most distinct hues (orange and blue); CE only, without a teacher, the reference grey.
 */
const OBJECTIVE_COLORS: Record<ObjectiveId, string> = {
  'ce-only': SERIES_COLORS.teacher,
  'kd-only': SERIES_COLORS.kd,
  'kd+all': SERIES_COLORS.ce,
  'kd+intra': SERIES_COLORS.intra,
  'kd+inter': SERIES_COLORS.inter,
  'kd+random': SERIES_COLORS.random,
};

const ACCURACY_RANGE = [0, 1] as const;
const TITLE = 'Experiment curves';

/**
 * The experiment's runs overlaid: one line per objective, the mean over its seeds, of what each
 * run reported while it trained (kept with its result, so it survives a reload). Test accuracy
 * is measured once, at a run's end, so it is the table's; over steps the chart offers the
 * training-batch accuracy and each objective's own loss. Mounted from page load like the
 * training charts (a first mount mid-experiment would be one long task), and only redrawn
 * when a run ends.
 */
export function ExperimentCurves({ results, steps }: { results: readonly RunResult[]; steps?: number }) {
  const [metric, setMetric] = useState<CurveMetric>('trainAccuracy');
  const selectId = useId();
  const shown = useDeferredValue(results);
  const { rows, series: overlay } = useMemo(() => overlayRows(shown, metric), [shown, metric]);
  const series: MetricSeries[] = useMemo(
    () =>
      overlay.map((s) => ({
        key: s.objective,
        label: `${objectiveById(s.objective).title} (mean of ${s.runs} seed${s.runs > 1 ? 's' : ''})`,
        color: OBJECTIVE_COLORS[s.objective],
      })),
    [overlay],
  );
  const chosen = CURVE_METRICS.find((m) => m.id === metric)!;

  return (
    <div className="experiment-curves">
      <div className="field">
        <label htmlFor={selectId}>Curves of</label>
        <select id={selectId} value={metric} onChange={(e) => setMetric(e.target.value as CurveMetric)}>
          {CURVE_METRICS.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
      </div>
      {series.length === 0 && (
        <p className="muted">Each objective's curve appears here when its first run ends.</p>
      )}
      <MetricChart
        title={TITLE}
        series={series}
        rows={rows}
        smoothing={0.6}
        logScale={false}
        yLabel={chosen.yLabel}
        height={220}
        stepsTotal={steps}
        yRange={metric === 'trainAccuracy' ? ACCURACY_RANGE : undefined}
      />
    </div>
  );
}

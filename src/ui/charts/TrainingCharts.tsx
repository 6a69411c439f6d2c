import { useDeferredValue, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { TERM_LABELS as TERM_NAMES } from '../../engine/spec/fields';
import { headsLabel } from '../../engine/spec/heads';
import { activeTerms, LOSS_TERMS } from '../../engine/spec/terms';
import { pretrainedTeacherFor } from '../../state/pretrained-teachers';
import { referenceMarks } from '../../state/reference-runs';
import { useRunReference } from '../../state/reference-view';
import { useAppStore } from '../../state/store';
import { fittedStepEnd } from './axis-ticks';
import { ChartControls } from './ChartControls';
import { MetricChart, type MetricSeries, SERIES_COLORS } from './MetricChart';
import type { ChartReference } from './ReferenceMarks';
import { useThrottled } from './use-throttled';

/** Charts redraw at most this often while training. */
const CHART_REFRESH_MS = 1000;

const ACCURACY_RANGE = [0, 1] as const;

const TERM_LABELS: Record<string, string> = { ...TERM_NAMES, total: 'total' };

/** The loss terms of the phase in progress and the test accuracies, live. */
export function TrainingCharts() {
  const [smoothing, setSmoothing] = useState(0.6);
  const [logScale, setLogScale] = useState(false);
  const [wholeRun, setWholeRun] = useState(false);
  const {
    phase,
    teacherRows: teacherLive,
    studentRows: studentLive,
    accuracyRows: accuracyLive,
    accuracyHeads,
    markers,
    runConfig,
    ghosts,
  } = useAppStore(
    useShallow((s) => ({
      phase: s.run.phase,
      teacherRows: s.run.teacherRows,
      studentRows: s.run.studentRows,
      accuracyRows: s.run.accuracyRows,
      accuracyHeads: s.run.accuracyHeads,
      markers: s.run.markers,
      runConfig: s.run.config,
      ghosts: s.ghosts,
    })),
  );
  // Each chart redraws in its own slot of the refresh period, in a transition React can
  // interrupt, so a metrics update never holds the main thread for one long task.
  const studentRows = useDeferredValue(useThrottled(studentLive, CHART_REFRESH_MS, 0));
  const teacherRows = useDeferredValue(useThrottled(teacherLive, CHART_REFRESH_MS, 1 / 3));
  const accuracyRows = useDeferredValue(useThrottled(accuracyLive, CHART_REFRESH_MS, 2 / 3));
  const loss = useAppStore(useShallow((s) => s.config.loss));
  const clearGhosts = useAppStore((s) => s.clearGhosts);

  const studentSeries: MetricSeries[] = useMemo(() => {
    // Terms that were active at any point of the run (weights can change mid-run).
    const seen = new Set(activeTerms(loss));
    for (const row of studentRows.slice(-50))
      for (const k of LOSS_TERMS) if (row[k] !== undefined) seen.add(k);
    return [...LOSS_TERMS.filter((t) => seen.has(t)), 'total' as const].map((key) => ({
      key,
      label: TERM_LABELS[key] ?? key,
      color: SERIES_COLORS[key],
    }));
  }, [loss, studentRows]);

  const teacherSeries: MetricSeries[] = useMemo(
    () => [{ key: 'ce', label: 'teacher CE', color: SERIES_COLORS.teacher }],
    [],
  );
  const accuracySeries: MetricSeries[] = useMemo(() => {
    const keys = new Set<string>();
    for (const row of accuracyRows)
      for (const k of Object.keys(row)) if (k !== 'step' && k !== 'phase') keys.add(k);
    return [...keys].map((key) => ({
      key,
      // A student's accuracy says which head(s) it comes from: only trained heads predict.
      label:
        key === 'teacher' || !accuracyHeads[key]
          ? `${key} (test)`
          : `${key} (test, ${headsLabel(accuracyHeads[key])})`,
      color:
        key === 'teacher'
          ? SERIES_COLORS.teacher
          : key === 'student'
            ? SERIES_COLORS.student
            : SERIES_COLORS.baseline,
    }));
  }, [accuracyRows, accuracyHeads]);
  const studentAccuracy = useMemo(() => accuracyRows.filter((r) => r.phase === 1), [accuracyRows]);
  const teacherAccuracy = useMemo(() => accuracyRows.filter((r) => r.phase === 0), [accuracyRows]);
  // The teacher's accuracies (in teacher steps) until the student has one of its own.
  const showStudentAccuracy = phase === 'student' && studentAccuracy.length > 0;
  // Where the twin's runs of these settings end: this run's objective and KD only.
  const reference = useRunReference();
  const references: ChartReference[] = useMemo(
    () =>
      referenceMarks(reference).map((m) => ({
        id: m.objective,
        value: m.value,
        std: m.std,
        label: m.label,
        tone: m.objective === reference?.current ? 'own' : 'baseline',
      })),
    [reference],
  );
  const ghostCurves = useMemo(() => ghosts.map((g) => ({ label: g.label, rows: g.student })), [ghosts]);

  const shipped = useAppStore((s) =>
    s.teacherChoice === 'pretrained' ? pretrainedTeacherFor(s.config) : null,
  );
  // Without a shipped teacher the run trains one here first: its chart is there from the start.
  const showTeacher = !shipped || teacherRows.length > 0;
  const charts =
    phase === 'teacher' && showTeacher
      ? (['teacher', 'student', 'accuracy'] as const)
      : showTeacher
        ? (['student', 'teacher', 'accuracy'] as const)
        : (['student', 'accuracy'] as const);
  // The step axes fit the steps run so far, or span the whole planned run when asked. Selected
  // as the fitted ends, which move rarely (fittedStepEnd), so a progress event re-renders nothing.
  const [studentEnd, teacherEnd] = useAppStore(
    useShallow((s) => {
      // The run's own settings once it started (the worker's echo), else the ones being edited.
      const optim = s.run.config?.optim ?? s.config.optim;
      if (wholeRun) return [optim.steps, optim.teacherSteps];
      // The phase in progress counts its live step; a finished teacher phase its last row.
      const so = (rows: readonly { step: number }[], own: boolean) =>
        Math.max(own ? s.run.step : 0, rows.at(-1)?.step ?? 0);
      return [
        fittedStepEnd(so(s.run.studentRows, s.run.phase === 'student'), optim.steps),
        fittedStepEnd(so(s.run.teacherRows, s.run.phase === 'teacher'), optim.teacherSteps),
      ];
    }),
  );

  return (
    <section className="panel charts" aria-labelledby="charts-heading">
      <div className="panel-head">
        <h2 id="charts-heading">Training</h2>
        <ChartControls
          smoothing={smoothing}
          onSmoothingChange={setSmoothing}
          logScale={logScale}
          onLogScaleChange={setLogScale}
          wholeRun={wholeRun}
          onWholeRunChange={setWholeRun}
        />
      </div>
      {!runConfig && (
        <p className="muted">
          {shipped
            ? `Press Start: the student learns from the shipped teacher (${shipped.name}).`
            : 'Press Start: the teacher trains first, then the student learns from it.'}
        </p>
      )}
      {ghosts.length > 0 && (
        <p className="muted small">
          Dashed: {ghosts.length} earlier run{ghosts.length > 1 ? 's' : ''}.{' '}
          <button type="button" onClick={clearGhosts}>
            Clear earlier runs
          </button>
        </p>
      )}
      {/* The frames stay mounted from page load: a chart's first mount costs ~100 ms of main
          thread (recharts' store, and its code compiled on first use), which would otherwise land
          mid-run as one long task when the first metrics arrive. A run only updates them. The
          phase in progress comes first; keys keep each chart mounted when the order changes. */}
      {charts.map((name) => {
        if (name === 'student')
          return (
            <MetricChart
              key="student"
              title="Student loss terms"
              series={studentSeries}
              rows={studentRows}
              smoothing={smoothing}
              logScale={logScale}
              markers={markers}
              ghosts={ghostCurves}
              yLabel="loss"
              stepsTotal={studentEnd}
            />
          );
        if (name === 'teacher')
          return (
            <MetricChart
              key="teacher"
              title="Teacher loss"
              series={teacherSeries}
              rows={teacherRows}
              smoothing={smoothing}
              logScale={logScale}
              yLabel="loss"
              height={phase === 'student' ? 140 : undefined}
              stepsTotal={teacherEnd}
            />
          );
        return (
          <MetricChart
            key="accuracy"
            title="Test accuracy"
            series={accuracySeries}
            rows={showStudentAccuracy ? studentAccuracy : teacherAccuracy}
            smoothing={0}
            logScale={false}
            yLabel="accuracy"
            height={160}
            stepsTotal={
              showStudentAccuracy || (phase === 'student' && !teacherAccuracy.length)
                ? studentEnd
                : teacherEnd
            }
            yRange={ACCURACY_RANGE}
            references={references}
          />
        );
      })}
    </section>
  );
}

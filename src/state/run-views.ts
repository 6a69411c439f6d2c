/**
 * The page's views of a run that are saved with it (worker/saved-run.ts keeps them in the run's
 * slot): its chart rows and weight markers and the relation-map timeline. Written at each
 * checkpoint the worker reports, read back when a saved run is continued, so after a reload the
 * curves and the timeline go back to the run's start, not to the point it was continued from.
 * Bounded as the page bounds them: rows as the charts keep them, at most TIMELINE_CAPACITY snapshots.
 */
import type { Phase } from '../engine/spec/checkpoint-format';
import type { RunViews } from '../worker/shared/protocol';
import type { MapSnapshot } from './map-timeline';
import type { ChartRow, WeightMarker } from './run-slice';
import type { AppState } from './store';

/** Accuracy rows say their phase: 0 for the teacher's, 1 for the student's. */
const phaseIndex = (phase: Phase) => (phase === 'teacher' ? 0 : 1);

/**
 * The views as of a checkpoint after `step` steps of `phase`: what of that phase comes later
 * belongs to steps not saved. A metric row is labelled with the step's index (0 for the first),
 * so the saved steps' rows are those below `step`; maps, evaluations and weight markers are
 * labelled with the steps done, so theirs go up to `step`.
 */
function cut(
  views: Omit<RunViews, 'step'> & { mapTimeline: readonly object[] },
  phase: Phase,
  step: number,
): Omit<RunViews, 'step'> {
  const upTo = <T extends { step: number }>(rows: readonly T[]) => rows.filter((r) => r.step <= step);
  const before = <T extends { step: number }>(rows: readonly T[]) => rows.filter((r) => r.step < step);
  const student = phase === 'student';
  return {
    teacherRows: student ? [...views.teacherRows] : before(views.teacherRows),
    studentRows: student ? before(views.studentRows) : [],
    accuracyRows: views.accuracyRows.filter((r) => r.phase !== phaseIndex(phase) || (r.step ?? 0) <= step),
    markers: student ? upTo(views.markers) : [],
    mapTimeline: student ? upTo(views.mapTimeline as MapSnapshot[]) : [],
  };
}

/** What a save of the run on screen at `step` keeps of its views. */
export function runViewsAt(s: Pick<AppState, 'run' | 'mapTimeline'>, step: number): RunViews {
  const { teacherRows, studentRows, accuracyRows, markers, phase } = s.run;
  return {
    step,
    ...cut({ teacherRows, studentRows, accuracyRows, markers, mapTimeline: s.mapTimeline }, phase, step),
  };
}

/**
 * The views to show again for a continued run whose checkpoint is at `step` of `phase`: what
 * was kept, less anything past the checkpoint (the views may be newer than the last save).
 */
export function viewsToRestore(saved: { views: RunViews; phase: Phase; step: number }): Pick<
  AppState['run'],
  'teacherRows' | 'studentRows' | 'accuracyRows' | 'markers'
> & {
  mapTimeline: MapSnapshot[];
} {
  const kept = cut(saved.views, saved.phase, saved.step);
  return {
    teacherRows: kept.teacherRows as ChartRow[],
    studentRows: kept.studentRows as ChartRow[],
    accuracyRows: kept.accuracyRows as ChartRow[],
    markers: kept.markers as WeightMarker[],
    mapTimeline: kept.mapTimeline as MapSnapshot[],
  };
}

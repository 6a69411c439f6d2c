import { describe, expect, it } from 'vitest';
import type { MapSnapshot } from './map-timeline';
import { INITIAL_RUN } from './run-slice';
import { runViewsAt, viewsToRestore } from './run-views';

const rows = (steps: number[]) => steps.map((step) => ({ step, total: step / 10 }));
const snapshot = (step: number) => ({ step }) as unknown as MapSnapshot;

describe('the views saved with a run', () => {
  const studentPhase = {
    run: {
      ...INITIAL_RUN,
      phase: 'student' as const,
      teacherRows: rows([10, 20, 30]),
      studentRows: rows([5, 10, 15, 20]),
      accuracyRows: [
        { step: 30, teacher: 0.5, phase: 0 },
        { step: 10, student: 0.2, phase: 1 },
        { step: 20, student: 0.3, phase: 1 },
      ],
      markers: [
        { step: 8, label: 'wIntra 4→0' },
        { step: 18, label: 'tau 1→2' },
      ],
    },
    mapTimeline: [snapshot(5), snapshot(12), snapshot(19)],
  };

  it('keep what a save after some steps holds: the rows of the steps done, the finished teacher phase whole', () => {
    // 15 steps done: the rows of steps 0..14 (a row is labelled with its step's index).
    const views = runViewsAt(studentPhase, 15);
    expect(views.step).toBe(15);
    expect(views.teacherRows).toEqual(rows([10, 20, 30]));
    expect(views.studentRows).toEqual(rows([5, 10]));
    expect(views.accuracyRows).toEqual([
      { step: 30, teacher: 0.5, phase: 0 },
      { step: 10, student: 0.2, phase: 1 },
    ]);
    expect(views.markers).toEqual([{ step: 8, label: 'wIntra 4→0' }]);
    expect(views.mapTimeline.map((s) => (s as MapSnapshot).step)).toEqual([5, 12]);
  });

  it('come back cut to the checkpoint they are restored with, which may be older than they are', () => {
    const views = runViewsAt(studentPhase, 20);
    const back = viewsToRestore({ views, phase: 'student', step: 12 });
    expect(back.studentRows).toEqual(rows([5, 10]));
    // The continued run's first row is step 12's: nothing of the saved views at or past it.
    expect(viewsToRestore({ views, phase: 'student', step: 10 }).studentRows).toEqual(rows([5]));
    expect(back.teacherRows).toEqual(rows([10, 20, 30]));
    expect(back.markers).toEqual([{ step: 8, label: 'wIntra 4→0' }]);
    expect(back.mapTimeline.map((s) => s.step)).toEqual([5, 12]);
    expect(back.accuracyRows.map((r) => r.step)).toEqual([30, 10]);
  });

  it('of a teacher phase keep its rows up to the step, and no student views', () => {
    const teacherPhase = {
      run: { ...INITIAL_RUN, phase: 'teacher' as const, teacherRows: rows([10, 20, 30]) },
      mapTimeline: [],
    };
    const views = runViewsAt(teacherPhase, 21);
    expect(views.teacherRows).toEqual(rows([10, 20]));
    // Restored into the student phase that followed (saved at the switch): the teacher rows stay whole.
    expect(viewsToRestore({ views, phase: 'student', step: 0 }).teacherRows).toEqual(rows([10, 20]));
    expect(viewsToRestore({ views, phase: 'teacher', step: 11 }).teacherRows).toEqual(rows([10]));
  });
});

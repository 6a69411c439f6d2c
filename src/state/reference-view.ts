/**
 * The reference runs for what is on the page (reference-runs.ts): for the settings being
 * edited (the Experiment panel: what the next Start would train), and for the run on screen
 * (the accuracy chart: what produced its curves).
 */
import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { pretrainedTeacherFor } from './pretrained-teachers';
import { type Reference, referenceFor } from './reference-runs';
import { useAppStore } from './store';

/**
 * The reference for the settings being edited, with the teacher the next Start would use; `steps`
 * replaces the student steps (the Experiment panel's "Steps per run", which its runs train for).
 */
export function useEditedReference(steps?: number): Reference | null {
  const { config, teacherChoice, trainCount } = useAppStore(
    useShallow((s) => ({
      config: s.config,
      teacherChoice: s.teacherChoice,
      trainCount: s.dataInfo?.trainCount ?? null,
    })),
  );
  return useMemo(() => {
    const teacher = teacherChoice === 'pretrained' ? (pretrainedTeacherFor(config)?.name ?? null) : null;
    const run = steps === undefined ? config : { ...config, optim: { ...config.optim, steps } };
    return referenceFor({ config: run, teacher, trainCount });
  }, [config, teacherChoice, trainCount, steps]);
}

/**
 * The reference for the run on screen (its config as the worker echoed it, so a weight changed
 * mid-run moves the current mark), or for the edited settings before any run. A run that
 * trained its own teacher has none: the references all start from a shipped one.
 */
export function useRunReference(): Reference | null {
  const { runConfig, edited, teacherChoice, trainedTeacher, trainCount } = useAppStore(
    useShallow((s) => ({
      runConfig: s.run.config,
      edited: s.config,
      teacherChoice: s.teacherChoice,
      trainedTeacher: s.run.teacherRows.length > 0,
      trainCount: s.dataInfo?.trainCount ?? null,
    })),
  );
  return useMemo(() => {
    const config = runConfig ?? edited;
    const shipped = teacherChoice === 'pretrained' && !trainedTeacher;
    const teacher = shipped ? (pretrainedTeacherFor(config)?.name ?? null) : null;
    return referenceFor({ config, teacher, trainCount });
  }, [runConfig, edited, teacherChoice, trainedTeacher, trainCount]);
}

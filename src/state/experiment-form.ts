import { create } from 'zustand';
import { type ExperimentDefinition, OBJECTIVES, type ObjectiveId, parseSeeds } from './experiment-plan';
import { useAppStore } from './store';

/**
 * The Experiment panel's form, in the store rather than the component, so that a share link
 * can fill it (url-codec.ts reads the link's experiment keys) and the URL can carry it back.
 * The link holds the definition only: nothing here starts a run or holds a result.
 */

export const DEFAULT_OBJECTIVES: readonly ObjectiveId[] = ['ce-only', 'kd-only', 'kd+all'];
export const DEFAULT_SEEDS: readonly number[] = [1, 2, 3];

export interface ExperimentForm {
  objectives: ObjectiveId[];
  /** As typed ("1, 2, 3"); parseSeeds reads it. */
  seedsText: string;
  /** Steps per run; null follows the edited config's steps. */
  steps: number | null;
  /** What filled the form last: a link's definition is not replaced by an earlier visit's experiment. */
  source: 'default' | 'link' | 'user' | 'experiment';
}

export const useExperimentForm = create<ExperimentForm>(() => ({
  objectives: [...DEFAULT_OBJECTIVES],
  seedsText: DEFAULT_SEEDS.join(', '),
  steps: null,
  source: 'default',
}));

export function editExperimentForm(change: Partial<Omit<ExperimentForm, 'source'>>): void {
  useExperimentForm.setState({ ...change, source: 'user' });
}

/** The form as a link's keys gave it: only the parts the link holds change. */
export function fillFormFromLink(link: Partial<ExperimentDefinition>): void {
  if (!link.objectives && !link.seeds && link.steps === undefined) return;
  useExperimentForm.setState((f) => ({
    objectives: link.objectives ?? f.objectives,
    seedsText: link.seeds ? link.seeds.join(', ') : f.seedsText,
    steps: link.steps ?? f.steps,
    source: 'link',
  }));
}

/**
 * The form shows an experiment that runs, or one saved by an earlier visit (`saved`); a saved
 * one does not replace what a link put there.
 */
export function fillFormFromExperiment(def: ExperimentDefinition, saved = false): void {
  if (saved && useExperimentForm.getState().source === 'link') return;
  useExperimentForm.setState({
    objectives: [...def.objectives],
    seedsText: def.seeds.join(', '),
    steps: def.steps,
    source: 'experiment',
  });
}

const sameList = <T>(a: readonly T[], b: readonly T[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The parts of the form a link should carry: those that differ from a fresh form, like the
 * config keys (seeds only while they parse; steps only when not the config's own).
 */
export function experimentLink(form: ExperimentForm, configSteps: number): Partial<ExperimentDefinition> {
  const link: Partial<ExperimentDefinition> = {};
  const objectives = OBJECTIVES.map((o) => o.id).filter((id) => form.objectives.includes(id));
  if (objectives.length > 0 && !sameList(objectives, DEFAULT_OBJECTIVES)) link.objectives = objectives;
  const seeds = parseSeeds(form.seedsText);
  if (seeds && seeds.length > 0 && !sameList(seeds, DEFAULT_SEEDS)) link.seeds = seeds;
  if (form.steps !== null && Number.isInteger(form.steps) && form.steps >= 1 && form.steps !== configSteps)
    link.steps = form.steps;
  return link;
}

/** What a link of the page as it is now carries of the form (for Share and the address bar). */
export function currentExperimentLink(): Partial<ExperimentDefinition> {
  return experimentLink(useExperimentForm.getState(), useAppStore.getState().config.optim.steps);
}

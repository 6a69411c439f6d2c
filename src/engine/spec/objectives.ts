/**
 * The objectives the experiment compares (the Experiment panel and tools/torch/experiment.py),
 * each a partial loss config layered over the run's own. The twin reads them from
 * tools/torch/mkd/app_spec.json, which scripts/docs.ts writes from here.
 */
import { DEFAULT_LOSS, type LossConfig } from './config';

/**
 * The paper's objective (the official code's ImageNet values): no label CE, soft KD at tau 1 and
 * the three relation terms. The defaults are that objective, so it is read from them.
 */
export const PAPER_OBJECTIVE: Partial<LossConfig> = (() => {
  const { wCe, wKd, wMd, wIntra, wInter, wRandom, tau, kd } = DEFAULT_LOSS;
  return { wCe, wKd, wMd, wIntra, wInter, wRandom, tau, kd };
})();

export type ObjectiveId = 'ce-only' | 'kd-only' | 'kd+all' | 'kd+intra' | 'kd+inter' | 'kd+random';

export interface Objective<Id extends string = ObjectiveId> {
  id: Id;
  /** As in docs/EXPERIMENT.md's table. */
  title: string;
  /** Loss weights this objective sets over the run's own loss settings. */
  loss: Partial<LossConfig>;
}

const KD_ALL = PAPER_OBJECTIVE;

/** The arms of the experiment, in the order its tables list them. */
export const OBJECTIVES: readonly Objective[] = [
  { id: 'ce-only', title: 'CE only', loss: { wCe: 1, wKd: 0, wMd: 0 } },
  { id: 'kd-only', title: 'KD only', loss: { wCe: 0, wKd: 1, wMd: 0 } },
  { id: 'kd+all', title: 'KD + intra + inter + random', loss: KD_ALL },
  { id: 'kd+intra', title: 'KD + intra', loss: { ...KD_ALL, wInter: 0, wRandom: 0 } },
  { id: 'kd+inter', title: 'KD + inter', loss: { ...KD_ALL, wIntra: 0, wRandom: 0 } },
  { id: 'kd+random', title: 'KD + random', loss: { ...KD_ALL, wIntra: 0, wInter: 0 } },
];

/**
 * The twin's screening variants: the paper's knobs of kd+all, one at a time, for a 6-block
 * student and teacher (tools/torch/experiment.py --plan default-screen).
 */
export const SCREEN_OBJECTIVES: readonly Objective<string>[] = [
  {
    id: 'kd+all:pairs-all',
    title: 'KD + all, layer pairs: all six',
    loss: { ...KD_ALL, layerPairs: [0, 1, 2, 3, 4, 5].map((i): [number, number] => [i, i]) },
  },
  {
    id: 'kd+all:pairs-late',
    title: 'KD + all, layer pairs: late only',
    loss: {
      ...KD_ALL,
      layerPairs: [
        [4, 4],
        [5, 5],
      ],
    },
  },
  { id: 'kd+all:k64', title: 'KD + all, K 64', loss: { ...KD_ALL, k: 64 } },
  { id: 'kd+all:intra1', title: 'KD + all, intra weight 1', loss: { ...KD_ALL, wIntra: 1 } },
  { id: 'kd+all:intra16', title: 'KD + all, intra weight 16', loss: { ...KD_ALL, wIntra: 16 } },
  { id: 'kd+all:tau4', title: 'KD + all, tau 4', loss: { ...KD_ALL, tau: 4 } },
];

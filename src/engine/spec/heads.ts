/**
 * Which output heads a model's predictions come from.
 *
 * A DeiT-style student has a class head (on the cls token) and a distillation head (on the
 * distillation token). A head learns only when a loss reaches it: CE trains the class head,
 * KD the distillation head (or the class head when there is no distillation token). DeiT
 * averages the two heads, but averaging in a head that never received a gradient adds its
 * random initial output to every prediction, so predictions use the heads that were trained.
 */

export interface TrainedHeads {
  cls: boolean;
  dist: boolean;
}

export type PredictionHeads = 'cls' | 'dist' | 'both';

export const NO_TRAINED_HEADS: TrainedHeads = { cls: false, dist: false };

/** The heads one step with these loss weights sends gradients to. */
export function headsTrainedBy(loss: { wCe: number; wKd: number }, hasDistToken: boolean): TrainedHeads {
  return {
    cls: loss.wCe > 0 || (loss.wKd > 0 && !hasDistToken),
    dist: hasDistToken && loss.wKd > 0,
  };
}

export function mergeHeads(a: TrainedHeads, b: TrainedHeads): TrainedHeads {
  return { cls: a.cls || b.cls, dist: a.dist || b.dist };
}

/** Trained heads only; both (DeiT's mean) when both were trained, or when neither was yet. */
export function predictionHeads(trained: TrainedHeads, hasDistToken: boolean): PredictionHeads {
  if (!hasDistToken) return 'cls';
  if (trained.dist && !trained.cls) return 'dist';
  if (trained.cls && !trained.dist) return 'cls';
  return 'both';
}

export function headsLabel(heads: PredictionHeads): string {
  if (heads === 'cls') return 'class head';
  if (heads === 'dist') return 'distillation head';
  return 'mean of class and distillation heads';
}

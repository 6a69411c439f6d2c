/**
 * The loss terms by name, and which ones a loss config turns on. Free of TF.js, so the page
 * can use it without loading the engine's tensors.
 */
import type { LossConfig } from './config';

export const LOSS_TERMS = ['ce', 'kd', 'intra', 'inter', 'random'] as const;
export type LossTerm = (typeof LOSS_TERMS)[number];

/** Terms that enter the total with a non-zero weight, in LOSS_TERMS order. */
export function activeTerms(loss: LossConfig): LossTerm[] {
  const md = loss.wMd > 0;
  const weight: Record<LossTerm, number> = {
    ce: loss.wCe,
    kd: loss.wKd,
    intra: md ? loss.wIntra : 0,
    inter: md ? loss.wInter : 0,
    random: md ? loss.wRandom : 0,
  };
  return LOSS_TERMS.filter((t) => weight[t] > 0);
}

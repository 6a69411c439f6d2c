/**
 * Baseline students: trained beside the distilled student on the very same batches, with a
 * preset's loss (CE only, KD only), so the page can show what distillation adds.
 */
import type { LossConfig, RunConfig } from './spec/config';
import { findPreset } from './spec/presets';

export interface BaselineSpec {
  name: string;
  /** Loss settings layered over the run's loss (e.g. { wKd: 0, wMd: 0, wCe: 1 } for CE only). */
  loss: Partial<LossConfig>;
}

/** The baseline students a config asks for (its `baseline` choice, as that preset's loss). */
export function baselineSpecs(config: RunConfig): BaselineSpec[] {
  if (config.baseline === 'none') return [];
  const loss = findPreset(config.baseline)?.layer.loss;
  if (!loss) throw new Error(`Unknown baseline "${config.baseline}".`);
  return [{ name: config.baseline, loss }];
}

/**
 * Sizes of a ViT config without building it: parameters and training memory. Free of TF.js,
 * so the page can show them without loading the engine's tensors.
 */
import { patchCount, prefixTokenCount, type VitConfig } from './config';

/** Parameter count of a config without building it (for the memory estimate and the UI). */
export function countParameters(cfg: VitConfig): number {
  const d = cfg.dModel;
  const h = cfg.mlpRatio * d;
  const prefix = prefixTokenCount(cfg);
  const heads = cfg.distillToken ? 2 : 1;
  const embed =
    cfg.patchSize * cfg.patchSize * cfg.channels * d + d + prefix * d + (prefix + patchCount(cfg)) * d;
  const block = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * h + h) + (h * d + d);
  return embed + cfg.nLayers * block + 2 * d + heads * (d * cfg.numClasses + cfg.numClasses);
}

/**
 * Rough bytes a training step holds at its peak: weights, gradients and two AdamW moments,
 * plus the activations the backward pass keeps (per block: the LayerNorm inputs and outputs,
 * q, k, v, attention scores before and after softmax, the MLP's hidden layer before and
 * after GELU). Used to refuse configs that cannot fit before a run starts.
 */
export function estimateTrainingBytes(cfg: VitConfig, batch: number): number {
  const t = prefixTokenCount(cfg) + patchCount(cfg);
  const d = cfg.dModel;
  const hidden = cfg.mlpRatio * d;
  const perBlockPerImage = t * (10 * d + 2 * hidden) + 2 * cfg.nHeads * t * t;
  const activations = batch * cfg.nLayers * perBlockPerImage;
  return 4 * (4 * countParameters(cfg) + activations);
}

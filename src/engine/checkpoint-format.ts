/**
 * The checkpoint format (model.json): its types, constants and validation. Free of TF.js
 * values, so the page can check a file before handing it to the worker.
 */
import type { RunConfig, VitConfig } from './config';
import type { Normalization } from './data/gpu-data';
import type * as tf from './tf';

export const CHECKPOINT_FORMAT = 'manifold-kd-playground/checkpoint';
export const CHECKPOINT_VERSION = 1;
export const WEIGHTS_FILE = 'weights.bin';

export type Phase = 'teacher' | 'student';

/** Where the trainer was: restoring it gives the batches and samples it would have drawn. */
export interface TrainerPosition {
  step: number;
  epoch: number;
  cursor: number;
  /** seedrandom states of the data-order, augmentation and sample generators. */
  rng: { order: object; augment: object; sample: object };
}

export interface ModelEntry {
  /** 'teacher', 'student' or a baseline's name. */
  role: string;
  config: VitConfig;
  /** Whether its optimizer state is in the checkpoint (trained models only). */
  optimizerStep: number | null;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  phase: Phase;
  /** The model evaluated by default: the one this phase trains. */
  primary: string;
  config: RunConfig;
  normalization: Normalization;
  /** Name of the dataset trained on and its class names. */
  dataset: { name: string; classNames: string[] };
  models: ModelEntry[];
  /** Loss settings of baseline students, by name. */
  baselines: { name: string; loss: RunConfig['loss'] }[];
  position: TrainerPosition | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Checks a parsed model.json before anything is built from it. */
export function validateManifest(json: unknown): CheckpointManifest {
  const m = json as Partial<CheckpointManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== CHECKPOINT_FORMAT) {
    throw new Error(`Not a checkpoint of this app (model.json has no "format": "${CHECKPOINT_FORMAT}").`);
  }
  if (m.version !== CHECKPOINT_VERSION) {
    throw new Error(
      `Checkpoint version ${m.version} is not supported (this app reads version ${CHECKPOINT_VERSION}).`,
    );
  }
  if (!Array.isArray(m.models) || !m.models.length || !Array.isArray(m.weightsManifest) || !m.config) {
    throw new Error('Checkpoint model.json is incomplete (models, config or weightsManifest missing).');
  }
  return m as CheckpointManifest;
}

/**
 * The checkpoint format (model.json): its types, constants and validation. Free of TF.js
 * values, so the page can check a file before handing it to the worker.
 */

import type { AugmentConfig, Normalization } from '../data/gpu-data';
import type * as tf from '../tf';
import { type RunConfig, type VitConfig, vitConfigProblems } from './config';
import type { TrainedHeads } from './heads';

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
  /** Heads that were trained (absent in older checkpoints: inferred from the loss, heads.ts). */
  trainedHeads?: TrainedHeads;
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
  /** The augmentation the run trained with, so a resumed run draws the same batches. */
  augment?: AugmentConfig;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * A weights file named in model.json: a plain file name, so a checkpoint can only point at
 * files in its own folder (never ../../etc/passwd, an absolute path or a subfolder).
 */
export function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/.test(name) && !name.includes('..');
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * Checks a parsed model.json before anything is built from it. A checkpoint is data: its
 * weight paths must be plain file names, its weights float32 (the trainer's epoch order
 * alone is int32), and its position counts that a trainer can continue from.
 */
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
  for (const group of m.weightsManifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new Error('Checkpoint model.json has a weightsManifest entry without paths or weights.');
    for (const p of group.paths) {
      if (!isPlainFileName(p)) {
        throw new Error(
          `Checkpoint model.json names the weights file ${JSON.stringify(p)}: weights must be plain file names inside the checkpoint folder.`,
        );
      }
    }
    for (const w of group.weights) {
      const wanted = w?.name === 'trainer/order' ? 'int32' : 'float32';
      if (w?.dtype !== wanted) {
        throw new Error(
          `Checkpoint weight "${w?.name}" is ${w?.dtype}, not ${wanted}: this app saves ${wanted} weights; the file was made or edited elsewhere.`,
        );
      }
      if (!Array.isArray(w.shape) || !w.shape.every(isCount))
        throw new Error(`Checkpoint weight "${w.name}" has an invalid shape ${JSON.stringify(w.shape)}.`);
    }
  }
  for (const entry of m.models) {
    const problems = entry?.config ? vitConfigProblems(entry.config, entry.role) : ['no config'];
    if (problems.length)
      throw new Error(`Checkpoint model "${entry?.role}" has an invalid shape: ${problems.join('; ')}.`);
    if (entry.optimizerStep !== null && !isCount(entry?.optimizerStep))
      throw new Error(
        `Checkpoint model "${entry?.role}" has optimizer step ${entry?.optimizerStep}; it must be a count (0 or more).`,
      );
  }
  const pos = m.position;
  if (pos !== null && pos !== undefined) {
    for (const key of ['step', 'epoch', 'cursor'] as const) {
      if (!isCount(pos[key]))
        throw new Error(`Checkpoint position has ${key} ${pos[key]}; it must be a count (0 or more).`);
    }
  }
  const ds = m.dataset;
  if (ds !== undefined && (typeof ds?.name !== 'string' || !Array.isArray(ds.classNames)))
    throw new Error('Checkpoint model.json has a dataset entry without a name and class names.');
  return m as CheckpointManifest;
}

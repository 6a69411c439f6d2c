/**
 * Checkpoints in TF.js's weights format: a JSON manifest (model.json) next to one binary
 * weights file, as tf.io writes them, so the app, the CLI and tf.io handlers all read them.
 * A checkpoint holds the models, the optimizer moments, the config and the trainer's
 * position (step, epoch order, generator states), enough to continue exactly.
 */

import { type AdamWState, createOptimizer, type ParamOptimizer } from './optim';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointManifest,
  type ModelEntry,
  WEIGHTS_FILE,
} from './spec/checkpoint-format';
import { headsTrainedBy, type TrainedHeads } from './spec/heads';
import type { StepKind } from './spec/step-kind';
import * as tf from './tf';
import { Vit } from './vit';

export interface EncodedCheckpoint {
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
}

export interface CheckpointModel {
  role: string;
  model: Vit;
  optimizer: ParamOptimizer | null;
}

/** What a checkpoint's manifest says, with the live models in place of their entries. */
export interface CheckpointInput
  extends Omit<CheckpointManifest, 'format' | 'version' | 'models' | 'weightsManifest'> {
  models: CheckpointModel[];
  /** The current epoch's order, saved as an int32 weight. */
  epochOrder: Int32Array | null;
}

/**
 * Serialises models, optimizer state and position in tf.io's weights layout. All float
 * tensors are concatenated on the device and read in one transfer (tf.io.encodeWeights
 * would read each of several hundred tensors separately); the epoch order is already on
 * the CPU and is appended as it is.
 */
export async function encodeCheckpoint(input: CheckpointInput): Promise<EncodedCheckpoint> {
  const named: { name: string; tensor: tf.Tensor }[] = [];
  const temporaries: tf.Tensor[] = [];
  const models: ModelEntry[] = [];
  for (const { role, model, optimizer } of input.models) {
    for (const p of model.namedVariables()) named.push({ name: `${role}/${p.name}`, tensor: p.variable });
    let optimizerStep: number | null = null;
    if (optimizer) {
      const state = optimizer.getState();
      temporaries.push(...state.m, ...state.v);
      optimizer.params.forEach((p, i) => {
        named.push({ name: `optimizer/${role}/m/${p.name}`, tensor: state.m[i]! });
        named.push({ name: `optimizer/${role}/v/${p.name}`, tensor: state.v[i]! });
      });
      optimizerStep = state.step;
    }
    models.push({ role, config: model.config, optimizerStep, trainedHeads: model.trainedHeads });
  }
  try {
    const flat = tf.tidy(() => tf.concat(named.map((n) => n.tensor.reshape([-1]))));
    const floats = (await flat.data()) as Float32Array; // GPU→CPU sync point (one per checkpoint)
    flat.dispose();
    const specs: tf.io.WeightsManifestEntry[] = named.map((n) => ({
      name: n.name,
      shape: n.tensor.shape,
      dtype: 'float32',
    }));
    const order = input.epochOrder;
    if (order) specs.push({ name: 'trainer/order', shape: [order.length], dtype: 'int32' });
    const data = new ArrayBuffer(floats.byteLength + (order ? order.byteLength : 0));
    new Float32Array(data, 0, floats.length).set(floats);
    if (order) new Int32Array(data, floats.byteLength, order.length).set(order);
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      phase: input.phase,
      primary: input.primary,
      config: input.config,
      normalization: input.normalization,
      dataset: input.dataset,
      models,
      baselines: input.baselines,
      position: input.position,
      ...(input.augment ? { augment: input.augment } : {}),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    };
    return { manifest, weights: data };
  } finally {
    tf.dispose(temporaries);
  }
}

/**
 * Refuses NaN or infinite float weights, naming the first such tensor: a model built from
 * them would turn every loss into NaN and look like a learning-rate problem. Reads the CPU
 * copy of the file once; nothing is on the device yet.
 */
function assertFiniteWeights(weights: ArrayBuffer, specs: tf.io.WeightsManifestEntry[]): void {
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype === 'float32') {
      const values = new Float32Array(weights, offset, size);
      for (let i = 0; i < size; i++) {
        const v = values[i]!;
        if (!Number.isFinite(v)) {
          throw new Error(
            `Checkpoint weight "${spec.name}" holds ${v} values: the checkpoint was saved from a diverged run or is damaged; use another one.`,
          );
        }
      }
    }
    offset += size * 4;
  }
}

export interface DecodedCheckpoint {
  manifest: CheckpointManifest;
  models: Map<string, CheckpointModel>;
  epochOrder: Int32Array | null;
}

export interface DecodeOptions {
  /** Rebuild each model's AdamW state too, with the saved config's hyper-parameters (default true). */
  withOptimizers?: boolean;
  /** The step those optimizers serve (default 'fast'). */
  stepKind?: StepKind;
}

/** Rebuilds models (and their optimizers) from a manifest and its weights. */
export async function decodeCheckpoint(
  manifest: CheckpointManifest,
  weights: ArrayBuffer,
  { withOptimizers = true, stepKind = 'fast' }: DecodeOptions = {},
): Promise<DecodedCheckpoint> {
  const specs = manifest.weightsManifest.flatMap((g) => g.weights);
  const expectedBytes = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weights.byteLength !== expectedBytes) {
    throw new Error(
      `Checkpoint weights file has ${weights.byteLength} bytes, model.json describes ${expectedBytes}: the files do not belong together or one is truncated.`,
    );
  }
  assertFiniteWeights(weights, specs);
  const tensors = tf.io.decodeWeights(weights, specs);
  const models = new Map<string, CheckpointModel>();
  try {
    for (const entry of manifest.models) {
      const model = Vit.create(entry.config, 0);
      for (const p of model.namedVariables()) {
        const t = tensors[`${entry.role}/${p.name}`];
        if (!t) throw new Error(`Checkpoint lacks weight "${entry.role}/${p.name}".`);
        if (!tf.util.arraysEqual(t.shape, p.variable.shape)) {
          throw new Error(
            `Checkpoint weight "${entry.role}/${p.name}" has shape [${t.shape}], the model needs [${p.variable.shape}].`,
          );
        }
        p.variable.assign(t);
      }
      model.trainedHeads = entry.trainedHeads ?? headsOfOlderCheckpoint(manifest, entry);
      let optimizer: ParamOptimizer | null = null;
      if (withOptimizers && entry.optimizerStep !== null) {
        optimizer = createOptimizer(model.namedVariables(), manifest.config.optim, stepKind);
        const state: AdamWState = {
          step: entry.optimizerStep,
          m: optimizer.params.map((p) => tensors[`optimizer/${entry.role}/m/${p.name}`]!),
          v: optimizer.params.map((p) => tensors[`optimizer/${entry.role}/v/${p.name}`]!),
        };
        if (state.m.some((t) => !t) || state.v.some((t) => !t)) {
          throw new Error(`Checkpoint lacks optimizer state for "${entry.role}".`);
        }
        optimizer.setState(state);
      }
      models.set(entry.role, { role: entry.role, model, optimizer });
    }
    const order = tensors['trainer/order'];
    const epochOrder = order ? Int32Array.from(await order.data()) : null;
    return { manifest, models, epochOrder };
  } catch (err) {
    for (const m of models.values()) {
      m.model.dispose();
      m.optimizer?.dispose();
    }
    throw err;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Checkpoints written before heads were recorded: a teacher learned from CE (class head);
 * a student from its loss weights, which the manifest keeps (the run's, or its baseline's).
 */
function headsOfOlderCheckpoint(manifest: CheckpointManifest, entry: ModelEntry): TrainedHeads {
  if (entry.role === 'teacher') return { cls: true, dist: false };
  const loss = manifest.baselines.find((b) => b.name === entry.role)?.loss ?? manifest.config.loss;
  return headsTrainedBy(loss, entry.config.distillToken);
}

/**
 * The parts both AdamW implementations share (optim.ts per variable, optim-flat.ts on one flat
 * buffer): the optimizer interface, the checkpointed state, and Adam's constants and step size.
 * Kept apart so that neither implementation imports the other.
 */
import type { OptimConfig } from './spec/config';
import * as tf from './tf';
import type { NamedVariable } from './vit';

/** What a training step needs from an optimizer; both AdamW implementations provide it. */
export interface ParamOptimizer {
  readonly params: NamedVariable[];
  /** Updates applied so far (Adam's t). */
  step: number;
  /** One update from gradients in the order of `params`; undefined = not on the loss's path. */
  apply(grads: (tf.Tensor | undefined)[], lr: number): void;
  getState(): AdamWState;
  setState(state: AdamWState): void;
  dispose(): void;
}

export interface AdamWState {
  step: number;
  m: tf.Tensor[];
  v: tf.Tensor[];
}

/** Adam's hyper-parameters as device scalars, made once: a JS number in an op would upload a new scalar per use. */
export class AdamConstants {
  readonly beta1: tf.Scalar;
  readonly beta2: tf.Scalar;
  readonly oneMinusBeta1: tf.Scalar;
  readonly oneMinusBeta2: tf.Scalar;

  constructor(cfg: OptimConfig) {
    this.beta1 = tf.keep(tf.scalar(cfg.beta1));
    this.beta2 = tf.keep(tf.scalar(cfg.beta2));
    this.oneMinusBeta1 = tf.keep(tf.scalar(1 - cfg.beta1));
    this.oneMinusBeta2 = tf.keep(tf.scalar(1 - cfg.beta2));
  }

  dispose(): void {
    tf.dispose([this.beta1, this.beta2, this.oneMinusBeta1, this.oneMinusBeta2]);
  }
}

/** Update t's step size and epsilon, with the bias corrections folded in (the Adam paper's Algorithm 1 tail). */
export function biasCorrected(cfg: OptimConfig, t: number, lr: number): { stepSize: number; epsHat: number } {
  const root = Math.sqrt(1 - cfg.beta2 ** t);
  return { stepSize: (lr * root) / (1 - cfg.beta1 ** t), epsHat: cfg.eps * root };
}

/**
 * The start of every AdamW step: one gradient per parameter (undefined for one off the loss's
 * path), and step t's bias-corrected step size and epsilon.
 */
export function stepStart(
  grads: readonly unknown[],
  paramCount: number,
  cfg: OptimConfig,
  t: number,
  lr: number,
): { stepSize: number; epsHat: number } {
  if (grads.length !== paramCount) {
    throw new Error(`AdamW.apply got ${grads.length} gradients for ${paramCount} parameters.`);
  }
  return biasCorrected(cfg, t, lr);
}

/** min(1, maxNorm / ||g||) from the squared norm of all gradients together, as torch.nn.utils.clip_grad_norm_. */
export function clipFactor(sumOfSquares: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.minimum(1, tf.div(maxNorm, sumOfSquares.sqrt().add(1e-6))) as tf.Scalar;
}

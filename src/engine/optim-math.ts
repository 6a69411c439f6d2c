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

/** What both AdamW implementations hold (parameters, config, Adam's constants, t) and how each step starts. */
export abstract class AdamWBase implements ParamOptimizer {
  readonly params: NamedVariable[];
  protected readonly cfg: OptimConfig;
  protected readonly k: AdamConstants;
  /** Updates applied so far (Adam's t). */
  step = 0;

  constructor(params: NamedVariable[], cfg: OptimConfig) {
    this.params = params;
    this.cfg = cfg;
    this.k = new AdamConstants(cfg);
  }

  abstract apply(grads: (tf.Tensor | undefined)[], lr: number): void;
  abstract getState(): AdamWState;
  abstract setState(state: AdamWState): void;

  dispose(): void {
    this.k.dispose();
  }

  /**
   * The start of every step: one gradient per parameter (undefined for one off the loss's
   * path); counts the step and gives its bias-corrected step size and epsilon.
   */
  protected beginStep(grads: readonly unknown[], lr: number): { stepSize: number; epsHat: number } {
    if (grads.length !== this.params.length) {
      throw new Error(`AdamW.apply got ${grads.length} gradients for ${this.params.length} parameters.`);
    }
    this.step += 1;
    return biasCorrected(this.cfg, this.step, lr);
  }

  /** Refuses a saved state whose slots do not match the parameters. */
  protected checkSlots(state: AdamWState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new Error(`Optimizer state has ${state.m.length} slots, the model needs ${this.params.length}.`);
    }
  }
}

/** min(1, maxNorm / ||g||) from the squared norm of all gradients together, as torch.nn.utils.clip_grad_norm_. */
export function clipFactor(sumOfSquares: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.minimum(1, tf.div(maxNorm, sumOfSquares.sqrt().add(1e-6))) as tf.Scalar;
}

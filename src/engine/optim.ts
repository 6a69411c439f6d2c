/**
 * AdamW (Loshchilov & Hutter), with global-norm gradient clipping and a warmup + cosine
 * schedule. TF.js ships Adam without decoupled weight decay, and its Adam makes the
 * learning rate a constant: here the rate is a per-step input so the schedule never rebuilds
 * anything, and the moments are plain variables a checkpoint can save.
 */

import { FlatAdamW } from './optim-flat';
import { AdamWBase, type AdamWState, clipFactor, type ParamOptimizer } from './optim-math';
import type { OptimConfig } from './spec/config';
import type { StepKind } from './spec/step-kind';
import * as tf from './tf';
import type { NamedVariable } from './vit';

export type { AdamWState, ParamOptimizer } from './optim-math';

/** AdamW for the given step kind; both compute the same update and share the checkpoint layout. */
export function createOptimizer(
  params: NamedVariable[],
  cfg: OptimConfig,
  stepKind: StepKind,
): ParamOptimizer {
  return stepKind === 'fast' ? new FlatAdamW(params, cfg) : new AdamW(params, cfg);
}

export class AdamW extends AdamWBase {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(params: NamedVariable[], cfg: OptimConfig) {
    super(params, cfg);
    const zeros = (p: NamedVariable) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false));
    this.m = params.map(zeros);
    this.v = params.map(zeros);
  }

  /**
   * Applies one update from gradients given in the order of `params`, at learning rate lr.
   * A parameter without a gradient (not on the loss's path) is left alone, as in PyTorch.
   * Everything stays on the device: the clip factor is a tensor, never read back.
   */
  apply(grads: (tf.Tensor | undefined)[], lr: number): void {
    const { stepSize, epsHat } = this.beginStep(grads, lr);
    const { weightDecay, gradClip } = this.cfg;
    tf.tidy(() => {
      // Three scalars a step: the only per-step uploads the optimizer makes.
      const stepSizeT = tf.scalar(stepSize);
      const epsHatT = tf.scalar(epsHat);
      const decayT = tf.scalar(lr * weightDecay);
      const present = grads.filter((g): g is tf.Tensor => g !== undefined);
      // stack + sum, not addN: addN of 8 or more tensors is wrong on tfjs's WebGPU backend.
      const scale =
        gradClip > 0 && present.length
          ? clipFactor(tf.stack(present.map((g) => g.square().sum())).sum(), gradClip)
          : null;
      this.params.forEach((p, i) => {
        const raw = grads[i];
        if (!raw) return;
        const g = scale ? raw.mul(scale) : raw;
        const m = this.m[i]!;
        const v = this.v[i]!;
        m.assign(m.mul(this.k.beta1).add(g.mul(this.k.oneMinusBeta1)));
        v.assign(v.mul(this.k.beta2).add(g.square().mul(this.k.oneMinusBeta2)));
        let next = p.variable.sub(m.div(v.sqrt().add(epsHatT)).mul(stepSizeT));
        if (p.decay && weightDecay > 0) next = next.sub(p.variable.mul(decayT));
        p.variable.assign(next);
      });
    });
  }

  /** Copies of the moments and step count, for checkpoints. */
  getState(): AdamWState {
    return { step: this.step, m: this.m.map((t) => t.clone()), v: this.v.map((t) => t.clone()) };
  }

  setState(state: AdamWState): void {
    this.checkSlots(state);
    this.step = state.step;
    state.m.forEach((t, i) => {
      this.m[i]!.assign(t);
    });
    state.v.forEach((t, i) => {
      this.v[i]!.assign(t);
    });
  }

  override dispose(): void {
    tf.dispose([...this.m, ...this.v]);
    super.dispose();
  }
}

/** Linear warmup to the peak rate, then cosine decay to zero at the last step. */
export function learningRateAt(step: number, cfg: OptimConfig): number {
  if (cfg.warmupSteps > 0 && step < cfg.warmupSteps) return (cfg.lr * (step + 1)) / cfg.warmupSteps;
  const span = Math.max(1, cfg.steps - cfg.warmupSteps);
  const progress = Math.min(1, (step - cfg.warmupSteps) / span);
  return 0.5 * cfg.lr * (1 + Math.cos(Math.PI * progress));
}

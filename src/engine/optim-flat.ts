/**
 * The fast step's AdamW: the same update as optim.ts's AdamW, computed on one flat vector
 * of all parameters. The reference applies about fifteen ops to each of ~80 variables
 * (over a thousand kernel dispatches a step on WebGPU); here the gradients and parameters
 * are concatenated, one set of elementwise ops updates them all, and the result is split
 * back into the variables. The moments live flat and are split only for checkpoints.
 */

import type { OptimConfig } from './config';
import { AdamConstants, type AdamWState, biasCorrected, clipFactor, type ParamOptimizer } from './optim';
import * as tf from './tf';
import type { NamedVariable } from './vit';

export class FlatAdamW implements ParamOptimizer {
  readonly params: NamedVariable[];
  private readonly cfg: OptimConfig;
  private readonly sizes: number[];
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** 1 where decoupled weight decay applies, 0 elsewhere. */
  private readonly decayMask: tf.Tensor1D;
  private readonly k: AdamConstants;
  /**
   * For parameters off the loss's path (no gradient: e.g. the cls head when CE is off):
   * zero gradients and the mask of parameters that do get one, made once per pattern.
   */
  private readonly missingCache = new Map<string, { zeros: Map<number, tf.Tensor>; present: tf.Tensor1D }>();
  step = 0;

  constructor(params: NamedVariable[], cfg: OptimConfig) {
    this.params = params;
    this.cfg = cfg;
    this.sizes = params.map((p) => p.variable.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = tf.variable(tf.zeros([total]), false);
    this.v = tf.variable(tf.zeros([total]), false);
    this.decayMask = tf.keep(
      tf.tensor1d(
        Float32Array.from(params.flatMap((p) => new Array<number>(p.variable.size).fill(p.decay ? 1 : 0))),
      ),
    );
    this.k = new AdamConstants(cfg);
  }

  apply(grads: (tf.Tensor | undefined)[], lr: number): void {
    if (grads.length !== this.params.length) {
      throw new Error(`AdamW.apply got ${grads.length} gradients for ${this.params.length} parameters.`);
    }
    this.step += 1;
    const { weightDecay, gradClip } = this.cfg;
    const { stepSize, epsHat } = biasCorrected(this.cfg, this.step, lr);
    tf.tidy(() => {
      const stepSizeT = tf.scalar(stepSize);
      const epsHatT = tf.scalar(epsHat);
      const missing = grads.some((g) => g === undefined) ? this.missing(grads) : null;
      // A parameter off the loss's path has no gradient: it takes zeros here and is
      // masked out below, so it is left alone exactly as in the reference.
      let g = flatten(grads.map((raw, i) => raw ?? missing!.zeros.get(i)!));
      if (gradClip > 0) g = g.mul(clipFactor(g.square().sum(), gradClip));
      let m = this.m.mul(this.k.beta1).add(g.mul(this.k.oneMinusBeta1));
      let v = this.v.mul(this.k.beta2).add(g.square().mul(this.k.oneMinusBeta2));
      const p = flatten(this.params.map((q) => q.variable));
      let next = p.sub(m.div(v.sqrt().add(epsHatT)).mul(stepSizeT));
      if (weightDecay > 0) next = next.sub(p.mul(this.decayMask.mul(lr * weightDecay)));
      if (missing) {
        next = tf.where(missing.present, next, p);
        m = tf.where(missing.present, m, this.m);
        v = tf.where(missing.present, v, this.v);
      }
      this.m.assign(m);
      this.v.assign(v);
      const parts = tf.split(next, this.sizes);
      this.params.forEach((q, i) => {
        q.variable.assign(parts[i]!.reshape(q.variable.shape));
      });
    });
  }

  private missing(grads: (tf.Tensor | undefined)[]) {
    const key = grads.map((g) => (g ? 1 : 0)).join('');
    let entry = this.missingCache.get(key);
    if (!entry) {
      const zeros = new Map<number, tf.Tensor>();
      grads.forEach((g, i) => {
        if (!g) zeros.set(i, tf.keep(tf.zeros([this.sizes[i]!])));
      });
      const mask = Uint8Array.from(this.sizes.flatMap((n, i) => new Array<number>(n).fill(grads[i] ? 1 : 0)));
      entry = { zeros, present: tf.keep(tf.tensor1d(mask, 'bool')) };
      this.missingCache.set(key, entry);
    }
    return entry;
  }

  getState(): AdamWState {
    return tf.tidy(() => {
      const unflatten = (flat: tf.Tensor) =>
        tf.split(flat, this.sizes).map((t, i) => tf.keep(t.reshape(this.params[i]!.variable.shape)));
      return { step: this.step, m: unflatten(this.m), v: unflatten(this.v) };
    });
  }

  setState(state: AdamWState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new Error(`Optimizer state has ${state.m.length} slots, the model needs ${this.params.length}.`);
    }
    this.step = state.step;
    tf.tidy(() => {
      this.m.assign(flatten(state.m));
      this.v.assign(flatten(state.v));
    });
  }

  dispose(): void {
    for (const entry of this.missingCache.values()) tf.dispose([...entry.zeros.values(), entry.present]);
    this.missingCache.clear();
    tf.dispose([this.m, this.v, this.decayMask]);
    this.k.dispose();
  }
}

function flatten(tensors: tf.Tensor[]): tf.Tensor1D {
  return tf.concat(tensors.map((t) => t.reshape([-1]))) as tf.Tensor1D;
}

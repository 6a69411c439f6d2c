/**
 * The fast step's AdamW: the same update as optim.ts's AdamW, computed on one flat vector
 * of all parameters. The reference applies about fifteen ops to each of ~80 variables
 * (over a thousand kernel dispatches a step on WebGPU); here the gradients and parameters
 * are concatenated, one set of elementwise ops updates them all, and the result is split
 * back into the variables. The moments live flat and are split only for checkpoints.
 * On WebGPU the update is one kernel and the split is buffer copies, no dispatch
 * (kernels/adamw-webgpu.ts).
 */

import { hasKernel, KERNELS, splitFlat } from './kernels/fused-ops';
import { AdamWBase, type AdamWState, clipFactor } from './optim-math';
import type { OptimConfig } from './spec/config';
import type { StepKind } from './spec/step-kind';
import * as tf from './tf';
import type { NamedVariable } from './vit';

export class FlatAdamW extends AdamWBase {
  private readonly sizes: number[];
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** 1 where decoupled weight decay applies, 0 elsewhere. */
  private readonly decayMask: tf.Tensor1D;
  /**
   * For parameters off the loss's path (no gradient: e.g. the cls head when CE is off):
   * zero gradients, the mask of parameters that do get one, and the fused kernel's flags,
   * made once per pattern.
   */
  private readonly missingCache = new Map<
    string,
    { zeros: Map<number, tf.Tensor>; present: tf.Tensor1D; flags: tf.Tensor1D }
  >();
  /**
   * The fused kernel's per-element flags (decay + 2 * has a gradient) when every parameter
   * has one, and a stand-in for the squared gradient norm without clipping (made on first use).
   */
  private fusedConstants: { flags: tf.Tensor1D; one: tf.Tensor2D } | null = null;
  private readonly stepKind: StepKind;

  /**
   * The fast step's optimizer; with `stepKind: 'reference'` it runs the same flat update on
   * the plain ops only (adamw-check.ts compares the two).
   */
  constructor(
    params: NamedVariable[],
    cfg: OptimConfig,
    { stepKind = 'fast' }: { stepKind?: StepKind } = {},
  ) {
    super(params, cfg);
    this.stepKind = stepKind;
    this.sizes = params.map((p) => p.variable.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    // In a tidy: tf.variable keeps its own reference, and the zeros it started from would leak.
    this.m = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.decayMask = tf.keep(
      tf.tensor1d(
        Float32Array.from(params.flatMap((p) => new Array<number>(p.variable.size).fill(p.decay ? 1 : 0))),
      ),
    );
  }

  apply(grads: (tf.Tensor | undefined)[], lr: number): void {
    const { stepSize, epsHat } = this.beginStep(grads, lr);
    const { weightDecay, gradClip } = this.cfg;
    tf.tidy(() => {
      const missing = grads.some((g) => g === undefined) ? this.missing(grads) : null;
      // A parameter off the loss's path has no gradient: it takes zeros here and is
      // masked out below, so it is left alone exactly as in the reference.
      let g = flatten(
        grads.map((raw, i) => raw ?? missing!.zeros.get(i)!),
        this.useKernel(),
      );
      if (this.useKernel()) {
        this.applyFused(g, missing?.flags, [stepSize, epsHat, lr * weightDecay]);
        return;
      }
      const stepSizeT = tf.scalar(stepSize);
      const epsHatT = tf.scalar(epsHat);
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
      // One KdSplitCopy where the backend has it (wasm: copies in its heap).
      const parts = splitFlat(
        next,
        this.params.map((q) => q.variable.shape),
        this.stepKind,
      );
      this.params.forEach((q, i) => {
        q.variable.assign(parts[i]!);
      });
    });
  }

  private useKernel(): boolean {
    return this.stepKind === 'fast' && hasKernel(KERNELS.adamW);
  }

  /** The update as one kernel writing [m, v, params] packed, cut apart by copies (inside apply's tidy). */
  private applyFused(
    g: tf.Tensor1D,
    flags: tf.Tensor1D | undefined,
    [stepSize, epsHat, lrWd]: number[],
  ): void {
    const total = this.m.size;
    this.fusedConstants ??= {
      flags: tf.keep(this.decayMask.add(2)),
      one: tf.keep(tf.ones([1, 1])),
    };
    const { gradClip, beta1, beta2 } = this.cfg;
    const sumSq = gradClip > 0 ? squaredNorm(g) : this.fusedConstants.one;
    // One small upload a step: the update's scalars, in adamw-webgpu.ts' ADAMW_SCALARS order.
    const scalars = tf.tensor1d([stepSize!, epsHat!, lrWd!, beta1, 1 - beta1, beta2, 1 - beta2]);
    const packed = tf.engine().runKernel(
      KERNELS.adamW,
      {
        G: g,
        P: flatten(
          this.params.map((q) => q.variable),
          true,
        ),
        M: this.m,
        V: this.v,
        FLAGS: flags ?? this.fusedConstants.flags,
        SUMSQ: sumSq,
        S: scalars,
      },
      { maxNorm: gradClip },
    ) as tf.Tensor;
    // Cut straight into the variables' shapes: no reshape kernel per variable.
    const shapes = [[total], [total], ...this.params.map((q) => q.variable.shape)];
    const parts = splitFlat(packed, shapes);
    this.m.assign(parts[0]!);
    this.v.assign(parts[1]!);
    this.params.forEach((q, i) => {
      q.variable.assign(parts[i + 2]!);
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
      entry = {
        zeros,
        present: tf.keep(tf.tensor1d(mask, 'bool')),
        flags: tf.keep(tf.tidy(() => this.decayMask.add(tf.tensor1d(Float32Array.from(mask)).mul(2)))),
      };
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
    this.checkSlots(state);
    this.step = state.step;
    tf.tidy(() => {
      this.m.assign(flatten(state.m));
      this.v.assign(flatten(state.v));
    });
  }

  override dispose(): void {
    for (const entry of this.missingCache.values()) {
      tf.dispose([...entry.zeros.values(), entry.present, entry.flags]);
    }
    if (this.fusedConstants) tf.dispose([this.fusedConstants.flags, this.fusedConstants.one]);
    this.missingCache.clear();
    tf.dispose([this.m, this.v, this.decayMask]);
    super.dispose();
  }
}

/** The tensors' entries in one vector; `copies`: by buffer copies (WebGPU's KdConcatCopy), no dispatch. */
function flatten(tensors: tf.Tensor[], copies = false): tf.Tensor1D {
  if (copies) {
    return tf.engine().runKernel(KERNELS.concatCopy, tensors as unknown as tf.NamedTensorMap) as tf.Tensor1D;
  }
  return tf.concat(tensors.map((t) => t.reshape([-1]))) as tf.Tensor1D;
}

/**
 * g . g in parts that the AdamW kernel adds up: KdSquaredNormParts's sums of 2,048 entries
 * each (one dispatch of many workgroups) where the backend has it, else the whole sum as
 * [1, 1] by a [1, N] x [N, 1] product.
 */
function squaredNorm(g: tf.Tensor1D): tf.Tensor {
  if (hasKernel(KERNELS.squaredNormParts))
    return tf.engine().runKernel(KERNELS.squaredNormParts, { G: g }) as tf.Tensor;
  const row = g.reshape([1, -1]) as tf.Tensor2D;
  return tf.matMul(row, row, false, true);
}

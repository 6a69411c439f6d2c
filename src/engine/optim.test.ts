import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from './backend';
import { AdamW, learningRateAt, type ParamOptimizer } from './optim';
import { FlatAdamW } from './optim-flat';
import { DEFAULT_OPTIM, type OptimConfig } from './spec/config';
import { gaussian, maxRelDiff, mulberry32, snapshot } from './test-utils';
import * as tf from './tf';
import type { NamedVariable } from './vit';

beforeAll(async () => {
  const problem = await tryBackend('cpu');
  if (problem) throw new Error(problem);
});

// ---------------------------------------------------------------------------------------------
// Float64 reference: PyTorch's AdamW (torch.optim.AdamW, single-tensor path) preceded by
// torch.nn.utils.clip_grad_norm_ over all parameters that have a gradient.
//   p *= 1 - lr * wd                        (decayed parameters only)
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// A parameter whose gradient is None is skipped entirely (no decay, no moment update).
// ---------------------------------------------------------------------------------------------

interface RefState {
  params: Float64Array[];
  m: Float64Array[];
  v: Float64Array[];
  t: number;
}

function refInit(params: Float32Array[]): RefState {
  return {
    params: params.map((p) => Float64Array.from(p)),
    m: params.map((p) => new Float64Array(p.length)),
    v: params.map((p) => new Float64Array(p.length)),
    t: 0,
  };
}

function globalNorm(grads: (Float32Array | undefined)[]): number {
  let sq = 0;
  for (const g of grads) if (g) for (const x of g) sq += x * x;
  return Math.sqrt(sq);
}

function refStep(
  s: RefState,
  grads: (Float32Array | undefined)[],
  decay: boolean[],
  cfg: OptimConfig,
  lr: number,
  clip: boolean,
): void {
  s.t += 1;
  const norm = globalNorm(grads);
  const coef = clip && cfg.gradClip > 0 ? Math.min(1, cfg.gradClip / (norm + 1e-6)) : 1;
  const bc1 = 1 - cfg.beta1 ** s.t;
  const bc2 = 1 - cfg.beta2 ** s.t;
  grads.forEach((raw, i) => {
    if (!raw) return;
    const p = s.params[i]!;
    const m = s.m[i]!;
    const v = s.v[i]!;
    for (let j = 0; j < p.length; j++) {
      const g = raw[j]! * coef;
      if (decay[i]) p[j]! *= 1 - lr * cfg.weightDecay;
      m[j] = cfg.beta1 * m[j]! + (1 - cfg.beta1) * g;
      v[j] = cfg.beta2 * v[j]! + (1 - cfg.beta2) * g * g;
      const denom = Math.sqrt(v[j]!) / Math.sqrt(bc2) + cfg.eps;
      p[j]! -= (lr / bc1) * (m[j]! / denom);
    }
  });
}

// ---------------------------------------------------------------------------------------------

interface Spec {
  shape: number[];
  decay: boolean;
  /** Gradient scale: 1e-6 makes eps (1e-6) matter, so its placement is checked. */
  gradScale: number;
}

const SPECS: Spec[] = [
  { shape: [3, 4], decay: true, gradScale: 1 },
  { shape: [4], decay: false, gradScale: 0.5 },
  { shape: [2, 2, 2], decay: true, gradScale: 1e-6 },
  { shape: [5], decay: false, gradScale: 2 },
];

const CFG: OptimConfig = {
  ...DEFAULT_OPTIM,
  weightDecay: 0.1,
  beta1: 0.8,
  beta2: 0.95,
  eps: 1e-6,
  gradClip: 0,
};

/** Per-step gradient magnitude multipliers: very different norms, so clipping does not cancel in Adam's m / sqrt(v). */
const STEP_SCALES = [10, 1, 0.05];
const LRS = [0.1, 0.05, 0.2];

function setup(seed: number) {
  const rng = mulberry32(seed);
  const init = SPECS.map((s) =>
    gaussian(
      rng,
      s.shape.reduce((a, b) => a * b, 1),
    ),
  );
  const grads = STEP_SCALES.map((k) => SPECS.map((s, i) => gaussian(rng, init[i]!.length, s.gradScale * k)));
  return { init, grads };
}

function makeParams(init: Float32Array[]): NamedVariable[] {
  return SPECS.map((s, i) => ({
    name: `p${i}`,
    variable: tf.variable(tf.tensor(init[i]!, s.shape)),
    decay: s.decay,
  }));
}

function applyGrads(opt: ParamOptimizer, grads: (Float32Array | undefined)[], lr: number): void {
  const tensors = grads.map((g, i) => (g ? tf.tensor(g, SPECS[i]!.shape) : undefined));
  opt.apply(tensors, lr);
  tf.dispose(tensors.filter((t): t is tf.Tensor => t !== undefined));
}

/** The three steps of `grads` on the optimizer and on the float64 reference alike. */
function stepBoth(
  opt: ParamOptimizer,
  ref: RefState,
  grads: (Float32Array | undefined)[][],
  cfg: OptimConfig,
  clip: boolean,
): void {
  for (let k = 0; k < 3; k++) {
    applyGrads(opt, grads[k]!, LRS[k]!);
    refStep(
      ref,
      grads[k]!,
      SPECS.map((s) => s.decay),
      cfg,
      LRS[k]!,
      clip,
    );
  }
}

function disposeAll(params: NamedVariable[], opt: ParamOptimizer): void {
  for (const p of params) p.variable.dispose();
  opt.dispose();
}

const TOL = 1e-5;

// Both implementations must give the reference's update: the per-variable AdamW of the
// reference step and the flat one of the fast step.
const IMPLEMENTATIONS: [string, typeof AdamW | typeof FlatAdamW][] = [
  ['AdamW (per variable, reference step)', AdamW],
  ['FlatAdamW (fast step)', FlatAdamW],
];

describe.each(IMPLEMENTATIONS)('%s against a float64 PyTorch-semantics reference', (_name, Impl) => {
  it('matches parameters and both moments after 3 steps with decoupled decay on decay params only', () => {
    const { init, grads } = setup(1);
    const params = makeParams(init);
    const opt = new Impl(params, CFG);
    const ref = refInit(init);
    stepBoth(opt, ref, grads, CFG, false);
    expect(opt.step).toBe(3);
    snapshot(params.map((p) => p.variable)).forEach((p, i) => {
      expect(maxRelDiff(p, ref.params[i]!), `parameter ${i}`).toBeLessThan(TOL);
    });
    const state = opt.getState();
    expect(state.step).toBe(3);
    state.m.forEach((m, i) => {
      expect(maxRelDiff(m.dataSync(), ref.m[i]!, 1e-30)).toBeLessThan(TOL);
    });
    state.v.forEach((v, i) => {
      expect(maxRelDiff(v.dataSync(), ref.v[i]!, 1e-30)).toBeLessThan(TOL);
    });
    tf.dispose([...state.m, ...state.v]);
    disposeAll(params, opt);
  });

  it('a decay parameter with a zero gradient shrinks by exactly (1 - lr * wd) per step', () => {
    const v = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const params: NamedVariable[] = [{ name: 'w', variable: v, decay: true }];
    const opt = new Impl(params, { ...CFG, weightDecay: 0.3 });
    const zero = tf.zeros([3]);
    opt.apply([zero], 0.1);
    opt.apply([zero], 0.5);
    const expected = [1, -2, 0.5].map((x) => x * (1 - 0.1 * 0.3) * (1 - 0.5 * 0.3));
    expect(maxRelDiff(v.dataSync(), expected)).toBeLessThan(1e-6);
    zero.dispose();
    disposeAll(params, opt);
  });

  it('clips the global gradient norm: the update equals the unclipped update with gradients scaled by c / norm', () => {
    const { init, grads } = setup(2);
    const c = 0.5;
    const params = makeParams(init);
    const opt = new Impl(params, { ...CFG, gradClip: c });
    const clipped = refInit(init);
    const unclipped = refInit(init);
    const decay = SPECS.map((s) => s.decay);
    const norms: number[] = [];
    for (let k = 0; k < 3; k++) {
      applyGrads(opt, grads[k]!, LRS[k]!);
      const norm = globalNorm(grads[k]!);
      norms.push(norm);
      const factor = Math.min(1, c / norm);
      const scaled = grads[k]!.map((g) => g.map((x) => x * factor));
      refStep(clipped, scaled, decay, CFG, LRS[k]!, false);
      refStep(unclipped, grads[k]!, decay, CFG, LRS[k]!, false);
    }
    // Steps 1 and 2 are clipped, step 3 (norm below c) is not.
    expect(norms[0]).toBeGreaterThan(c);
    expect(norms[1]).toBeGreaterThan(c);
    expect(norms[2]).toBeLessThan(c);
    const got = snapshot(params.map((p) => p.variable));
    got.forEach((p, i) => {
      expect(maxRelDiff(p, clipped.params[i]!)).toBeLessThan(TOL);
    });
    // Without clipping the result would be far off: the check above can fail.
    const separation = Math.max(...got.map((p, i) => maxRelDiff(p, unclipped.params[i]!)));
    expect(separation).toBeGreaterThan(100 * TOL);
    disposeAll(params, opt);
  });

  it('does not clip when the global norm is below the threshold', () => {
    const { init, grads } = setup(3);
    const params = makeParams(init);
    const opt = new Impl(params, { ...CFG, gradClip: 1e6 });
    const ref = refInit(init);
    stepBoth(opt, ref, grads, CFG, false);
    snapshot(params.map((p) => p.variable)).forEach((p, i) => {
      expect(maxRelDiff(p, ref.params[i]!)).toBeLessThan(TOL);
    });
    disposeAll(params, opt);
  });

  it('leaves a parameter with an undefined gradient unchanged (decay included), keeps its moments at zero and leaves it out of the clip norm', () => {
    const { init, grads } = setup(4);
    const missing = 0; // a decay parameter: PyTorch skips decay too when grad is None
    const partial = grads.map((step) => step.map((g, i) => (i === missing ? undefined : g)));
    const params = makeParams(init);
    const cfg = { ...CFG, gradClip: 0.5 };
    const opt = new Impl(params, cfg);
    const ref = refInit(init);
    stepBoth(opt, ref, partial, cfg, true);
    const got = snapshot(params.map((p) => p.variable));
    expect(got[missing]).toEqual(init[missing]);
    got.forEach((p, i) => {
      expect(maxRelDiff(p, ref.params[i]!)).toBeLessThan(TOL);
    });
    const state = opt.getState();
    expect(Array.from(state.m[missing]!.dataSync()).every((x) => x === 0)).toBe(true);
    expect(Array.from(state.v[missing]!.dataSync()).every((x) => x === 0)).toBe(true);
    tf.dispose([...state.m, ...state.v]);
    disposeAll(params, opt);
  });

  it('refuses a gradient list of the wrong length', () => {
    const { init } = setup(5);
    const params = makeParams(init);
    const opt = new Impl(params, CFG);
    expect(() => opt.apply([undefined], 0.1)).toThrow(/1 gradients for 4 parameters/);
    disposeAll(params, opt);
  });

  it('an update leaves no tensors behind besides the caller-owned gradients', () => {
    const { init, grads } = setup(6);
    const params = makeParams(init);
    const opt = new Impl(params, { ...CFG, gradClip: 1 });
    const tensors = grads[0]!.map((g, i) => tf.tensor(g, SPECS[i]!.shape));
    const before = tf.memory().numTensors;
    opt.apply(tensors, 0.1);
    opt.apply(tensors, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(tensors);
    disposeAll(params, opt);
  });

  it('holds no tensor once disposed, from construction through updates', () => {
    const { init, grads } = setup(6);
    const params = makeParams(init);
    const tensors = grads[0]!.map((g, i) => tf.tensor(g, SPECS[i]!.shape));
    const before = tf.memory().numTensors;
    const opt = new Impl(params, { ...CFG, gradClip: 1 });
    opt.apply(tensors, 0.1);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(tensors);
    for (const p of params) p.variable.dispose();
  });
});

describe.each(IMPLEMENTATIONS)('%s state round trip', (_name, Impl) => {
  it('continuing from a restored state gives the same weights as never stopping', () => {
    const rng = mulberry32(7);
    const { init } = setup(7);
    const steps = Array.from({ length: 5 }, () =>
      SPECS.map((s, i) => gaussian(rng, init[i]!.length, s.gradScale)),
    );
    const cfg = { ...CFG, gradClip: 1 };

    const straightParams = makeParams(init);
    const straight = new Impl(straightParams, cfg);
    steps.forEach((g, k) => {
      applyGrads(straight, g, 0.05 * (k + 1));
    });

    const firstParams = makeParams(init);
    const first = new Impl(firstParams, cfg);
    steps.slice(0, 3).forEach((g, k) => {
      applyGrads(first, g, 0.05 * (k + 1));
    });
    const saved = first.getState();
    const resumed = new Impl(firstParams, cfg);
    first.dispose(); // the saved state must not depend on the old optimizer's variables
    resumed.setState(saved);
    tf.dispose([...saved.m, ...saved.v]);
    expect(resumed.step).toBe(3);
    steps.slice(3).forEach((g, k) => {
      applyGrads(resumed, g, 0.05 * (k + 4));
    });

    expect(snapshot(firstParams.map((p) => p.variable))).toEqual(
      snapshot(straightParams.map((p) => p.variable)),
    );
    disposeAll(straightParams, straight);
    disposeAll(firstParams, resumed);
  });

  it('setState refuses a state with a different number of slots', () => {
    const { init } = setup(8);
    const params = makeParams(init);
    const opt = new Impl(params, CFG);
    const other = new Impl(params.slice(0, 2), CFG);
    const state = other.getState();
    expect(() => opt.setState(state)).toThrow(/2 slots.*4/);
    tf.dispose([...state.m, ...state.v]);
    other.dispose();
    disposeAll(params, opt);
  });
});

describe('learningRateAt', () => {
  const cfg: OptimConfig = { ...DEFAULT_OPTIM, lr: 1, warmupSteps: 10, steps: 110 };

  it('warms up linearly and reaches the peak rate at step warmupSteps - 1', () => {
    expect(learningRateAt(0, cfg)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(4, cfg)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(9, cfg)).toBeCloseTo(1, 12);
  });

  it('follows the half cosine from the peak at warmupSteps to zero at steps', () => {
    // progress = (step - 10) / 100; rate = (1 + cos(pi * progress)) / 2
    expect(learningRateAt(10, cfg)).toBeCloseTo(1, 12);
    expect(learningRateAt(35, cfg)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 12);
    expect(learningRateAt(60, cfg)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(85, cfg)).toBeCloseTo((1 - Math.SQRT1_2) / 2, 12);
    expect(learningRateAt(110, cfg)).toBeCloseTo(0, 12);
  });

  it('scales with lr, is about 0 at the last step and never exceeds lr or goes negative', () => {
    const c = { ...DEFAULT_OPTIM, lr: 5e-4, warmupSteps: 100, steps: 2000 };
    expect(learningRateAt(50, { ...cfg, lr: 3e-4 })).toBeCloseTo(3e-4 * learningRateAt(50, cfg), 15);
    expect(learningRateAt(c.steps - 1, c)).toBeLessThan(1e-3 * c.lr);
    let previous = 0;
    for (let s = 0; s < c.steps; s++) {
      const r = learningRateAt(s, c);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThanOrEqual(c.lr * (1 + 1e-12));
      if (s < c.warmupSteps) expect(r).toBeGreaterThan(previous);
      else expect(r).toBeLessThanOrEqual(previous);
      previous = r;
    }
  });

  it('starts at the peak rate without warmup', () => {
    const c = { ...cfg, warmupSteps: 0, steps: 100 };
    expect(learningRateAt(0, c)).toBeCloseTo(1, 12);
    expect(learningRateAt(50, c)).toBeCloseTo(0.5, 12);
  });
});

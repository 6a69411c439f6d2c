import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../backend';
import * as tf from '../tf';
import { compareStepRuns, runTinyPair, type StepRun } from './selftest';

let reference: StepRun;

beforeAll(async () => {
  expect(await tryBackend('cpu')).toBeNull();
  reference = await runTinyPair();
});

/** A copy of the reference run with one array changed by `edit`. */
function altered(field: 'logits' | 'gradients' | 'weights', edit: (a: Float32Array) => void): StepRun {
  const copy = {
    ...reference,
    logits: reference.logits.slice(),
    gradients: reference.gradients.slice(),
    weights: reference.weights.slice(),
  };
  edit(copy[field]);
  return copy;
}

describe('the start-up self-test step', () => {
  it('records every student gradient and the weights after one update, and holds no tensors', async () => {
    const before = tf.memory().numTensors;
    const run = await runTinyPair();
    expect(tf.memory().numTensors).toBe(before);
    expect(run.gradients.length).toBe(run.weights.length);
    expect(run.gradients.some((g) => g !== 0)).toBe(true);
    // A second run from the same seeds reproduces the first exactly on the same backend.
    const again = compareStepRuns(reference, run);
    expect(again).toMatchObject({ passed: true, gradientMaxRelDiff: 0, updateMaxDiffInLr: 0, problem: null });
  });

  it('fails a backend whose gradients are off even when its logits and losses agree', () => {
    // The largest gradient, 5% too big: the loss terms and logits are untouched.
    const i = reference.gradients.reduce((best, g, j, a) => (Math.abs(g) > Math.abs(a[best]!) ? j : best), 0);
    const result = compareStepRuns(
      reference,
      altered('gradients', (g) => {
        g[i]! *= 1.05;
      }),
    );
    expect(result.forwardMaxAbsDiff).toBe(0);
    expect(result.stepMaxRelDiff).toBe(0);
    expect(result.gradientMaxRelDiff).toBeCloseTo(0.05, 6);
    expect(result.passed).toBe(false);
    expect(result.problem).toBe('gradients differ from cpu by up to 5.00% of the largest');
  });

  it('fails a backend whose update moved a weight by one learning rate too many', () => {
    const result = compareStepRuns(
      reference,
      altered('weights', (w) => {
        w[3]! += 1e-3;
      }),
    );
    expect(result.updateMaxDiffInLr).toBeCloseTo(1, 3);
    expect(result.passed).toBe(false);
    expect(result.problem).toMatch(
      /^weights after the AdamW update differ from cpu by up to 1\.00 learning rates$/,
    );
  });

  it('passes float32-sized differences in every part', () => {
    const run = altered('weights', (w) => {
      w[0]! += 1e-7;
    });
    run.gradients[0]! *= 1 + 1e-5;
    run.logits[0]! += 1e-6;
    expect(compareStepRuns(reference, run).passed).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset';
import type { RunConfig } from '../spec/config';
import { onCpuBackend, randomDataset, smallRunConfig } from '../test-utils';
import * as tf from '../tf';
import { Trainer } from '../trainer';
import { traceWarmUpSteps, warmUpPipelines } from './warm-up';

const DATASET: Dataset = randomDataset('warm-up-test', 24, 8);

const CONFIG: RunConfig = smallRunConfig(9, { steps: 6, teacherSteps: 6 });

/** Everything a step changes: weights, optimizer moments and step, position and RNG states. */
async function state(t: Trainer) {
  const opt = t.teacherOptimizer!.getState();
  const read = async (ts: tf.Tensor[]) => Promise.all(ts.map(async (x) => Array.from(await x.data())));
  const out = {
    weights: await read(t.teacher.variables()),
    m: await read(opt.m),
    v: await read(opt.v),
    optimizerStep: opt.step,
    position: JSON.stringify(t.position()),
    step: t.step,
  };
  tf.dispose([...opt.m, ...opt.v]);
  return out;
}

describe('pipeline warm-up', () => {
  onCpuBackend();

  it('is a no-op off WebGPU: no tensor, no change to weights, optimizer or RNG', async () => {
    const trainer = new Trainer({ config: CONFIG, phase: 'teacher', dataset: DATASET });
    trainer.trainStep(); // moments and step counter away from their initial values
    await trainer.readMetrics();
    const before = await state(trainer);
    const tensors = tf.memory().numTensors;
    const result = await warmUpPipelines({
      config: CONFIG,
      phase: 'teacher',
      stepKinds: ['fast', 'reference'],
      augment: { cropPadding: 4, flip: true, mixup: 0.2 },
    });
    expect(result).toBeNull();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await state(trainer)).toEqual(before);
    trainer.dispose();
  });

  it('traces both phases, both kinds, mixup and baselines without leaking a tensor', () => {
    // On cpu the trace computes for real: the bookkeeping is the same as in compile-only mode.
    const tensors = tf.memory().numTensors;
    traceWarmUpSteps({
      config: CONFIG,
      phase: 'teacher',
      stepKinds: ['fast', 'reference'],
      baselines: [{ name: 'ce-only', loss: { wCe: 1, wKd: 0, wMd: 0 } }],
      augment: { cropPadding: 4, flip: true, mixup: 0.2 },
    });
    traceWarmUpSteps({ config: CONFIG, phase: 'student', stepKinds: ['fast'], augment: null });
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

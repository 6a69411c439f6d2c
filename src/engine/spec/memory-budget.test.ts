import { describe, expect, it } from 'vitest';
import { memoryProblem, trainingMemoryNeed } from './memory-budget';
import { presetConfig } from './presets';

const CIFAR = { trainCount: 50_000, testCount: 10_000, imageSize: 32 };

describe('memory refusals, shared by the page and the command line', () => {
  it('lets every preset train on CIFAR-10 on wasm', () => {
    for (const name of ['default', 'paper', 'tiny'])
      expect(memoryProblem(presetConfig(name), CIFAR, 'wasm'), name).toBeNull();
  });

  it('refuses a batch whose activations cannot fit, saying how much and what to shrink', () => {
    const config = presetConfig('default');
    const huge = { ...config, optim: { ...config.optim, batch: 4096 } };
    // 6 blocks x 4096 images x (65 tokens x (10 x 128 + 2 x 512) + 2 x 4 heads x 65 x 65) floats x 4 bytes: 18.04e9.
    expect(trainingMemoryNeed(huge, CIFAR)).toBeGreaterThan(18.04e9);
    expect(memoryProblem(huge, CIFAR, 'wasm')).toMatch(
      /^This config needs about \d+\.\d GB for training on wasm, more than the 2\.0 GB it can count on\. Lower the batch size \(now 4096\)/,
    );
  });

  it('refuses a single GPU buffer over the device limit before the total', () => {
    const config = presetConfig('default');
    expect(memoryProblem(config, CIFAR, 'webgpu', 64 * 2 ** 20)).toMatch(
      /single GPU buffer of \d+ MB, more than this GPU allows \(64 MB\)/,
    );
  });
});

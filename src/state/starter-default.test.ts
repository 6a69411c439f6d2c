/** The CIFAR-10 starter set is the default data of every link, and each preset has its teacher there. */
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES } from '../engine/spec/presets';
import { pretrainedTeacherFor } from './pretrained-teachers';
import { decodeHash, encodeHash } from './url-codec';

describe('the starter set as the default data', () => {
  it('a link without a data key trains on the starter set, with every preset', () => {
    expect(decodeHash('#v=1').config.data).toBe('starter');
    for (const preset of PRESET_NAMES) {
      const { config, notices } = decodeHash(`#v=1&preset=${preset}`);
      expect(notices, preset).toEqual([]);
      expect(config.data, preset).toBe('starter');
      // The shipped CIFAR-10 teacher of its shape: Start goes straight to the student phase.
      expect(pretrainedTeacherFor(config)?.dataset, preset).toBe('cifar10');
    }
  });

  it('the default stays out of links; old links keep their data', () => {
    const starter = decodeHash('#v=1&preset=tiny').config;
    expect(encodeHash(starter)).not.toMatch(/data=/);
    expect(decodeHash('#v=1&data=starter').config.data).toBe('starter');
    const shapes = decodeHash('#v=1&preset=tiny&data=synthetic').config;
    expect(shapes.data).toBe('synthetic');
    expect(encodeHash(shapes)).toMatch(/[#&]data=synthetic(&|$)/);
    expect(decodeHash('#v=1&data=cifar10').config.data).toBe('cifar10');
  });
});

import { describe, expect, it } from 'vitest';
import { presetConfig } from '../engine/spec/presets';
import { formatAbout, lightestPreset, planSeconds, startPlan, withPreset } from './run-estimate';

describe('the estimate before Start', () => {
  const config = presetConfig('default');

  it("goes straight to the student phase with the shipped teacher, unless one is trained here or the data's classes differ", () => {
    expect(startPlan(config, 'pretrained')).toEqual({
      teacherSteps: 0,
      studentSteps: 2000,
      shippedTeacher: 'cifar10-default',
      students: 1,
    });
    expect(startPlan(config, 'train')).toMatchObject({ teacherSteps: 2000, shippedTeacher: null });
    // CIFAR-100 files picked as the CIFAR data: no shipped teacher knows their classes.
    expect(startPlan({ ...config, data: 'cifar10' }, 'pretrained', 'cifar100')).toMatchObject({
      teacherSteps: 2000,
      shippedTeacher: null,
    });
    // A teacher of a shape nothing was shipped for is trained here.
    const wide = { ...config, teacher: { ...config.teacher, dModel: 96 } };
    expect(startPlan(wide, 'pretrained').teacherSteps).toBe(2000);
    expect(startPlan({ ...config, baseline: 'kd-only' }, 'pretrained').students).toBe(2);
  });

  it('adds up the steps of each phase at their measured times', () => {
    const student = { msPerStep: 1500, cutShort: false };
    const teacher = { msPerStep: 900, cutShort: false };
    // 2,000 student steps at 1.5 s: 50 minutes, the default run on wasm here.
    expect(planSeconds(startPlan(config, 'pretrained'), { student })).toBe(3000);
    expect(planSeconds(startPlan(config, 'train'), { student, teacher })).toBe(2000 * 0.9 + 2000 * 1.5);
    expect(planSeconds(startPlan({ ...config, baseline: 'ce-only' }, 'pretrained'), { student })).toBe(6000);
    // A phase without a measured step time gives no estimate rather than a wrong one.
    expect(planSeconds(startPlan(config, 'train'), { student })).toBeNull();
    expect(planSeconds(startPlan(config, 'pretrained'), {})).toBeNull();
  });

  it('says durations in round words', () => {
    expect(formatAbout(20)).toBe('under a minute');
    expect(formatAbout(61)).toBe('about 1 min');
    expect(formatAbout(3000)).toBe('about 50 min');
    expect(formatAbout(9240)).toBe('about 2 h 34 min');
    expect(formatAbout(7200)).toBe('about 2 h');
  });

  it('offers the preset with the least work, keeping seed, data and backend as picking a preset does', () => {
    expect(lightestPreset(config)).toBe('tiny');
    expect(lightestPreset(presetConfig('tiny'))).toBeNull();
    const mine = { ...config, seed: 7, backend: 'wasm' as const, data: 'synthetic' as const };
    expect(withPreset(mine, 'tiny')).toEqual({
      ...presetConfig('tiny'),
      seed: 7,
      backend: 'wasm',
      data: 'synthetic',
    });
  });
});

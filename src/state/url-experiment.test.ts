import { describe, expect, it } from 'vitest';
import { presetConfig } from '../engine/spec/presets';
import { OBJECTIVES, type ObjectiveId } from './experiment-plan';
import { decodeHash, EXPERIMENT_KEY_SPECS, encodeHash } from './url-codec';

// The experiment keys of a share link: the Experiment panel's definition, never its results.

const tiny = presetConfig('tiny');

describe('experiment keys', () => {
  it('are written only for the parts given, after the config keys, without percent-encoding', () => {
    expect(encodeHash(tiny)).toBe(encodeHash(tiny, {}));
    expect(encodeHash(tiny)).not.toMatch(/exp/);
    const hash = encodeHash(tiny, { objectives: ['kd-only', 'kd+all'], seeds: [1, 2], steps: 8 });
    expect(hash).toBe(`${encodeHash(tiny)}&expObjectives=kd-only_kd-all&expSeeds=1_2&expSteps=8`);
    expect(encodeHash(tiny, { seeds: [7] })).toBe(`${encodeHash(tiny)}&expSeeds=7`);
  });

  it('round-trip every objective set, seed list and step count, with no notice', () => {
    const ids = OBJECTIVES.map((o) => o.id);
    // Every non-empty subset of the six objectives.
    for (let mask = 1; mask < 2 ** ids.length; mask++) {
      const objectives = ids.filter((_, i) => mask & (1 << i));
      const seeds = [mask % 5, 10 + mask, 2 ** 31 - 1 - mask];
      const steps = 1 + mask * 37;
      const decoded = decodeHash(encodeHash(tiny, { objectives, seeds, steps }));
      expect(decoded.notices).toEqual([]);
      expect(decoded.experiment).toEqual({ objectives, seeds, steps });
      expect(decoded.config).toEqual(tiny);
    }
  });

  it('read objectives with + or -, in any order, once each, in the panel order', () => {
    const read = (raw: string) => decodeHash(`#v=1&expObjectives=${raw}`);
    expect(read('kd-all_ce-only').experiment.objectives).toEqual(['ce-only', 'kd+all']);
    expect(read('kd%2Bintra_kd+random').experiment.objectives).toEqual(['kd+intra', 'kd+random']);
    expect(read('kd-only_kd-only').experiment.objectives).toEqual(['kd-only']);
    expect(read('kd-only').notices).toEqual([]);
  });

  it('a link without experiment keys leaves the panel alone', () => {
    expect(decodeHash('#v=1&preset=tiny&steps=8').experiment).toEqual({});
  });

  it.each([
    ['expObjectives', 'kd-only_kd-everything', "'kd-everything' is not an objective; use ce-only, kd-only"],
    ['expObjectives', '', 'no objective: name at least one'],
    ['expSeeds', '1_x', "'x' is not a whole number"],
    ['expSeeds', '1_-2', "'-2' is not a whole number"],
    ['expSeeds', '3_3', 'seed 3 appears twice; give each seed once'],
    ['expSeeds', '', 'no seed: give at least one'],
    ['expSeeds', '1_4294967296', 'seed 4294967296: too big'],
    ['expSteps', '0', 'expSteps='],
    ['expSteps', '2.5', 'not a whole number'],
    ['expSteps', 'many', 'not a number'],
  ])('bad %s=%s is reported and ignored; the other keys still count', (key, raw, says) => {
    const other = key === 'expSeeds' ? 'expSteps=5' : 'expSeeds=5_6';
    const { config, experiment, notices } = decodeHash(`#v=1&preset=tiny&lr=0.01&${other}&${key}=${raw}`);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`ignored ${key}='${raw}'`);
    expect(notices[0]).toContain(says);
    expect(notices[0]).toContain('the Experiment panel keeps its own');
    const field = EXPERIMENT_KEY_SPECS.find((s) => s.key === key)!.field;
    expect(experiment[field]).toBeUndefined();
    // The URL's other keys are unaffected: the config's, and the other experiment keys.
    expect(config.optim.lr).toBe(0.01);
    if (key === 'expSeeds') expect(experiment.steps).toBe(5);
    else expect(experiment.seeds).toEqual([5, 6]);
  });

  it('steps out of the config range are refused with the range', () => {
    const { notices } = decodeHash('#v=1&expSteps=0');
    expect(notices[0]).toMatch(/ignored expSteps='0' \(.*1.*\)/);
  });

  it('results are not keys: a results-like key is an unknown setting', () => {
    const { notices } = decodeHash('#v=1&expResults=0.3');
    expect(notices).toEqual(["ignored unknown setting 'expResults'"]);
  });

  it('objective names in the docs match the ids', () => {
    const type = EXPERIMENT_KEY_SPECS.find((s) => s.key === 'expObjectives')!.codec.type;
    for (const id of OBJECTIVES.map((o) => o.id) as ObjectiveId[])
      expect(type).toContain(id.replace('+', '-'));
  });
});

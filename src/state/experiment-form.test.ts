import { beforeEach, describe, expect, it } from 'vitest';
import { presetConfig } from '../engine/spec/presets';
import {
  editExperimentForm,
  experimentLink,
  fillFormFromExperiment,
  fillFormFromLink,
  useExperimentForm,
} from './experiment-form';
import { decodeHash, encodeHash } from './url-codec';

const fresh = useExperimentForm.getState();

describe('the Experiment form and the link', () => {
  beforeEach(() => useExperimentForm.setState(fresh, true));

  it('a fresh form adds nothing to a link', () => {
    expect(experimentLink(useExperimentForm.getState(), 8)).toEqual({});
  });

  it('a link carries the parts that differ from a fresh form, in the panel order', () => {
    editExperimentForm({ objectives: ['kd+all', 'kd-only'], seedsText: '4 5', steps: 8 });
    // Steps equal to the config's are what a fresh form shows: left out.
    expect(experimentLink(useExperimentForm.getState(), 8)).toEqual({
      objectives: ['kd-only', 'kd+all'],
      seeds: [4, 5],
    });
    expect(experimentLink(useExperimentForm.getState(), 20)).toMatchObject({ steps: 8 });
    // Nothing unreadable goes in: seeds being typed, no objective, steps of 0.
    editExperimentForm({ objectives: [], seedsText: '4,', steps: 0 });
    expect(experimentLink(useExperimentForm.getState(), 8)).toEqual({ seeds: [4] });
    editExperimentForm({ seedsText: '4, x' });
    expect(experimentLink(useExperimentForm.getState(), 8)).toEqual({});
  });

  it('opening the link fills the same form back', () => {
    editExperimentForm({ objectives: ['ce-only', 'kd+inter'], seedsText: '3, 9', steps: 12 });
    const sent = useExperimentForm.getState();
    const hash = encodeHash(presetConfig('tiny'), experimentLink(sent, 40));
    useExperimentForm.setState(fresh, true);
    fillFormFromLink(decodeHash(hash).experiment);
    expect(useExperimentForm.getState()).toEqual({ ...sent, source: 'link' });
  });

  it("a link's definition is not replaced by an earlier visit's saved experiment, but by one that runs", () => {
    fillFormFromLink({ seeds: [7] });
    expect(useExperimentForm.getState()).toMatchObject({ seedsText: '7', source: 'link' });
    const saved = { objectives: ['kd-only' as const], seeds: [1, 2], steps: 5 };
    fillFormFromExperiment(saved, true);
    expect(useExperimentForm.getState().seedsText).toBe('7');
    fillFormFromExperiment(saved);
    expect(useExperimentForm.getState()).toEqual({
      objectives: ['kd-only'],
      seedsText: '1, 2',
      steps: 5,
      source: 'experiment',
    });
  });

  it('a link without experiment keys leaves the form as it is', () => {
    fillFormFromLink({});
    expect(useExperimentForm.getState()).toEqual(fresh);
  });
});

/** The config being edited (what the next Start uses), and notices about it from the URL. */
import type { StateCreator } from 'zustand';
import type { RunConfig } from '../engine/spec/config';
import { runConfigProblems } from '../engine/spec/config-schema';
import { applyLayers, type ConfigLayer, presetConfig } from '../engine/spec/presets';
import type { AppState } from './store';

export interface ConfigSlice {
  config: RunConfig;
  /** Problems of the edited config; Start is refused while there are any. */
  configProblems: string[];
  /** Settings from the URL that were invalid and replaced by defaults, in words. */
  urlNotices: string[];
  setConfig: (layer: ConfigLayer) => void;
  replaceConfig: (config: RunConfig, notices?: string[]) => void;
  /** Switches to a preset's effective defaults, keeping the seed, data and backend. */
  applyPreset: (name: string) => void;
  dismissUrlNotices: () => void;
}

export const createConfigSlice: StateCreator<AppState, [], [], ConfigSlice> = (set, get) => ({
  config: presetConfig('default'),
  configProblems: [],
  urlNotices: [],
  setConfig: (layer) => {
    const config = applyLayers(get().config, layer);
    set({ config, configProblems: runConfigProblems(config) });
  },
  replaceConfig: (config, notices = []) =>
    set({ config, configProblems: runConfigProblems(config), urlNotices: notices }),
  applyPreset: (name) => {
    const { seed, data, backend } = get().config;
    const config = { ...presetConfig(name), seed, data, backend };
    set({ config, configProblems: runConfigProblems(config) });
  },
  dismissUrlNotices: () => set({ urlNotices: [] }),
});

/** The one app store, built from typed slices; middleware is applied once, here. */
import { create } from 'zustand';
import { subscribeWithSelector } from 'zustand/middleware';
import { type ConfigSlice, createConfigSlice } from './config-slice';
import { createDataSlice, type DataSlice } from './data-slice';
import { createImagesSlice, type ImagesSlice } from './images-slice';
import { createMapsSlice, type MapsSlice } from './maps-slice';
import { createRunSlice, type RunSlice } from './run-slice';
import { createRuntimeSlice, type RuntimeSlice } from './runtime-slice';
import { createToastsSlice, type ToastsSlice } from './toasts-slice';

export type AppState = RuntimeSlice &
  ConfigSlice &
  RunSlice &
  DataSlice &
  MapsSlice &
  ImagesSlice &
  ToastsSlice;

export const useAppStore = create<AppState>()(
  subscribeWithSelector((...a) => ({
    ...createRuntimeSlice(...a),
    ...createConfigSlice(...a),
    ...createRunSlice(...a),
    ...createDataSlice(...a),
    ...createMapsSlice(...a),
    ...createImagesSlice(...a),
    ...createToastsSlice(...a),
  })),
);

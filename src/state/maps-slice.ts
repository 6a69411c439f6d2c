/** The relation maps on screen and which ones are chosen (layer pair, image, patch position). */
import type { StateCreator } from 'zustand';
import type { MapsPayload, MapView } from '../worker/protocol';
import type { AppState } from './store';

export interface MapsSlice {
  mapView: MapView;
  maps: (MapsPayload & { step: number; phase: 'teacher' | 'student' }) | null;
  setMapView: (view: Partial<MapView>) => void;
  mapsArrived: (maps: MapsPayload, step: number, phase: 'teacher' | 'student') => void;
  clearMaps: () => void;
}

export const createMapsSlice: StateCreator<AppState, [], [], MapsSlice> = (set, get) => ({
  mapView: { pair: 0, image: 0, position: 0 },
  maps: null,
  setMapView: (view) => set({ mapView: { ...get().mapView, ...view } }),
  mapsArrived: (maps, step, phase) => set({ maps: { ...maps, step, phase } }),
  clearMaps: () => set({ maps: null }),
});

/** The relation maps on screen, which ones are chosen (layer pair, image, patch position), and their timeline. */
import type { StateCreator } from 'zustand';
import type { MapsPayload, MapView } from '../worker/shared/protocol';
import { addSnapshot, type MapPhase, type MapSnapshot, type ShownMaps } from './map-timeline';
import type { AppState } from './store';

export interface MapsSlice {
  mapView: MapView;
  maps: ShownMaps | null;
  /** Snapshots of the student-phase maps at each refresh, thinned evenly (map-timeline.ts). */
  mapTimeline: MapSnapshot[];
  /** The step of the snapshot the timeline shows, or null to follow the latest maps. */
  timelineStep: number | null;
  setMapView: (view: Partial<MapView>) => void;
  mapsArrived: (maps: MapsPayload, step: number, phase: MapPhase) => void;
  setTimelineStep: (step: number | null) => void;
  /** Drops the maps and the timeline: a new run or a reset. Pause and resume keep them. */
  clearMaps: () => void;
}

export const createMapsSlice: StateCreator<AppState, [], [], MapsSlice> = (set, get) => ({
  mapView: { pair: 0, image: 0, position: 0 },
  maps: null,
  mapTimeline: [],
  timelineStep: null,
  setMapView: (view) => set({ mapView: { ...get().mapView, ...view } }),
  mapsArrived: (maps, step, phase) => {
    const shown = { ...maps, step, phase };
    set({ maps: shown, mapTimeline: addSnapshot(get().mapTimeline, shown) });
  },
  setTimelineStep: (timelineStep) => set({ timelineStep }),
  clearMaps: () => set({ maps: null, mapTimeline: [], timelineStep: null }),
});

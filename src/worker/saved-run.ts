/**
 * The last run's checkpoint in IndexedDB (through idb-keyval, which works in workers), so
 * a reload or a lost GPU device loses nothing: the page offers to continue from it.
 */
import { del, get, set } from 'idb-keyval';
import type { CheckpointManifest, Phase } from '../engine/checkpoint';
import type { RunConfig } from '../engine/config';

const KEY = 'manifold-kd/last-run';

export interface SavedRun {
  savedAt: number;
  phase: Phase;
  step: number;
  totalSteps: number;
  config: RunConfig;
  /** The checkpoint of the phase in progress. */
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
  /** The trained teacher's checkpoint, once the student phase has begun. */
  teacher: { manifest: CheckpointManifest; weights: ArrayBuffer } | null;
}

export async function saveRun(run: SavedRun): Promise<void> {
  await set(KEY, run);
}

export async function loadSavedRun(): Promise<SavedRun | null> {
  return (await get<SavedRun>(KEY)) ?? null;
}

export async function clearSavedRun(): Promise<void> {
  await del(KEY);
}

/**
 * Saved runs in IndexedDB (through idb-keyval, which works in workers), one slot per run keyed
 * by the run's save id, so two tabs training at once each keep their own save and a reload or
 * a lost GPU device loses nothing: the page lists the saved runs and offers to continue them.
 *
 * Each slot is two keys written in one transaction: a small summary (listed without reading
 * any weights) and the run itself (checkpoint and weights). A third key holds the page's views
 * of the run (its curves and relation-map timeline, bounded by the page), written when the page
 * has them and deleted with the slot, so a continued run shows its whole history again.
 */
import { delMany, get, getMany, keys, setMany } from 'idb-keyval';
import type { CheckpointManifest, Phase } from '../engine/spec/checkpoint-format';
import type { RunConfig } from '../engine/spec/config';

/** The single slot of earlier versions; moved into a slot of its own on first use. */
export const LEGACY_KEY = 'manifold-kd/last-run';
const INFO_PREFIX = 'manifold-kd/run-info/';
const RUN_PREFIX = 'manifold-kd/run/';
const VIEWS_PREFIX = 'manifold-kd/run-views/';

/** What the resume offer lists about a saved run. */
export interface SavedRunInfo {
  id: string;
  savedAt: number;
  phase: Phase;
  step: number;
  totalSteps: number;
  config: RunConfig;
}

export interface SavedRun extends SavedRunInfo {
  /** The checkpoint of the phase in progress. */
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
  /** The trained teacher's checkpoint, once the student phase has begun. */
  teacher: { manifest: CheckpointManifest; weights: ArrayBuffer } | null;
}

/** Where a session keeps its saved runs: IndexedDB in the browser, memory in Node tests. */
export interface SavedRunStore {
  /** Summaries of every saved run, newest first. */
  list(): Promise<SavedRunInfo[]>;
  load(id: string): Promise<SavedRun | null>;
  save(run: SavedRun): Promise<void>;
  delete(id: string): Promise<void>;
  /** Keeps the page's views of a saved run (opaque here), replacing earlier ones. */
  saveViews(id: string, views: unknown): Promise<void>;
  /** The views kept for a run, with the phase and step of its saved checkpoint; null when there are none. */
  loadViews(id: string): Promise<{ views: unknown; phase: Phase; step: number } | null>;
}

/** The few key-value operations the store needs: idb-keyval's, or a Map's in tests. */
export interface KeyValue {
  get(key: string): Promise<unknown>;
  getMany(keys: string[]): Promise<unknown[]>;
  setMany(entries: [string, unknown][]): Promise<void>;
  delMany(keys: string[]): Promise<void>;
  keys(): Promise<IDBValidKey[]>;
}

function summary(run: SavedRunInfo): SavedRunInfo {
  const { id, savedAt, phase, step, totalSteps, config } = run;
  return { id, savedAt, phase, step, totalSteps, config };
}

/** A saved-run store over any key-value store; the slot logic is the same in every one. */
export function slotStore(kv: KeyValue): SavedRunStore {
  /** Moves a save of the single-slot era into a slot; written before the old key goes, so a crash keeps both. */
  const migrate = async (): Promise<void> => {
    const old = (await kv.get(LEGACY_KEY)) as Omit<SavedRun, 'id'> | undefined;
    if (!old) return;
    const run: SavedRun = { ...old, id: `saved-${old.savedAt}` };
    await kv.setMany([
      [INFO_PREFIX + run.id, summary(run)],
      [RUN_PREFIX + run.id, run],
    ]);
    await kv.delMany([LEGACY_KEY]);
  };
  return {
    async list() {
      await migrate();
      const infoKeys = (await kv.keys()).filter(
        (k): k is string => typeof k === 'string' && k.startsWith(INFO_PREFIX),
      );
      const infos = (await kv.getMany(infoKeys)).filter(Boolean) as SavedRunInfo[];
      return infos.sort((a, b) => b.savedAt - a.savedAt);
    },
    async load(id) {
      await migrate();
      return ((await kv.get(RUN_PREFIX + id)) as SavedRun | undefined) ?? null;
    },
    async save(run) {
      await kv.setMany([
        [INFO_PREFIX + run.id, summary(run)],
        [RUN_PREFIX + run.id, run],
      ]);
    },
    async delete(id) {
      await kv.delMany([INFO_PREFIX + id, RUN_PREFIX + id, VIEWS_PREFIX + id]);
    },
    async saveViews(id, views) {
      // Only for a run still saved: a finished run has deleted its slot, views and all.
      if (!(await kv.get(INFO_PREFIX + id))) return;
      await kv.setMany([[VIEWS_PREFIX + id, views]]);
    },
    async loadViews(id) {
      const [info, views] = (await kv.getMany([INFO_PREFIX + id, VIEWS_PREFIX + id])) as [
        SavedRunInfo | undefined,
        unknown,
      ];
      return info && views !== undefined ? { views, phase: info.phase, step: info.step } : null;
    },
  };
}

/** A key-value store in memory (Node tests). */
export function memoryKeyValue(
  initial: Record<string, unknown> = {},
): KeyValue & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>(Object.entries(initial));
  return {
    map,
    get: async (key) => map.get(key),
    getMany: async (ks) => ks.map((k) => map.get(k)),
    setMany: async (entries) => {
      for (const [k, v] of entries) map.set(k, v);
    },
    delMany: async (ks) => {
      for (const k of ks) map.delete(k);
    },
    keys: async () => [...map.keys()],
  };
}

export const indexedDbSavedRuns: SavedRunStore = slotStore({ get, getMany, setMany, delMany, keys });

/**
 * The relation-map timeline: snapshots of the maps the worker sends at its map refresh, kept in
 * a bounded ring that thins evenly, so a long run keeps its whole history at a coarser grain.
 */
import type { MapsPayload, ModelMaps } from '../worker/shared/protocol';

export type MapPhase = 'teacher' | 'student';
/** Maps as the page shows them: the worker's payload, the step it was read at and the phase. */
export type ShownMaps = MapsPayload & { step: number; phase: MapPhase };
export type MapTerm = 'intra' | 'inter' | 'random';
export const MAP_TERMS: readonly MapTerm[] = ['intra', 'inter', 'random'];

export interface MapSnapshot {
  step: number;
  maps: ShownMaps;
  /** Mean squared difference, teacher vs student, of each term's shown map. */
  distance: Record<MapTerm, number>;
}

/** Most snapshots kept (each holds one map of each term, so this bounds every term's count). */
export const TIMELINE_CAPACITY = 100;

/** Mean squared difference of two maps of the same size. */
export function mapDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`Maps of different sizes: ${a.length} and ${b.length}.`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return a.length ? sum / a.length : 0;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameMaps(a: ModelMaps, b: ModelMaps): boolean {
  return sameValues(a.intra, b.intra) && sameValues(a.inter, b.inter) && sameValues(a.random, b.random);
}

/**
 * Adds `item` to the ring (a new array), keeping at most `capacity` items. When full, it drops
 * the inner item whose neighbours are closest in step, oldest first among equals: the first
 * and latest stay, and the kept steps stay evenly spread over the whole run (no gap more
 * than about twice another) instead of the window sliding forward.
 */
export function thinPush<T extends { step: number }>(ring: readonly T[], item: T, capacity: number): T[] {
  if (capacity < 2) throw new Error(`A timeline needs room for at least 2 snapshots, not ${capacity}.`);
  const out = [...ring, item];
  while (out.length > capacity) {
    let drop = 1;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 1; i < out.length - 1; i++) {
      const span = out[i + 1]!.step - out[i - 1]!.step;
      if (span < best) {
        best = span;
        drop = i;
      }
    }
    out.splice(drop, 1);
  }
  return out;
}

/**
 * The snapshot of newly arrived maps, or null when there is nothing to compare (no student
 * yet). The teacher is frozen in the student phase, so its maps repeat: a repeat shares the
 * previous snapshot's arrays, which halves what the ring holds.
 */
export function snapshotOf(maps: ShownMaps, previous: MapSnapshot | undefined): MapSnapshot | null {
  const student = maps.student;
  if (!student) return null;
  const teacher =
    previous && sameMaps(previous.maps.teacher, maps.teacher) ? previous.maps.teacher : maps.teacher;
  return {
    step: maps.step,
    maps: { ...maps, teacher },
    distance: {
      intra: mapDistance(teacher.intra, student.intra),
      inter: mapDistance(teacher.inter, student.inter),
      random: mapDistance(teacher.random, student.random),
    },
  };
}

/** The ring with newly arrived maps added: a refresh at the same step (a pause, a new view) replaces the last. */
export function addSnapshot(ring: readonly MapSnapshot[], maps: ShownMaps): MapSnapshot[] {
  const last = ring.at(-1);
  const snap = snapshotOf(maps, last);
  if (!snap) return ring as MapSnapshot[];
  if (last && last.step === snap.step) return [...ring.slice(0, -1), snap];
  if (last && snap.step < last.step) return [snap]; // a new phase or run restarted the count
  return thinPush(ring, snap, TIMELINE_CAPACITY);
}

/** Index of the snapshot at `step`, or of the nearest one; -1 on an empty ring. */
export function snapshotIndex(ring: readonly MapSnapshot[], step: number | null): number {
  if (!ring.length) return -1;
  if (step === null) return ring.length - 1;
  let best = 0;
  for (let i = 1; i < ring.length; i++)
    if (Math.abs(ring[i]!.step - step) < Math.abs(ring[best]!.step - step)) best = i;
  return best;
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
const numbers = (values: Float32Array) => Array.from(values, round);
const plainMaps = (m: ModelMaps) => ({
  intra: numbers(m.intra),
  inter: numbers(m.inter),
  random: numbers(m.random),
});

/**
 * The timeline as plain JSON for "Export run": maps rounded to 4 decimals (cosine similarities
 * in [-1, 1]); the teacher's maps appear only where they change, `teacher: null` repeats them.
 */
export function timelineForExport(ring: readonly MapSnapshot[]) {
  return ring.map((snap, i) => ({
    step: snap.step,
    phase: snap.maps.phase,
    blocks: snap.maps.blocks,
    image: snap.maps.view.image,
    position: snap.maps.view.position,
    patches: snap.maps.patches,
    batch: snap.maps.batch,
    k: snap.maps.k,
    distance: snap.distance,
    teacher: i > 0 && ring[i - 1]!.maps.teacher === snap.maps.teacher ? null : plainMaps(snap.maps.teacher),
    student: plainMaps(snap.maps.student!),
    blockMatch: snap.maps.blockMatch
      ? { ...snap.maps.blockMatch, values: numbers(snap.maps.blockMatch.values) }
      : null,
  }));
}

import { describe, expect, it } from 'vitest';
import {
  addSnapshot,
  mapDistance,
  type ShownMaps,
  snapshotIndex,
  TIMELINE_CAPACITY,
  thinPush,
  timelineForExport,
} from './map-timeline';

const steps = (ring: { step: number }[]) => ring.map((r) => r.step);

describe('thinPush', () => {
  it('keeps everything until the ring is full', () => {
    let ring: { step: number }[] = [];
    for (let s = 0; s < 10; s++) ring = thinPush(ring, { step: s }, 10);
    expect(steps(ring)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('stays bounded, keeps the first and the latest, and spreads the rest evenly over the run', () => {
    const capacity = 100;
    let ring: { step: number }[] = [];
    for (let s = 0; s <= 5000; s += 5) {
      ring = thinPush(ring, { step: s }, capacity);
      expect(ring.length).toBeLessThanOrEqual(capacity);
    }
    expect(ring.length).toBe(capacity);
    expect(ring[0]!.step).toBe(0);
    expect(ring.at(-1)!.step).toBe(5000);
    const gaps = steps(ring)
      .slice(1)
      .map((s, i) => s - ring[i]!.step);
    // Even thinning: an ideal spread has gaps of 5000 / 99 ~ 50.5; no region is left dense or
    // sparse (a sliding window would have dropped the first 4,500 steps).
    const ideal = 5000 / (capacity - 1);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * ideal + 5);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(ideal / 3);
    // Snapshots from the first tenth of the run survive in proportion.
    const early = ring.filter((r) => r.step <= 500).length;
    expect(early).toBeGreaterThanOrEqual(6);
    expect(early).toBeLessThanOrEqual(14);
  });

  it('keeps steps in order', () => {
    let ring: { step: number }[] = [];
    let s = 0;
    for (let i = 0; i < 400; i++) {
      s += 1 + ((i * 7919) % 13); // uneven arrivals
      ring = thinPush(ring, { step: s }, 20);
    }
    const sorted = [...steps(ring)].sort((a, b) => a - b);
    expect(steps(ring)).toEqual(sorted);
  });
});

function maps(step: number, teacherValue: number, studentValue: number): ShownMaps {
  const m = (v: number, n: number) => new Float32Array(n).fill(v);
  return {
    step,
    phase: 'student',
    view: { pair: 0, image: 0, position: 0 },
    blocks: [0, 0],
    patches: 2,
    batch: 2,
    k: 2,
    teacher: { intra: m(teacherValue, 4), inter: m(teacherValue, 4), random: m(teacherValue, 4) },
    student: { intra: m(studentValue, 4), inter: m(studentValue, 4), random: m(studentValue, 4) },
    image: new Uint8Array(12),
    imageSize: 2,
    labels: [0, 1],
    blockMatch: null,
  };
}

describe('addSnapshot', () => {
  it('records distances, shares repeated teacher maps, replaces a refresh at the same step', () => {
    let ring = addSnapshot([], maps(10, 0.5, 0.1));
    expect(ring[0]!.distance.intra).toBeCloseTo(0.16, 6); // (0.5 - 0.1)^2
    ring = addSnapshot(ring, maps(20, 0.5, 0.3));
    expect(ring[1]!.maps.teacher).toBe(ring[0]!.maps.teacher);
    ring = addSnapshot(ring, maps(20, 0.5, 0.4));
    expect(ring.length).toBe(2);
    expect(ring[1]!.distance.random).toBeCloseTo(0.01, 6);
    expect(snapshotIndex(ring, 12)).toBe(0);
    expect(snapshotIndex(ring, null)).toBe(1);
  });

  it('ignores maps without a student and stays within capacity', () => {
    const teacherOnly = { ...maps(5, 0.5, 0.1), student: null };
    expect(addSnapshot([], teacherOnly)).toEqual([]);
    let ring = addSnapshot([], maps(1, 0.5, 0.1));
    for (let s = 2; s < 400; s++) ring = addSnapshot(ring, maps(s, 0.5, 0.1));
    expect(ring.length).toBe(TIMELINE_CAPACITY);
  });
});

describe('mapDistance', () => {
  it('is the mean squared difference', () => {
    const a = new Float32Array([1, -1, 0.5]);
    const b = new Float32Array([0, 1, 0.5]);
    expect(mapDistance(a, b)).toBeCloseTo((1 + 4 + 0) / 3, 6);
    expect(() => mapDistance(a, new Float32Array(2))).toThrow(/different sizes/);
  });
});

describe('timelineForExport', () => {
  it('writes plain numbers, the teacher only where it changes, and survives a JSON round trip', () => {
    let ring = addSnapshot([], maps(10, 0.5, 0.123456));
    ring = addSnapshot(ring, maps(20, 0.5, 0.2));
    ring = addSnapshot(ring, maps(30, 0.25, 0.2));
    const out = JSON.parse(JSON.stringify(timelineForExport(ring)));
    expect(out.map((s: { step: number }) => s.step)).toEqual([10, 20, 30]);
    expect(out[0].teacher.intra).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(out[1].teacher).toBeNull();
    expect(out[2].teacher.inter).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(out[0].student.random[0]).toBe(0.1235);
    expect(out[0].distance.intra).toBeCloseTo((0.5 - 0.123456) ** 2, 5);
  });
});

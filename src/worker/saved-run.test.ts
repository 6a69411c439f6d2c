/** The save-slot logic (the same code runs over IndexedDB in the browser) over a Map. */
import { describe, expect, it } from 'vitest';
import type { CheckpointManifest } from '../engine/spec/checkpoint-format';
import { DEFAULT_CONFIG } from '../engine/spec/config';
import { LEGACY_KEY, memoryKeyValue, type SavedRun, slotStore } from './saved-run';

function run(id: string, step: number, savedAt: number): SavedRun {
  return {
    id,
    savedAt,
    phase: 'teacher',
    step,
    totalSteps: 100,
    config: DEFAULT_CONFIG,
    manifest: { format: 'test' } as unknown as CheckpointManifest,
    weights: new Float32Array([step, savedAt]).buffer,
    teacher: null,
  };
}

describe('saved-run slots', () => {
  it('keeps each run in its own slot and lists them newest first without their weights', async () => {
    const kv = memoryKeyValue();
    const store = slotStore(kv);
    await store.save(run('a', 5, 1000));
    await store.save(run('b', 7, 3000));
    await store.save(run('a', 9, 2000));
    const listed = await store.list();
    expect(listed.map((r) => [r.id, r.step, r.savedAt])).toEqual([
      ['b', 7, 3000],
      ['a', 9, 2000],
    ]);
    for (const info of listed) expect(info).not.toHaveProperty('weights');
    const a = await store.load('a');
    expect(new Float32Array(a!.weights)).toEqual(new Float32Array([9, 2000]));
    expect(await store.load('missing')).toBeNull();
  });

  it('deletes one slot and leaves the others, and nothing of the deleted one behind', async () => {
    const kv = memoryKeyValue();
    const store = slotStore(kv);
    await store.save(run('a', 1, 1));
    await store.save(run('b', 2, 2));
    await store.delete('a');
    expect((await store.list()).map((r) => r.id)).toEqual(['b']);
    expect(await store.load('a')).toBeNull();
    expect([...kv.map.keys()].filter((k) => k.includes('/a'))).toEqual([]);
  });

  it('moves the single save of earlier versions into a slot, once, losing nothing', async () => {
    const { id: _, ...old } = run('ignored', 42, 1234);
    const kv = memoryKeyValue({ [LEGACY_KEY]: old, unrelated: 'kept' });
    const store = slotStore(kv);
    const listed = await store.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ step: 42, savedAt: 1234, phase: 'teacher' });
    const moved = await store.load(listed[0]!.id);
    expect(new Float32Array(moved!.weights)).toEqual(new Float32Array([42, 1234]));
    expect(kv.map.has(LEGACY_KEY)).toBe(false);
    expect(kv.map.get('unrelated')).toBe('kept');
    // A second look (or a second tab) finds the same one slot, not a copy.
    expect(await store.list()).toHaveLength(1);
  });
});

describe("a saved run's views", () => {
  it('are kept in its slot, come back with its checkpoint step, and go with it', async () => {
    const kv = memoryKeyValue();
    const store = slotStore(kv);
    await store.save(run('a', 30, 1000));
    const views = { step: 30, timeline: [new Float32Array([1, 2])] };
    await store.saveViews('a', views);
    expect(await store.loadViews('a')).toEqual({ views, phase: 'teacher', step: 30 });
    // Listing reads summaries only: the views are no run of their own.
    expect((await store.list()).map((r) => r.id)).toEqual(['a']);
    await store.delete('a');
    expect(await store.loadViews('a')).toBeNull();
    expect(kv.map.size).toBe(0);
  });

  it('are not written for a run whose slot is gone (it finished meanwhile)', async () => {
    const kv = memoryKeyValue();
    const store = slotStore(kv);
    await store.saveViews('gone', { step: 1 });
    expect(kv.map.size).toBe(0);
    expect(await store.loadViews('gone')).toBeNull();
  });
});

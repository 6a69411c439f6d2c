/**
 * A Web Lock named after a run's save slot, held while the run exists in this tab. Another tab
 * can then see that the slot is in use (the offer says so) and cannot continue it too, which
 * would make two runs write one slot. The browser releases the lock when the worker ends (a
 * reload, a closed tab). Where there are no Web Locks (Node tests), slots are never locked.
 */
const PREFIX = 'manifold-kd/slot/';

function locks(): LockManager | null {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks ?? null;
}

/** How a session locks save slots: Web Locks in the browser, none in Node tests. */
export interface SlotLocks {
  lock(saveId: string, options: { takeOver: boolean }): Promise<(() => void) | null>;
  locked(): Promise<Set<string>>;
}

/**
 * Takes the slot's lock; null when another tab holds it. Call the returned function to release it.
 * `takeOver`: the page ended this tab's earlier worker of the run, which held the lock; the
 * browser releases a terminated worker's locks only once it has torn the worker down (under
 * load, not within 10 s: a restarted run on wasm was told it was open in another tab), so
 * the fresh worker takes it over.
 */
async function lockSlot(saveId: string, options: { takeOver: boolean }): Promise<(() => void) | null> {
  const manager = locks();
  if (!manager) return () => {};
  const mode = options.takeOver ? { steal: true } : { ifAvailable: true };
  return new Promise((resolve) => {
    void manager.request(PREFIX + saveId, mode, (lock) => {
      if (!lock) {
        resolve(null);
        return;
      }
      return new Promise<void>((release) => resolve(release));
    });
  });
}

/** The save ids whose runs are open in some tab (this one included). */
async function lockedSlots(): Promise<Set<string>> {
  const manager = locks();
  if (!manager) return new Set();
  const { held = [] } = await manager.query();
  return new Set(held.flatMap((l) => (l.name?.startsWith(PREFIX) ? [l.name.slice(PREFIX.length)] : [])));
}

export const webSlotLocks: SlotLocks = { lock: lockSlot, locked: lockedSlots };
export const noSlotLocks: SlotLocks = { lock: async () => () => {}, locked: async () => new Set() };

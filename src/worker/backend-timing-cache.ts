/**
 * `auto`'s measured backend choice per config shape, in IndexedDB (idb-keyval works in
 * workers), so the next start self-tests only the winner. A browser without IndexedDB
 * (private modes) just measures again each time.
 */
import { get, set } from 'idb-keyval';

const PREFIX = 'manifold-kd/backend-timing/';

export async function loadTimings<T>(key: string): Promise<T | null> {
  try {
    return (await get<T>(PREFIX + key)) ?? null;
  } catch {
    return null;
  }
}

export async function saveTimings<T>(key: string, value: T): Promise<void> {
  try {
    await set(PREFIX + key, value);
  } catch {
    // Not kept: the next start measures again.
  }
}

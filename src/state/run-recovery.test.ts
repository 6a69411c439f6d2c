import { describe, expect, it } from 'vitest';
import { isRepeat, nextBackend, REPEAT_WINDOW_MS } from './run-recovery';

describe('repeated faults step the run down a backend', () => {
  it('counts a fault of the same kind within five minutes as a repeat', () => {
    const t0 = 1_000_000;
    const history = [{ kind: 'device-lost' as const, at: t0 }];
    expect(isRepeat(history, 'device-lost', t0 + REPEAT_WINDOW_MS - 1)).toBe(true);
    expect(isRepeat(history, 'device-lost', t0 + REPEAT_WINDOW_MS + 1)).toBe(false);
    // A hang after a lost device is two different faults, not a repeat.
    expect(isRepeat(history, 'worker', t0 + 1000)).toBe(false);
    expect(isRepeat([], 'worker', t0)).toBe(false);
  });

  it('moves a GPU backend to wasm and nothing further', () => {
    expect(nextBackend('webgpu')).toBe('wasm');
    expect(nextBackend('webgl')).toBe('wasm');
    expect(nextBackend('wasm')).toBeNull();
    expect(nextBackend('cpu')).toBeNull();
    expect(nextBackend(undefined)).toBeNull();
  });
});

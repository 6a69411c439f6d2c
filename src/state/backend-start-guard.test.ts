import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FALLBACKS, hungMessage, START_DEADLINE_MS, StartDeadline } from './backend-start-guard';

describe('StartDeadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires once, naming the backend whose start did not end in time', () => {
    const hung = vi.fn();
    const d = new StartDeadline(hung);
    d.progress('cpu', 'starting');
    d.progress('cpu', 'started');
    d.progress('wasm', 'starting');
    vi.advanceTimersByTime(START_DEADLINE_MS - 1);
    expect(hung).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(hung).toHaveBeenCalledExactlyOnceWith('wasm');
    vi.advanceTimersByTime(10 * START_DEADLINE_MS);
    expect(hung).toHaveBeenCalledTimes(1);
  });

  it('does not time the work between starts (self-tests, step timing), however long', () => {
    const hung = vi.fn();
    const d = new StartDeadline(hung);
    d.progress('webgpu', 'starting');
    vi.advanceTimersByTime(START_DEADLINE_MS - 1000);
    d.progress('webgpu', 'started');
    vi.advanceTimersByTime(5 * START_DEADLINE_MS);
    // Each start gets the whole deadline again.
    d.progress('wasm', 'starting');
    vi.advanceTimersByTime(START_DEADLINE_MS - 1000);
    d.stop();
    vi.advanceTimersByTime(5 * START_DEADLINE_MS);
    expect(hung).not.toHaveBeenCalled();
  });

  it('counts a worker that never reports a start (it never loaded) from the moment the command went out', () => {
    const hung = vi.fn();
    new StartDeadline(hung, 1000);
    vi.advanceTimersByTime(1000);
    expect(hung).toHaveBeenCalledExactlyOnceWith(null);
  });
});

describe('the fallbacks and their message', () => {
  it('go to unthreaded wasm, then cpu, and say why in words', () => {
    expect(FALLBACKS.map((f) => [f.choice, f.wasmThreads ?? null])).toEqual([
      ['wasm', 1],
      ['cpu', null],
    ]);
    const msg = hungMessage('wasm', FALLBACKS[0]!);
    expect(msg).toContain(`did not start within ${START_DEADLINE_MS / 1000} s`);
    expect(msg).toContain('wasm with one thread');
    expect(hungMessage('cpu', null)).toMatch(/no safer setting is left/);
  });
});

import { describe, expect, it } from 'vitest';
import { CommandQueue } from './command-queue';
import type { Command } from './shared/protocol';

/** A queue whose commands finish when the test says so; records starts and ends in order. */
function harness() {
  const log: string[] = [];
  const release = new Map<number, () => void>();
  const queue = new CommandQueue(
    (cmd) => {
      log.push(`start ${cmd.type}`);
      return new Promise<void>((resolve) => {
        release.set(cmd.requestId, () => {
          log.push(`end ${cmd.type}`);
          resolve();
        });
      });
    },
    () => {},
  );
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { log, release: (id: number) => release.get(id)!(), queue, flush };
}

const cmd = (type: string, requestId: number) => ({ type, requestId }) as unknown as Command;

describe('CommandQueue', () => {
  it('a Pause or an analysis behind a slow map read starts at once', async () => {
    const h = harness();
    h.queue.push(cmd('maps.view', 1));
    h.queue.push(cmd('run.pause', 2));
    h.queue.push(cmd('images.analyze', 3));
    await h.flush();
    // All three running while the map read has not ended.
    expect([...h.log].sort()).toEqual(['start images.analyze', 'start maps.view', 'start run.pause']);
  });

  it('waits behind a queued Resume or Start, so it never overtakes what it depends on', async () => {
    const h = harness();
    h.queue.push(cmd('maps.view', 1));
    h.queue.push(cmd('run.resume', 2));
    h.queue.push(cmd('run.pause', 3));
    h.queue.push(cmd('run.start', 4));
    h.queue.push(cmd('images.analyze', 5));
    await h.flush();
    expect(h.log).toEqual(['start maps.view']);
    for (const id of [1, 2, 3, 4]) {
      h.release(id);
      await h.flush();
    }
    expect(h.log).toEqual([
      'start maps.view',
      'end maps.view',
      'start run.resume',
      'end run.resume',
      'start run.pause',
      'end run.pause',
      'start run.start',
      'end run.start',
      'start images.analyze',
    ]);
    // Once nothing but reads is pending, a Pause starts at once again.
    h.release(5);
    await h.flush();
    h.queue.push(cmd('run.evaluate', 6));
    h.queue.push(cmd('run.pause', 7));
    await h.flush();
    expect([...h.log.slice(-2)].sort()).toEqual(['start run.evaluate', 'start run.pause']);
  });
});

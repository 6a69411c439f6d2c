/**
 * The order in which the worker runs commands. Commands start one after another, so a command
 * that replaces the run or the data never overlaps another. But reads that wait on the GPU (a
 * relation-map view, an evaluation) can take many seconds on an emulated GPU, and a Pause or
 * the analysis of dropped images queued behind one waited that long for nothing: Pause only
 * flips the run's state and analysis only reads the models. Those two start at once whenever
 * every command still queued or running is such a read, so they can overtake no command whose
 * effect they depend on (a Resume before a Pause, a Start before an analysis).
 */
import type { Command } from './shared/protocol';

/** Commands that only read the run: a Pause or an analysis may overtake these. */
const READS: ReadonlySet<Command['type']> = new Set([
  'maps.view',
  'images.analyze',
  'run.evaluate',
  'model.export',
  'saved.list',
  // The page's views of a saved run, written into its slot: nothing of the run changes.
  'saved.keepViews',
  'debug.counters',
]);
/** Commands that may start without waiting for reads ahead of them. */
const EAGER: ReadonlySet<Command['type']> = new Set(['run.pause', 'images.analyze']);

export class CommandQueue {
  private chain: Promise<void> = Promise.resolve();
  /** Commands queued or running that are not reads. */
  private writes = 0;

  constructor(
    private readonly run: (cmd: Command) => Promise<void>,
    private readonly fail: (cmd: Command, err: unknown) => void,
  ) {}

  push(cmd: Command): void {
    if (EAGER.has(cmd.type) && this.writes === 0) {
      void this.run(cmd).catch((err) => this.fail(cmd, err));
      return;
    }
    const write = !READS.has(cmd.type);
    if (write) this.writes += 1;
    this.chain = this.chain
      .then(() => this.run(cmd))
      .catch((err) => this.fail(cmd, err))
      .finally(() => {
        if (write) this.writes -= 1;
      });
  }
}

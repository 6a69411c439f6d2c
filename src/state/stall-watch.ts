/**
 * Whether a training run has stopped making progress: no new step for longer than
 * max(floor, 10 x the slowest step seen). It measures steps, not wall time alone, so a slow
 * emulated GPU (seconds a step) raises its own limit instead of tripping it. A worker that
 * closed, crashed without a word, or waits on a GPU read that never returns all look the same
 * from the page: the step stops.
 */

export interface StallLimits {
  /** The shortest limit, however fast the steps (60 s). */
  floorMs: number;
  /**
   * The limit until a step has been timed in a (re)started run, which compiles every pipeline
   * first (while it compiles, each of the worker's beats starts this wait again).
   */
  firstStepMs: number;
}

export const DEFAULT_STALL_LIMITS: StallLimits = { floorMs: 60_000, firstStepMs: 120_000 };

/** How many times the slowest step seen the page waits for the next one. */
const SLOW_STEP_FACTOR = 10;

/** How long a worker may stay silent: max(floor, 10 x the slowest step seen), in ms. */
export function silenceLimitMs(floorMs: number, slowestStepMs: number): number {
  return Math.max(floorMs, SLOW_STEP_FACTOR * slowestStepMs);
}

export class StallWatch {
  limits: StallLimits;
  /** When the run began training or last advanced; null while it is not training. */
  private since: number | null = null;
  private last: { phase: string; step: number } | null = null;
  /** Whether a step has been seen since training began (the first one compiles, so it is not timed). */
  private advanced = false;
  /**
   * Whether a step has been timed since training began. The page's step counts steps enqueued,
   * which run on the GPU only when the loop waits for a metrics read: only a stretch that
   * waited for a read (past the first, which waits for the first steps and the first
   * checkpoint too) gives a step's real time.
   */
  private measured = false;
  private beats = 0;
  private reads = 0;
  /** Metrics reads seen since training began or the phase changed. */
  private readsSeen = 0;
  /** Whether a read arrived since the last step. */
  private readInGap = false;
  /** The slowest step seen, in ms (per step, between two updates of the page's step). */
  slowestStepMs = 0;

  constructor(limits: StallLimits = DEFAULT_STALL_LIMITS) {
    this.limits = limits;
  }

  /**
   * The run's state as the page shows it, at time `now` (ms). `beats` counts the worker's
   * progress messages: before the first step they show it alive while it compiles. `reads`
   * counts the metrics reads the page received.
   */
  observe(training: boolean, phase: string, step: number, now: number, beats = 0, reads = 0): void {
    const read = reads !== this.reads;
    this.reads = reads;
    if (!training) {
      this.since = null;
      this.last = null;
      this.advanced = false;
      this.measured = false;
      return;
    }
    const beat = beats !== this.beats;
    this.beats = beats;
    if (this.since === null || this.last === null) {
      this.since = now;
      this.last = { phase, step };
      this.readsSeen = 0;
      this.readInGap = false;
      return;
    }
    if (read) {
      this.readsSeen += 1;
      this.readInGap = true;
    }
    if (phase === this.last.phase && step === this.last.step) {
      if (beat && !this.advanced) this.since = now;
      return;
    }
    if (phase !== this.last.phase) {
      // A new phase compiles its pipelines before its first step, as a (re)started run does:
      // the worker's beats show it alive meanwhile, and its first step is not timed.
      this.advanced = false;
      this.measured = false;
      this.since = now;
      this.last = { phase, step };
      this.readsSeen = 0;
      this.readInGap = false;
      return;
    }
    // Up to the first read after it the run is still starting: a pipeline the warm-up missed
    // compiles in a step, the first steps run, the first checkpoint is written. None is a step time.
    const startingUp = this.readsSeen === 0 || (this.readInGap && this.readsSeen < 2);
    if (this.advanced && step > this.last.step && !startingUp) {
      this.slowestStepMs = Math.max(this.slowestStepMs, (now - this.since) / (step - this.last.step));
      if (this.readInGap) this.measured = true;
    }
    this.readInGap = false;
    this.advanced = true;
    this.since = now;
    this.last = { phase, step };
  }

  /** How long the page now waits for the next step, in ms. */
  limitMs(): number {
    const limit = silenceLimitMs(this.limits.floorMs, this.slowestStepMs);
    // Until a step has been timed (the first read waits for the first steps' GPU work too), the
    // first-step allowance holds.
    return this.measured ? limit : Math.max(limit, this.limits.firstStepMs);
  }

  /** Whether the run trains but has made no step for longer than the limit. */
  stalled(now: number): boolean {
    return this.since !== null && now - this.since > this.limitMs();
  }

  /** Seconds since the last step (0 while not training). */
  idleSeconds(now: number): number {
    return this.since === null ? 0 : (now - this.since) / 1000;
  }

  /** Forgets the timings (a fresh worker, perhaps on another backend, has its own). */
  reset(): void {
    this.observe(false, '', 0, 0);
    this.slowestStepMs = 0;
  }
}

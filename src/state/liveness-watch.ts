/**
 * Whether a worker that makes no steps (its run paused, done or not started) still answers.
 * Such a worker has no steps to miss, so the stall watch (stall-watch.ts) cannot see it go: the
 * page asks it (a ping the worker answers ahead of its command queue) and counts it gone when
 * nothing at all comes back for longer than the limit. Any message from the worker is an
 * answer: a worker busy with an analysis or a map still posts what it finishes.
 *
 * What keeps a live worker from answering is work on its own thread: TF.js on wasm or cpu runs
 * an op's whole computation synchronously, so the ping waits for the stretch in progress. The
 * worker keeps those stretches short (a training step, one batch of an evaluation, one
 * analysis), so the limit is the stall watch's: max(floor, 10 x the slowest step seen).
 */
import { silenceLimitMs } from './stall-watch';

export interface LivenessLimits {
  /** How long the page waits after the last word from the worker before asking again. */
  intervalMs: number;
  /** The shortest time an unanswered ping may wait, however fast the steps (60 s, as a stall). */
  floorMs: number;
}

export const DEFAULT_LIVENESS_LIMITS: LivenessLimits = { intervalMs: 5_000, floorMs: 60_000 };

/** What the page should do now: nothing, send a ping, or count the worker as gone. */
export type LivenessVerdict = 'wait' | 'ping' | 'gone';

export class LivenessWatch {
  limits: LivenessLimits;
  /** When the ping still unanswered went out; null when none is. */
  private pingSentAt: number | null = null;
  private lastHeard = Number.NEGATIVE_INFINITY;
  /** When the last check while watching ran; null when the last check was not watching. */
  private lastCheck: number | null = null;

  constructor(limits: LivenessLimits = DEFAULT_LIVENESS_LIMITS) {
    this.limits = limits;
  }

  /** The worker posted something at `now` (an answer to a ping or any other event). */
  heard(now: number): void {
    this.lastHeard = now;
    this.pingSentAt = null;
  }

  /** How long an unanswered ping may wait, in ms, given the slowest step seen. */
  limitMs(slowestStepMs: number): number {
    return silenceLimitMs(this.limits.floorMs, slowestStepMs);
  }

  /**
   * One check at `now`. `watching`: whether the page expects the worker to answer (false while
   * it trains, which the stall watch covers, and while a worker starts or restarts).
   */
  check(watching: boolean, now: number, slowestStepMs = 0): LivenessVerdict {
    if (!watching) {
      this.pingSentAt = null;
      this.lastCheck = null;
      return 'wait';
    }
    const limit = this.limitMs(slowestStepMs);
    // A check this late means the page itself did not run (a frozen or sleeping tab, whose
    // worker was frozen with it): its silence says nothing, so ask again before judging.
    // Background tabs whose timers run once a minute are not late by this measure.
    const late = this.lastCheck !== null && now - this.lastCheck > 2 * limit;
    this.lastCheck = now;
    if (late || (this.pingSentAt === null && now - this.lastHeard >= this.limits.intervalMs)) {
      this.pingSentAt = now;
      return 'ping';
    }
    if (this.pingSentAt === null) return 'wait';
    return now - this.pingSentAt > limit ? 'gone' : 'wait';
  }

  /** Seconds the unanswered ping has waited (0 when none is). */
  silentSeconds(now: number): number {
    return this.pingSentAt === null ? 0 : (now - this.pingSentAt) / 1000;
  }
}

/**
 * The run's supervisor on the page: it notices a worker that lost its GPU device, crashed,
 * closed or stopped making progress (stall-watch.ts), or, while it makes no steps, stopped
 * answering (liveness-watch.ts); says so once, ends that worker, starts a fresh one and
 * continues from the last checkpoint, or from step 0 of the phase when there is none yet (a
 * paused run comes back paused). Two such faults of one kind within five minutes move the run
 * to the next backend. run-actions.ts gives it the worker operations it needs, so this file
 * holds no bridge.
 */
import type { BackendChoice } from '../engine/spec/config';
import { DEFAULT_LIVENESS_LIMITS, type LivenessLimits, LivenessWatch } from './liveness-watch';
import type { RunState } from './run-slice';
import { DEFAULT_STALL_LIMITS, type StallLimits, StallWatch } from './stall-watch';
import { useAppStore } from './store';

/** 'device-lost': the GPU device went; 'worker': the worker crashed, closed or hung. */
export type FaultKind = 'device-lost' | 'worker';

/** Two faults of one kind within this window move the run to the next backend. */
export const REPEAT_WINDOW_MS = 5 * 60_000;
/** How often the page checks for a stalled run. */
const CHECK_INTERVAL_MS = 1000;

/** Where a run goes after repeated faults on `active`; null when there is nowhere further. */
export function nextBackend(active: string | undefined): BackendChoice | null {
  return active === 'webgpu' || active === 'webgl' ? 'wasm' : null;
}

/** Whether a fault of `kind` at `now` repeats one of `history` within the window. */
export function isRepeat(history: { kind: FaultKind; at: number }[], kind: FaultKind, now: number): boolean {
  return history.some((f) => f.kind === kind && now - f.at < REPEAT_WINDOW_MS);
}

export interface RecoveryDeps {
  /** Ends the worker and starts a fresh one on the config's backend; false when it failed. */
  restartWorker(): Promise<boolean>;
  /** The save slot of the run on screen. */
  saveId(): string | null;
  /** The phase and step of the checkpoint saved in `saveId`, or null when none is. */
  savedStep(saveId: string): Promise<{ phase: string; step: number } | null>;
  /** Continues the run saved in `saveId`, training or `paused`. */
  resume(saveId: string, paused: boolean): Promise<boolean>;
  /** Starts the run again from step 0, as it was started, training or `paused`. */
  startOver(paused: boolean): Promise<boolean>;
  /** Asks the worker whether it still answers (any event it posts counts as the answer). */
  ping(): void;
  /** The worker stopped answering and there is no run to continue: says so and offers a restart. */
  workerStopped(message: string): void;
}

/** Run states in which the worker makes no steps yet should answer a ping. */
const ANSWERING: ReadonlySet<RunState['status']> = new Set(['paused', 'done', 'idle']);

/** When each step was first shown, for the training time a restart loses. */
class StepClock {
  private samples: { phase: string; step: number; at: number }[] = [];

  note(phase: string, step: number, at: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.phase === phase && last.step === step) return;
    this.samples.push({ phase, step, at });
    if (this.samples.length > 4000) this.samples = this.samples.filter((_, i) => i % 2 === 0);
  }

  /** Seconds between the first sample at or past `from` in `phase` and the last sample. */
  secondsSince(phase: string, from: number): number | null {
    const last = this.samples[this.samples.length - 1];
    const first = this.samples.find((s) => s.phase === phase && s.step >= from);
    return last && first ? (last.at - first.at) / 1000 : null;
  }

  clear(): void {
    this.samples = [];
  }
}

export interface Recovery {
  /**
   * Says what happened, restarts the worker and continues the run (paused again when `paused`).
   * One recovery at a time.
   */
  recover(kind: FaultKind, message: string, options?: { paused?: boolean }): Promise<void>;
  /** The worker posted something: it is alive. */
  heard(): void;
  /** Whether a recovery is under way. */
  readonly recovering: boolean;
  /** Starts the stall checks (once). */
  supervise(): void;
  /** Test hook: shorter stall limits, so a test need not wait a minute. */
  setStallLimits(limits: Partial<StallLimits>): void;
  /** Test hook: a shorter ping interval and limit for a worker that makes no steps. */
  setLivenessLimits(limits: Partial<LivenessLimits>): void;
}

export function createRecovery(deps: RecoveryDeps): Recovery {
  const watch = new StallWatch({ ...DEFAULT_STALL_LIMITS });
  const liveness = new LivenessWatch({ ...DEFAULT_LIVENESS_LIMITS });
  const clock = new StepClock();
  let history: { kind: FaultKind; at: number }[] = [];
  let recovering = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  const observe = (): void => {
    const s = useAppStore.getState();
    const training = s.run.status === 'training' && s.runtime.status === 'idle' && !recovering;
    const now = performance.now();
    watch.observe(training, s.run.phase, s.run.step, now, s.run.beats, s.run.reads);
    if (training) clock.note(s.run.phase, s.run.step, now);
  };

  const check = (): void => {
    observe();
    const now = performance.now();
    if (!recovering && watch.stalled(now)) {
      const idle = Math.round(watch.idleSeconds(now));
      void recover('worker', `The training worker stopped responding (no step for ${idle} s).`);
      return;
    }
    checkAnswers(now);
  };

  /** A worker that makes no steps: pinged, and recovered when it no longer answers. */
  const checkAnswers = (now: number): void => {
    const { run, runtime } = useAppStore.getState();
    const watching = !recovering && runtime.status === 'idle' && ANSWERING.has(run.status);
    const verdict = liveness.check(watching, now, watch.slowestStepMs);
    if (verdict === 'ping') deps.ping();
    if (verdict !== 'gone') return;
    const silent = Math.round(liveness.silentSeconds(now));
    liveness.check(false, now);
    if (run.status === 'paused') {
      const message = `The training worker stopped responding (no answer for ${silent} s while paused).`;
      void recover('worker', message, { paused: true });
    } else deps.workerStopped(`The training worker stopped responding (no answer for ${silent} s).`);
  };

  async function recover(
    kind: FaultKind,
    message: string,
    options: { paused?: boolean } = {},
  ): Promise<void> {
    const paused = options.paused ?? false;
    if (recovering) return;
    recovering = true;
    const store = useAppStore.getState();
    const { phase, step } = store.run;
    const now = Date.now();
    const stepDown = isRepeat(history, kind, now) ? nextBackend(store.runtime.backend?.name) : null;
    history = [...history.filter((f) => now - f.at < REPEAT_WINDOW_MS), { kind, at: now }];
    const lostSecondsFrom = (from: number) => clock.secondsSince(phase, from);
    try {
      if (stepDown) {
        store.notify({
          kind: 'error',
          message: `${message} That is the second such fault within five minutes: the run moves to the ${stepDown} backend and continues there…`,
        });
        store.setConfig({ backend: stepDown });
        history = [];
      } else {
        store.notify({ kind: 'error', message: `${message} Restarting from the last checkpoint…` });
      }
      store.runRecovering(stepDown ? `${message} Moving to ${stepDown}…` : `${message} Restarting…`);
      watch.reset();
      if (!(await deps.restartWorker())) return;
      const saveId = deps.saveId();
      const saved = saveId ? await deps.savedStep(saveId).catch(() => null) : null;
      const from = saved && saved.phase === phase ? saved.step : 0;
      const lost = Math.max(0, step - from);
      const seconds = lostSecondsFrom(from);
      const cost = `${lost} step${lost === 1 ? '' : 's'}${seconds === null ? '' : ` (about ${Math.round(seconds)} s of training)`} lost`;
      const recoveredMessage = (savedPhase: string | null): string => {
        if (savedPhase === null)
          return paused
            ? `No checkpoint had been written yet: the ${phase} phase is back at step 0, paused (${cost}).`
            : `No checkpoint had been written yet: the ${phase} phase starts again from step 0 (${cost}).`;
        return paused
          ? `The run is back at its checkpoint at step ${from} of the ${savedPhase} phase, paused: ${cost}.`
          : `The run continues from its checkpoint at step ${from} of the ${savedPhase} phase: ${cost}.`;
      };
      const ok = saved && saveId ? await deps.resume(saveId, paused) : await deps.startOver(paused);
      clock.clear();
      if (!ok) return;
      useAppStore.getState().notify({ kind: 'info', message: recoveredMessage(saved?.phase ?? null) });
    } finally {
      recovering = false;
    }
  }

  return {
    recover,
    heard() {
      liveness.heard(performance.now());
    },
    get recovering() {
      return recovering;
    },
    supervise() {
      if (timer !== null) return;
      useAppStore.subscribe(observe);
      timer = setInterval(check, CHECK_INTERVAL_MS);
    },
    setStallLimits(limits) {
      watch.limits = { ...watch.limits, ...limits };
    },
    setLivenessLimits(limits) {
      liveness.limits = { ...liveness.limits, ...limits };
    },
  };
}

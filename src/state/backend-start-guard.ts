/**
 * The deadline on a backend's start. A start that blocks the worker's thread (Firefox's threaded
 * wasm start was seen to, on about 1 first visit in 3) answers nothing and cannot time itself
 * out, so the page times it: the worker reports each backend's start (`backend.progress`), and
 * a start that has not ended within START_DEADLINE_MS gets its worker ended and replaced by one
 * on the next-safest setting (FALLBACKS). Self-tests and step timing after a start are not
 * timed: on an emulated GPU they take minutes and do finish.
 */
import type { BackendName } from '../engine/spec/backend-report';
import type { BackendChoice } from '../engine/spec/config';

/** How long one backend's start (load, compile, first ready) may take. */
export const START_DEADLINE_MS = 30_000;

/** What a backend.init asks for, past the user's choice. */
export interface StartSetting {
  choice: BackendChoice;
  /** At most this many wasm threads (1: the unthreaded build, no worker pool). */
  wasmThreads?: number;
  /** In words, for the message that says why the page runs here. */
  label: string;
}

/** After a start that hung: wasm with one thread (no thread pool), then the plain cpu backend. */
export const FALLBACKS: readonly StartSetting[] = [
  { choice: 'wasm', wasmThreads: 1, label: 'wasm with one thread' },
  { choice: 'cpu', label: 'the plain cpu backend' },
];

/** Why the page moved on, in words: "wasm did not start within 30 s; …". */
export function hungMessage(hung: BackendName | null, next: StartSetting | null): string {
  const what = hung ? `The ${hung} backend` : 'The training worker';
  const seconds = Math.round(START_DEADLINE_MS / 1000);
  const then = next
    ? `so its worker was ended and a fresh one started on ${next.label}.`
    : 'and no safer setting is left. Reload the page to try again.';
  return `${what} did not start within ${seconds} s (its start blocked the worker), ${then}`;
}

type Timers = Pick<typeof globalThis, 'setTimeout' | 'clearTimeout'>;

/**
 * Times the starts of one backend.init. Armed when the command is sent (a worker that never
 * loads also counts), re-armed at each backend's start, disarmed when it has started.
 * `onTimeout` runs at most once, with the backend whose start hung (null: none had begun).
 */
export class StartDeadline {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private done = false;
  private backend: BackendName | null = null;

  constructor(
    private readonly onTimeout: (backend: BackendName | null) => void,
    private readonly ms: number = START_DEADLINE_MS,
    private readonly timers: Timers = globalThis,
  ) {
    this.arm();
  }

  /** A backend.progress event from the worker. */
  progress(name: BackendName, stage: 'starting' | 'started'): void {
    if (this.done) return;
    this.backend = name;
    if (stage === 'starting') this.arm();
    else this.disarm();
  }

  /** The backend.init was answered (or failed): nothing more to time. */
  stop(): void {
    this.done = true;
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (this.done) return;
      this.done = true;
      this.onTimeout(this.backend);
    }, this.ms);
  }

  private disarm(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * The page starts threaded wasm's pthread workers and hands the training worker a MessagePort to
 * each, because Firefox 153 sometimes never returns from `new Worker()` called inside a worker
 * (docs/browsers.md, "The Firefox start hang"); the page's own constructor has not hung.
 * vite.config.ts builds the host script and patches emscripten's pool to take these ports.
 */

/** The host script the build emits beside index.html: emscripten's pthread worker behind a port. */
export const PTHREAD_HOST_FILE = 'wasm-pthread-host.js';

/** The global the patched factory calls for a pre-made pthread worker (undefined when none is left). */
export const TAKE_PTHREAD_WORKER_GLOBAL = '__kdTakePthreadWorker';

/** What the page sends the training worker once, before any command: one port per host. */
export type PthreadPortsMessage = { kind: 'wasm.pthreadPorts'; ports: MessagePort[] };

/** Sent through a host's port instead of a Worker's terminate(), which a port cannot do. */
export const CLOSE_HOST = 'kd.closePthreadHost';
/** Sent by a host whose script threw, standing in for the Worker's error event. */
export const HOST_ERROR = 'kd.pthreadHostError';

export function isPthreadPortsMessage(data: unknown): data is PthreadPortsMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { kind?: unknown }).kind === 'wasm.pthreadPorts' &&
    Array.isArray((data as { ports?: unknown }).ports)
  );
}

/**
 * Threads the worker will run: as engine/diagnostics/backend-choice.ts's wasmThreadCount (which
 * the page cannot import), so the page makes as many hosts as the pool wants.
 */
export function pthreadHostCount(logicalCores: number | undefined, crossOriginIsolated: boolean): number {
  if (!crossOriginIsolated) return 0;
  const cores = Number.isFinite(logicalCores) && logicalCores! > 0 ? Math.floor(logicalCores!) : 1;
  if (cores < 2) return 0;
  return Math.min(8, Math.max(2, Math.floor(cores / 2)));
}

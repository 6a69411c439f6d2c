/// <reference lib="webworker" />
/**
 * The worker that owns TF.js. The page sends Commands; this loop validates each, runs it,
 * and answers with WorkerEvents through the single post() below. Every failure, including
 * ones outside a command, becomes an 'error' event, so nothing dies silently.
 */

import type { ActiveBackend } from '../engine/backend';
import { describeActiveBackend } from '../engine/backend';
import { webgpuDevice } from '../engine/gpu-device';
import { limitWasmThreads, startCheckedBackend, watchBackendStarts } from './backend-setup';
import { CommandQueue } from './command-queue';
import { injectFault } from './fault-injection';
import { disposePreviewTeacher } from './preview-teacher';
import { Session } from './session';
import { parseCommand } from './shared/command-schema';
import { installGpuCounters } from './shared/gpu-counters';
import type { Command, WorkerEvent } from './shared/protocol';
import { isPthreadPortsMessage } from './shared/wasm-pthread-hosts';
import { cannotMeasure, forgetTimings, phaseTiming, rememberChoiceTiming } from './step-estimate';
import { adoptPthreadPorts } from './wasm-pthread-ports';

declare const self: DedicatedWorkerGlobalScope;

function post(event: WorkerEvent, transfer: Transferable[] = []): void {
  self.postMessage(event, transfer);
}

function postError(requestId: number | null, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ type: 'error', requestId, name: e.name, message: e.message, stack: e.stack ?? null });
}

installGpuCounters();
const session = new Session(post);
/** The backend running, as the last backend.init described it (with its emulation flag). */
let active: ActiveBackend | null = null;

/** Test hook: the next start of a backend other than cpu blocks this worker's thread for good. */
let hangNextStart = false;

/**
 * Blocks the thread the way a start that never returns does (Firefox's threaded wasm start was
 * seen to), so the page's guard must end the worker from outside: nothing in here runs again.
 */
async function blockForever(): Promise<never> {
  if (typeof SharedArrayBuffer !== 'undefined') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  return new Promise<never>(() => {});
}

watchBackendStarts(async (name, stage) => {
  post({ type: 'backend.progress', name, stage });
  if (stage === 'starting' && hangNextStart && name !== 'cpu') {
    hangNextStart = false;
    await blockForever();
  }
});

/** The WebGPU backend ignores device loss; watch for it so the page can restart the run. */
function watchDevice(): void {
  const device = webgpuDevice();
  void device?.lost.then((info) => {
    session.deviceLost(`The GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}).`);
  });
}

async function handle(cmd: Command): Promise<void> {
  if (cmd.type === 'backend.init') {
    disposePreviewTeacher();
    if (cmd.wasmThreads) limitWasmThreads(cmd.wasmThreads);
    hangNextStart = cmd.hangForTest === true;
    const { backend, selfTests } = await startCheckedBackend(cmd.choice, cmd.config, cmd.trusted);
    forgetTimings();
    rememberChoiceTiming(cmd.config, backend);
    active = backend;
    if (backend.name === 'webgpu') watchDevice();
    post({ type: 'backend.ready', requestId: cmd.requestId, backend, selfTests });
    return;
  }
  if (cmd.type === 'backend.estimate') {
    const unmeasured = cannotMeasure(active ?? describeActiveBackend());
    const timings: Partial<Record<'teacher' | 'student', { msPerStep: number; cutShort: boolean }>> = {};
    if (unmeasured === null)
      for (const phase of cmd.phases) timings[phase] = await phaseTiming(cmd.config, phase);
    post({
      type: 'backend.estimate',
      requestId: cmd.requestId,
      timings: unmeasured === null ? timings : null,
      unmeasured,
    });
    return;
  }
  await session.handle(cmd);
}

// Commands start in order (see command-queue.ts for the two that may overtake slow reads). The
// training loop itself runs outside this chain.
const queue = new CommandQueue(handle, (cmd, err) => postError(cmd.requestId, err));

self.addEventListener('message', (e: MessageEvent<unknown>) => {
  // Not a command: the page's pthread hosts, sent once before the first command.
  if (isPthreadPortsMessage(e.data)) return adoptPthreadPorts(e.data);
  const parsed = parseCommand(e.data);
  if (!parsed.ok) {
    post({
      type: 'error',
      requestId: parsed.requestId,
      name: 'ProtocolError',
      message: parsed.message,
      stack: null,
    });
    return;
  }
  const { command } = parsed;
  // Answered here, never queued: a paused page asks this while a slow read or an analysis
  // holds the queue, and only a dead or stuck thread must leave it unanswered.
  if (command.type === 'worker.ping') return post({ type: 'ok', requestId: command.requestId });
  if (command.type === 'debug.inject') {
    try {
      injectFault(command.fault, command.atStep);
      post({ type: 'ok', requestId: command.requestId });
    } catch (err) {
      postError(command.requestId, err);
    }
    return;
  }
  queue.push(command);
});

self.addEventListener('error', (e) => postError(null, e.error ?? e.message));
self.addEventListener('unhandledrejection', (e) => postError(null, e.reason));

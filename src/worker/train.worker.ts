/// <reference lib="webworker" />
/**
 * The worker that owns TF.js. The page sends Commands; this loop validates each, runs it,
 * and answers with WorkerEvents through the single post() below. Every failure, including
 * ones outside a command, becomes an 'error' event, so nothing dies silently.
 */
import * as tf from '../engine/tf';
import { startCheckedBackend } from './backend-setup';
import { CommandQueue } from './command-queue';
import { parseCommand } from './command-schema';
import { installGpuCounters } from './gpu-counters';
import { disposePreviewTeacher } from './preview-teacher';
import type { Command, WorkerEvent } from './protocol';
import { Session } from './session';

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

/** The WebGPU backend ignores device loss; watch for it so the page can restart the run. */
function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  void device?.lost.then((info) => {
    session.deviceLost(`The GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}).`);
  });
}

async function handle(cmd: Command): Promise<void> {
  if (cmd.type === 'backend.init') {
    disposePreviewTeacher();
    const { backend, selfTests } = await startCheckedBackend(cmd.choice, cmd.config);
    if (backend.name === 'webgpu') watchDevice();
    post({ type: 'backend.ready', requestId: cmd.requestId, backend, selfTests });
    return;
  }
  await session.handle(cmd);
}

// Commands start in order (see command-queue.ts for the two that may overtake slow reads). The
// training loop itself runs outside this chain.
const queue = new CommandQueue(handle, (cmd, err) => postError(cmd.requestId, err));

self.addEventListener('message', (e: MessageEvent<unknown>) => {
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
  queue.push(command);
});

self.addEventListener('error', (e) => postError(null, e.error ?? e.message));
self.addEventListener('unhandledrejection', (e) => postError(null, e.reason));

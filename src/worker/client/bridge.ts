/**
 * The page's side of the worker, with no knowledge of the store: one send(), request/response
 * matching by requestId, validation of what arrives, and a restart that replaces the worker.
 * state/run-actions.ts gives it handlers that turn events into store updates.
 */
import { parseWorkerEvent } from '../shared/event-schema';
import type { Command, WorkerEvent } from '../shared/protocol';
import { startPthreadHosts } from './wasm-pthread-hosts';

/** A command without its requestId: request() adds one. */
export type CommandBody = Command extends infer C
  ? C extends Command
    ? Omit<C, 'requestId'>
    : never
  : never;

export interface BridgeHandlers {
  /** Every well-formed event, before the request it answers (if any) resolves. */
  onEvent(event: WorkerEvent): void;
  /** A message that is not a WorkerEvent arrived; it was dropped. */
  onMalformed(message: string): void;
  /** The worker crashed outside any command; every pending request has been rejected. */
  onCrash(message: string): void;
}

type Pending = { resolve: (e: WorkerEvent) => void; reject: (err: Error) => void };

/** The structural part of Worker the bridge uses, so Node tests can hand it a fake. */
export type WorkerLike = Pick<Worker, 'postMessage' | 'terminate' | 'addEventListener'>;

function trainWorker(): WorkerLike {
  const worker = new Worker(new URL('../train.worker.ts', import.meta.url), {
    type: 'module',
    name: 'train',
  });
  const endHosts = startPthreadHosts(worker);
  return {
    postMessage: worker.postMessage.bind(worker),
    addEventListener: worker.addEventListener.bind(worker) as Worker['addEventListener'],
    terminate: () => {
      worker.terminate();
      endHosts();
    },
  };
}

export class WorkerBridge {
  private worker: WorkerLike | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers: BridgeHandlers;
  private readonly create: () => WorkerLike;

  constructor(handlers: BridgeHandlers, create: () => WorkerLike = trainWorker) {
    this.handlers = handlers;
    this.create = create;
  }

  send(cmd: Command, transfer: Transferable[] = []): void {
    this.worker ??= this.connect();
    this.worker.postMessage(cmd, transfer);
  }

  /** Sends a command and resolves with the event that answers it (or rejects with its error). */
  request(body: CommandBody, transfer: Transferable[] = []): Promise<WorkerEvent> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      // Spreading a member of a union loses the link between `type` and the other fields.
      this.send({ ...body, requestId } as Command, transfer);
    });
  }

  /** Ends the current worker (rejecting what it owed) and starts a fresh one. */
  restart(): void {
    this.worker?.terminate();
    this.failAll(new Error('The worker was restarted.'));
    this.worker = this.connect();
  }

  private connect(): WorkerLike {
    const w = this.create();
    w.addEventListener('message', (e: MessageEvent<unknown>) => this.receive(e.data));
    w.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      const message = `The training worker crashed (${e.message || 'unknown error'}). Press Reset to start a fresh worker.`;
      this.failAll(new Error(message));
      this.handlers.onCrash(message);
    });
    return w;
  }

  /** Entry point of everything the worker sends: validated here, typed from here on. */
  receive(data: unknown): void {
    const parsed = parseWorkerEvent(data);
    if (!parsed.ok) {
      this.handlers.onMalformed(parsed.message);
      return;
    }
    const event = parsed.event;
    this.handlers.onEvent(event);
    if ('requestId' in event && event.requestId !== null) {
      const p = this.pending.get(event.requestId);
      if (!p) return;
      this.pending.delete(event.requestId);
      if (event.type === 'error') p.reject(Object.assign(new Error(event.message), { name: event.name }));
      else p.resolve(event);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * Threaded wasm's pthread workers as the page made them (client/wasm-pthread-hosts.ts): each a
 * MessagePort dressed as the Worker emscripten expects, so its pool never calls `new Worker()`
 * in here, the call that Firefox 153 sometimes never returned from (docs/browsers.md).
 */
import {
  CLOSE_HOST,
  HOST_ERROR,
  type PthreadPortsMessage,
  TAKE_PTHREAD_WORKER_GLOBAL,
} from './shared/wasm-pthread-hosts';

/** The part of Worker that emscripten's pthread pool uses (plus its own expando fields). */
export class PortWorker {
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: { message: string; filename?: string; lineno?: number }) => void) | null = null;
  private readonly port: MessagePort;

  constructor(port: MessagePort) {
    this.port = port;
    port.onmessage = (e: MessageEvent) => {
      if ((e.data as { kd?: unknown } | null)?.kd === HOST_ERROR) this.onerror?.(e.data);
      else this.onmessage?.(e);
    };
  }

  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.port.postMessage(message, transfer ?? []);
  }

  /** The host closes itself; the page also ends every host with the training worker. */
  terminate(): void {
    this.port.postMessage(CLOSE_HOST);
    this.port.close();
  }
}

/** Lets the patched factory take the page's hosts, one per pool slot, before it makes its own. */
export function adoptPthreadPorts(message: PthreadPortsMessage): void {
  const ports = [...message.ports];
  (globalThis as Record<string, unknown>)[TAKE_PTHREAD_WORKER_GLOBAL] = (): PortWorker | undefined => {
    const port = ports.shift();
    return port ? new PortWorker(port) : undefined;
  };
}

/**
 * Starts threaded wasm's pthread workers from the page and hands the training worker a port to
 * each (why: shared/wasm-pthread-hosts.ts). Each host runs emscripten's pthread script behind
 * a port until the training worker's pool loads the wasm module into it.
 */
import { PTHREAD_HOST_FILE, type PthreadPortsMessage, pthreadHostCount } from '../shared/wasm-pthread-hosts';

/** Starts the hosts for `train` and returns what ends them (with the training worker). */
export function startPthreadHosts(train: Worker): () => void {
  const count = pthreadHostCount(
    globalThis.navigator?.hardwareConcurrency,
    globalThis.crossOriginIsolated === true,
  );
  if (count === 0) return () => {};
  const url = new URL(PTHREAD_HOST_FILE, document.baseURI);
  const hosts: Worker[] = [];
  const ports: MessagePort[] = [];
  for (let i = 0; i < count; i++) {
    const host = new Worker(url, { name: `wasm-pthread-${i + 1}` });
    // Its script's own errors travel over the port; this is a host that failed to load at all.
    host.addEventListener('error', (e) =>
      console.error(`wasm pthread host ${i + 1}: ${e.message || 'failed to start'}`),
    );
    const channel = new MessageChannel();
    host.postMessage({ kdPthreadPort: channel.port1 }, [channel.port1]);
    hosts.push(host);
    ports.push(channel.port2);
  }
  const message: PthreadPortsMessage = { kind: 'wasm.pthreadPorts', ports };
  train.postMessage(message, ports);
  return () => {
    for (const host of hosts) host.terminate();
  };
}

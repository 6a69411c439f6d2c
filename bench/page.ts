/**
 * The benchmark page: `runBench(request)` starts a fresh worker (src/worker/bench.worker.ts),
 * collects its events and resolves with them. scripts/bench.ts calls it through Playwright.
 */
import type { BenchEvent, BenchRequest } from '../src/worker/shared/bench-protocol';

async function runBench(request: BenchRequest): Promise<BenchEvent[]> {
  const worker = new Worker(new URL('../src/worker/bench.worker.ts', import.meta.url), { type: 'module' });
  const events: BenchEvent[] = [];
  try {
    return await new Promise<BenchEvent[]>((resolve, reject) => {
      worker.addEventListener('message', (e: MessageEvent<BenchEvent>) => {
        events.push(e.data);
        // The runner (scripts/bench.ts) exposes this to log and keep results as they come.
        (window as unknown as { benchProgress?: (e: BenchEvent) => void }).benchProgress?.(e.data);
        if (e.data.type === 'done' || e.data.type === 'failed') resolve(events);
      });
      worker.addEventListener('error', (e) => reject(new Error(`bench worker crashed: ${e.message}`)));
      worker.postMessage(request);
    });
  } finally {
    worker.terminate();
  }
}

(window as unknown as { runBench: typeof runBench }).runBench = runBench;

/**
 * The browser half of `npm run bench`: a vite dev server for bench/index.html, Chromium
 * through Playwright, and one fresh worker per backend (bench/page.ts) measuring each size.
 */
import path from 'node:path';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import type { BackendName } from '../../src/engine/backend';
import type { BenchSize, StepMeasurement } from '../../src/engine/diagnostics/benchmark';
import type { KernelCheck } from '../../src/engine/diagnostics/kernel-check';
import type { BenchEvent, BenchJob, BenchRequest } from '../../src/worker/shared/bench-protocol';
import { chromiumLaunchOptions } from './browser';

export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

export function summary(m: StepMeasurement): string {
  const d = m.dispatchesPerStep === null ? '' : `, ${m.dispatchesPerStep.toFixed(0)} dispatches`;
  const q = m.enqueueMsPerStep === null ? '' : `, enqueue ${m.enqueueMsPerStep.toFixed(1)} ms`;
  const t = m.wasmThreads ? ` (${m.wasmThreads} thread${m.wasmThreads === 1 ? '' : 's'})` : '';
  return `${m.backend}${t} ${m.size} ${m.kind}: ${m.medianStepMs.toFixed(1)} ms/step (first ${m.firstStepMs.toFixed(0)} ms)${d}${q}`;
}

export interface BrowserRun {
  browser: string;
  adapter: string | null;
  results: StepMeasurement[];
  kernelChecks: KernelCheck[];
  failures: { backend: string; message: string }[];
}

export async function runBrowser(
  root: string,
  plan: Map<BackendName, BenchSize[]>,
  jobsFor: (backend: BackendName, sizes: BenchSize[]) => BenchJob[],
): Promise<BrowserRun> {
  const server = await createServer({
    root,
    configFile: path.join(root, 'vite.config.ts'),
    logLevel: 'error',
    // No watcher, no HMR: an edited source file must not reload the page mid-measurement.
    server: { port: 5180, strictPort: false, host: 'localhost', watch: null, hmr: false },
    optimizeDeps: {
      include: [
        '@tensorflow/tfjs',
        '@tensorflow/tfjs-backend-webgpu',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-webgl',
        '@tensorflow/tfjs-backend-cpu',
        'seedrandom',
      ],
    },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite dev server did not report its address');
  const browser = await chromium.launch(chromiumLaunchOptions());
  const out: BrowserRun = {
    browser: `Chromium ${browser.version()}`,
    adapter: null,
    results: [],
    kernelChecks: [],
    failures: [],
  };
  try {
    const page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') log(`page: ${msg.text()}`);
    });
    // Each result is logged as it arrives, not when the backend's whole batch of sizes ends.
    await page.exposeFunction('benchProgress', (e: BenchEvent) => {
      if (e.type === 'result') log(`  ${summary(e.measurement)}`);
    });
    await page.goto(`${url}bench/index.html`);
    await page.waitForFunction(() => 'runBench' in window, null, { timeout: 120_000 });
    // wasm runs twice: with its thread pool (the app's setting) and single-threaded.
    const runs = [...plan].flatMap(([backend, sizes]): BenchRequest[] => {
      const request = { backend, jobs: jobsFor(backend, sizes) };
      return backend === 'wasm' ? [request, { ...request, wasmThreads: 1 }] : [request];
    });
    for (const request of runs) {
      const { backend } = request;
      log(
        `browser ${backend}${request.wasmThreads ? ` (${request.wasmThreads} thread)` : ''}: ${request.jobs.map((j) => j.size).join(', ')}`,
      );
      const events = (await page.evaluate(
        (r) => (window as unknown as { runBench: (r: unknown) => Promise<unknown> }).runBench(r),
        request,
      )) as BenchEvent[];
      for (const e of events) {
        if (e.type === 'started') {
          if (e.backend !== backend) {
            out.failures.push({ backend, message: `asked for ${backend}, the worker started ${e.backend}` });
          }
          if (e.adapter) out.adapter = e.adapter;
          out.kernelChecks.push(...e.kernelChecks);
        } else if (e.type === 'result') {
          out.results.push(e.measurement);
        } else if (e.type === 'failed') {
          out.failures.push({ backend, message: e.message });
          log(`  ${backend} failed: ${e.message.split('\n')[0]}`);
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}

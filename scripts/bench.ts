/**
 * npm run bench -- [--quick] [--out <file.json>] [--backends webgpu,wasm,...] [--sizes tiny,small,default]
 *
 * Times the reference and the fast distillation step, side by side, for each model size:
 * in Chromium, inside the worker, on each backend (WebGPU on SwiftShader where there is no
 * GPU: emulation, not GPU speed), and in Node on wasm. Writes every figure to a JSON file;
 * a full run also regenerates docs/BENCHMARKS.md and the README's benchmark table.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions, webgpuAdapterMode } from '../e2e/browser';
import type { BackendName } from '../src/engine/backend';
import { BENCH_SIZES, type BenchSize, measureStepPair, type StepMeasurement } from '../src/engine/benchmark';
import type { KernelCheck } from '../src/engine/kernels/check';
import type { BenchEvent, BenchJob } from '../src/worker/bench-protocol';
import { type BenchReport, benchMarkdown, readmeTable } from './lib/bench-report';
import { parseCli, runCli, startNodeBackend, UsageError } from './lib/cli';

const USAGE =
  'npm run bench -- [--quick] [--out FILE.json] [--backends webgpu,webgl,wasm,cpu] [--sizes tiny,small,default] [--no-node]';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BROWSER_BACKENDS: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Steps timed and counted per size, after the three steps of the loss trace. On SwiftShader
 * a default-size step takes a minute or more, so the large sizes get few.
 */
const STEPS: Record<BenchSize, { timed: number; count: number; profile: boolean }> = {
  tiny: { timed: 10, count: 10, profile: true },
  small: { timed: 2, count: 2, profile: true },
  default: { timed: 1, count: 1, profile: false },
};
const QUICK_STEPS: Record<BenchSize, { timed: number; count: number; profile: boolean }> = {
  tiny: { timed: 5, count: 5, profile: true },
  small: { timed: 2, count: 2, profile: true },
  default: { timed: 1, count: 1, profile: false },
};

function listArg<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
): T[] | null {
  if (value === undefined) return null;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T))
      throw new UsageError(`--${flag} takes a comma list of ${allowed.join(', ')}; "${item}" is not one`);
  }
  return items as T[];
}

/**
 * Which sizes each backend runs by default. WebGL and plain-JS cpu are fallbacks, and too
 * slow here (emulated GL, no SIMD) for the larger sizes in a run of under half an hour.
 */
function defaultPlan(quick: boolean): Map<BackendName, BenchSize[]> {
  if (quick)
    return new Map<BackendName, BenchSize[]>([
      ['webgpu', ['tiny']],
      ['wasm', ['tiny', 'small']],
    ]);
  return new Map<BackendName, BenchSize[]>([
    ['webgpu', ['tiny', 'small', 'default']],
    ['webgl', ['tiny', 'small']],
    ['wasm', ['tiny', 'small', 'default']],
    ['cpu', ['tiny']],
  ]);
}

function jobsFor(sizes: BenchSize[], quick: boolean): BenchJob[] {
  const steps = quick ? QUICK_STEPS : STEPS;
  return sizes.map((size) => ({
    size,
    timedSteps: steps[size].timed,
    countSteps: steps[size].count,
    profile: steps[size].profile,
  }));
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function summary(m: StepMeasurement): string {
  const d = m.dispatchesPerStep === null ? '' : `, ${m.dispatchesPerStep.toFixed(0)} dispatches`;
  return `${m.backend} ${m.size} ${m.kind}: ${m.medianStepMs.toFixed(1)} ms/step (first ${m.firstStepMs.toFixed(0)} ms)${d}`;
}

interface BrowserRun {
  browser: string;
  adapter: string | null;
  results: StepMeasurement[];
  kernelChecks: KernelCheck[];
  failures: { backend: string; message: string }[];
}

async function runBrowser(plan: Map<BackendName, BenchSize[]>, quick: boolean): Promise<BrowserRun> {
  const server = await createServer({
    root: ROOT,
    configFile: path.join(ROOT, 'vite.config.ts'),
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
    for (const [backend, sizes] of plan) {
      log(`browser ${backend}: ${sizes.join(', ')}`);
      const events = (await page.evaluate(
        (request) => (window as unknown as { runBench: (r: unknown) => Promise<unknown> }).runBench(request),
        { backend, jobs: jobsFor(sizes, quick) },
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

async function runNode(sizes: BenchSize[], quick: boolean): Promise<StepMeasurement[]> {
  const backend = await startNodeBackend('wasm');
  if (backend.name !== 'wasm') throw new Error('the wasm backend did not start in Node');
  const results: StepMeasurement[] = [];
  for (const job of jobsFor(sizes, quick)) {
    for (const m of await measureStepPair({ ...job, now: () => performance.now() })) {
      results.push(m);
      log(`  node ${summary(m)}`);
    }
  }
  return results;
}

function replaceBetween(text: string, begin: string, end: string, body: string): string {
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${begin} ... ${end} markers`);
  return `${text.slice(0, a + begin.length)}\n${body}\n${text.slice(b)}`;
}

async function main(): Promise<void> {
  const args = parseCli(
    process.argv.slice(2),
    {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      backends: { type: 'string' },
      sizes: { type: 'string' },
      'no-node': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    USAGE,
  );
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const quick = args.quick ?? false;
  const backends = listArg(args.backends, BROWSER_BACKENDS, 'backends');
  const sizes = listArg(args.sizes, BENCH_SIZES, 'sizes');
  const plan = new Map<BackendName, BenchSize[]>();
  for (const [b, s] of defaultPlan(quick)) {
    if (!backends || backends.includes(b))
      plan.set(b, sizes ? s.filter((x) => sizes.includes(x)).concat(sizes.filter((x) => !s.includes(x))) : s);
  }
  for (const b of backends ?? []) if (!plan.has(b)) plan.set(b, sizes ?? ['tiny']);
  const nodeSizes: BenchSize[] = sizes ?? (quick ? ['tiny', 'small'] : [...BENCH_SIZES]);
  const outFile = path.resolve(
    args.out ?? path.join(ROOT, 'bench', quick ? 'results-quick.json' : 'results.json'),
  );
  const started = Date.now();

  const browserRun = await runBrowser(plan, quick);
  log(`node wasm: ${nodeSizes.join(', ')}`);
  const node = args['no-node'] ? [] : await runNode(nodeSizes, quick);

  const report: BenchReport = {
    date: new Date().toISOString(),
    quick,
    durationSec: Math.round((Date.now() - started) / 1000),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    browser: browserRun.browser,
    adapter: browserRun.adapter,
    webgpuEmulated: webgpuAdapterMode() === 'swiftshader',
    kernelChecks: browserRun.kernelChecks,
    failures: browserRun.failures,
    results: [
      ...browserRun.results.map((m) => ({ host: 'browser' as const, ...m })),
      ...node.map((m) => ({ host: 'node' as const, ...m })),
    ],
  };
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), outFile)} (${report.durationSec} s)`);
  const markdown = benchMarkdown(report, path.relative(ROOT, outFile));
  if (!quick && !args.backends && !args.sizes) {
    writeFileSync(path.join(ROOT, 'docs', 'BENCHMARKS.md'), markdown);
    const readmePath = path.join(ROOT, 'README.md');
    const readme = readFileSync(readmePath, 'utf8');
    writeFileSync(
      readmePath,
      replaceBetween(readme, '<!-- bench:begin -->', '<!-- bench:end -->', readmeTable(report)),
    );
    log('updated docs/BENCHMARKS.md and the README table');
  } else {
    process.stdout.write(`${readmeTable(report)}\n`);
  }
  if (report.failures.length) {
    throw new Error(
      `some backends failed: ${report.failures.map((f) => `${f.backend}: ${f.message.split('\n')[0]}`).join('; ')}`,
    );
  }
}

runCli('bench', main);

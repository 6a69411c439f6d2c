/**
 * npm run bench -- [--quick] [--out <file.json>] [--backends webgpu,wasm,...] [--sizes tiny,small,default]
 *                  [--no-node] [--no-torch] [--node-webgpu]
 *
 * Times the reference and the fast distillation step, side by side, for each model size:
 * in Chromium, inside the worker, on each backend (WebGPU on SwiftShader where there is no
 * GPU: emulation, not GPU speed), in Node on wasm, and the PyTorch twin's step beside wasm.
 * --node-webgpu runs the WebGPU measurement in Node through Dawn (npm package `webgpu`)
 * instead of Chromium, for a GPU machine without a browser. Writes every figure to a JSON
 * file; a full run also regenerates docs/BENCHMARKS.md and the table in docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepMeasurement } from '../src/engine/diagnostics/benchmark';
import { benchConfig } from '../src/engine/diagnostics/benchmark';
import { type BrowserRun, log, runBrowser } from './lib/bench-browser';
import { runNodeWasm, runNodeWebGpu } from './lib/bench-node';
import { benchPlan, jobsFor, torchTimedSteps } from './lib/bench-plan';
import { type BenchReport, benchMarkdown, readmeTable, type SavedReport } from './lib/bench-report';
import { webgpuAdapterMode } from './lib/browser';
import { parseCli, runCli } from './lib/cli';
import { kernelShapesOf, kernelShapesTable } from './lib/kernel-shapes-report';
import { readRealGpu } from './lib/real-gpu-docs';
import { runTorch, type TorchSection, torchJobs } from './lib/torch-bench';

const USAGE =
  'npm run bench -- [--quick] [--out FILE.json] [--backends webgpu,webgl,wasm,cpu] [--sizes tiny,small,default] [--no-node] [--no-torch] [--node-webgpu]';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = path.join(ROOT, 'bench', 'results.json');
const NODE_WEBGPU_RESULTS = path.join(ROOT, 'bench', 'results-node-webgpu.json');
const REAL_GPU_RESULTS = path.join(ROOT, 'bench', 'results-real-gpu.json');

function replaceBetween(text: string, begin: string, end: string, body: string): string {
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/performance.md lacks the ${begin} ... ${end} markers`);
  return `${text.slice(0, a + begin.length)}\n${body}\n${text.slice(b)}`;
}

function readSaved(file: string): SavedReport | undefined {
  if (!existsSync(file)) return undefined;
  return {
    report: JSON.parse(readFileSync(file, 'utf8')) as BenchReport,
    jsonPath: path.relative(ROOT, file),
  };
}

/** docs/BENCHMARKS.md from a full run's results and the last --node-webgpu run. */
function writeBenchmarksDoc(results: string): void {
  const main = readSaved(results);
  if (!main) throw new Error(`${path.relative(ROOT, results)} is missing: run the full npm run bench`);
  writeFileSync(
    path.join(ROOT, 'docs', 'BENCHMARKS.md'),
    benchMarkdown(
      main.report,
      main.jsonPath,
      readSaved(NODE_WEBGPU_RESULTS),
      readRealGpu(ROOT, REAL_GPU_RESULTS),
    ),
  );
}

/**
 * Biome formats Markdown and JSON (`npm run lint` checks them): the written files get the
 * layout it wants, so a run's output can be committed as it is. Only a hint when it fails.
 */
function formatWritten(files: string[]): void {
  const biome = path.join(ROOT, 'node_modules', '.bin', 'biome');
  const res = spawnSync(biome, ['format', '--write', '--no-errors-on-unmatched', ...files], {
    encoding: 'utf8',
  });
  if (res.status !== 0)
    log(
      `could not format ${files.join(', ')} with Biome (${res.error?.message ?? res.stderr.trim()}): run npm run format`,
    );
}

/** The Chromium the browser half needs, installed when missing (scripts/ensure-chromium.mjs). */
function ensureChromium(): void {
  const res = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-chromium.mjs')], {
    stdio: 'inherit',
  });
  if (res.status !== 0)
    throw new Error('no Chromium for the browser half of the bench (see above); --node-webgpu needs none');
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2), USAGE);
  const quick = args.boolean('quick');
  const nodeWebgpu = args.boolean('node-webgpu');
  const plan = benchPlan({
    quick,
    backends: args.string('backends'),
    sizes: args.string('sizes'),
    nodeWebgpu,
    noNode: args.boolean('no-node'),
  });
  const outFile = path.resolve(
    args.string('out') ??
      (quick ? path.join(ROOT, 'bench', 'results-quick.json') : nodeWebgpu ? NODE_WEBGPU_RESULTS : RESULTS),
  );
  const started = Date.now();
  const loadAtStart = os.loadavg()[0]!;

  // Dawn first: a missing package or adapter ends the run before anything slow starts.
  const nodeGpu = plan.nodeWebgpu.length
    ? await runNodeWebGpu(jobsFor('webgpu', plan.nodeWebgpu, quick))
    : null;
  let browserRun: BrowserRun = { browser: '', adapter: null, results: [], kernelChecks: [], failures: [] };
  if (plan.browser.size) {
    ensureChromium();
    browserRun = await runBrowser(ROOT, plan.browser, (backend, sizes) => jobsFor(backend, sizes, quick));
  }
  if (plan.nodeWasm.length) log(`node wasm: ${plan.nodeWasm.join(', ')}`);
  const nodeWasm = plan.nodeWasm.length ? await runNodeWasm(jobsFor('wasm', plan.nodeWasm, quick)) : [];

  const results = [
    ...browserRun.results.map((m) => ({ host: 'browser' as const, ...m })),
    ...[...(nodeGpu?.results ?? []), ...nodeWasm].map((m: StepMeasurement) => ({
      host: 'node' as const,
      ...m,
    })),
  ];
  let torch: TorchSection;
  if (args.boolean('no-torch')) {
    torch = {
      python: null,
      torchVersion: null,
      skipped: 'left out with --no-torch',
      results: [],
      failures: [],
    };
  } else {
    log('pytorch (tools/torch/bench_step.py) beside each wasm fast step');
    torch = runTorch({
      root: ROOT,
      jobs: torchJobs(results),
      config: benchConfig,
      timed: () => torchTimedSteps(quick),
      log,
    });
    if (torch.skipped) log(`  pytorch skipped: ${torch.skipped}`);
  }

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
      load: [loadAtStart, os.loadavg()[0]!],
    },
    browser: plan.browser.size ? browserRun.browser : null,
    adapter: nodeGpu ? nodeGpu.adapter : browserRun.adapter,
    webgpuEmulated: nodeGpu ? nodeGpu.emulated : webgpuAdapterMode() === 'swiftshader',
    kernelChecks: [...(nodeGpu?.kernelChecks ?? []), ...browserRun.kernelChecks],
    failures: [
      ...(nodeGpu?.failures ?? []),
      ...browserRun.failures,
      ...torch.failures.map((message) => ({ backend: 'pytorch', message })),
    ],
    results,
    torch,
  };
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  const written = [outFile];
  log(`wrote ${path.relative(process.cwd(), outFile)} (${report.durationSec} s)`);
  // The kernel shapes are read off the programs, not timed: any run that recorded them updates
  // the table, --quick included.
  if (kernelShapesOf(report) && !nodeWebgpu) {
    const perfPath = path.join(ROOT, 'docs', 'performance.md');
    const perf = readFileSync(perfPath, 'utf8');
    writeFileSync(
      perfPath,
      replaceBetween(
        perf,
        '<!-- kernel-shapes:begin -->',
        '<!-- kernel-shapes:end -->',
        kernelShapesTable(report),
      ),
    );
    written.push(perfPath);
    log('updated the kernel-shape table in docs/performance.md');
  }
  if (!quick && !plan.partial) {
    writeBenchmarksDoc(outFile);
    written.push(path.join(ROOT, 'docs', 'BENCHMARKS.md'), path.join(ROOT, 'docs', 'performance.md'));
    const readmePath = path.join(ROOT, 'docs', 'performance.md');
    const readme = readFileSync(readmePath, 'utf8');
    writeFileSync(
      readmePath,
      replaceBetween(readme, '<!-- bench:begin -->', '<!-- bench:end -->', readmeTable(report)),
    );
    log('updated docs/BENCHMARKS.md and the table in docs/performance.md');
  } else {
    if (nodeWebgpu && outFile === NODE_WEBGPU_RESULTS) {
      writeBenchmarksDoc(RESULTS);
      written.push(path.join(ROOT, 'docs', 'BENCHMARKS.md'));
      log('updated the WebGPU-in-Node section of docs/BENCHMARKS.md');
    }
    process.stdout.write(`${readmeTable(report)}\n`);
  }
  // Files outside the project (--out /tmp/...) are left as written; ignored ones (results-quick.json) Biome skips.
  formatWritten(written.filter((f) => !path.relative(ROOT, f).startsWith('..')));
  if (report.failures.length) {
    throw new Error(
      `some backends failed: ${report.failures.map((f) => `${f.backend}: ${f.message.split('\n')[0]}`).join('; ')}`,
    );
  }
  // Dawn's device keeps the event loop alive: end here, as every figure is written.
  if (nodeGpu) process.exit(0);
}

runCli('bench', main);

/**
 * The PyTorch twin's training step, timed for `npm run bench` beside wasm: the same size,
 * the same thread count, on the same cores, in the same run (tools/torch/bench_step.py).
 * wasm in Node runs one thread (tfjs-backend-wasm 4.22 has no threads in Node), so the
 * threaded comparison is Chromium's wasm against PyTorch with as many threads.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BenchSize, StepMeasurement } from '../../src/engine/diagnostics/benchmark';
import type { RunConfig } from '../../src/engine/spec/config';
import { findTorchPython } from './torch-python';

export interface TorchMeasurement {
  size: BenchSize;
  threads: number;
  batch: number;
  firstStepMs: number;
  medianStepMs: number;
  stepsTimed: number;
}

/** What the report keeps: the timings, or why there are none. */
export interface TorchSection {
  python: string | null;
  torchVersion: string | null;
  /** Why PyTorch was not measured (no Python with torch, --no-torch); null when it was. */
  skipped: string | null;
  results: TorchMeasurement[];
  failures: string[];
}

/** A wasm measurement of the step the trainer runs, beside PyTorch's step of the same size and threads. */
export interface TorchComparison {
  where: string;
  size: BenchSize;
  threads: number;
  wasmMs: number;
  torchMs: number;
  /** wasm ms / PyTorch ms: how many times slower wasm is. */
  ratio: number;
}

type WasmResult = Pick<StepMeasurement, 'size' | 'kind' | 'backend' | 'medianStepMs' | 'wasmThreads'> & {
  host: 'browser' | 'node';
};

/** wasm's thread count as measured (no pool reported: one thread). */
const threadsOf = (m: WasmResult): number => m.wasmThreads ?? 1;

/** The (size, threads) pairs PyTorch must run to stand beside every wasm fast step measured. */
export function torchJobs(results: readonly WasmResult[]): { size: BenchSize; threads: number }[] {
  const seen = new Map<string, { size: BenchSize; threads: number }>();
  for (const m of results) {
    if (m.backend !== 'wasm' || m.kind !== 'fast') continue;
    const job = { size: m.size, threads: threadsOf(m) };
    seen.set(`${job.size}/${job.threads}`, job);
  }
  return [...seen.values()];
}

/** Each wasm fast step against PyTorch of the same size and thread count; unmatched ones left out. */
export function torchComparisons(
  results: readonly WasmResult[],
  torch: readonly TorchMeasurement[],
): TorchComparison[] {
  const out: TorchComparison[] = [];
  for (const m of results) {
    if (m.backend !== 'wasm' || m.kind !== 'fast') continue;
    const threads = threadsOf(m);
    const t = torch.find((x) => x.size === m.size && x.threads === threads);
    if (!t || !(t.medianStepMs > 0)) continue;
    const host = m.host === 'node' ? 'Node' : 'Chromium';
    out.push({
      where: `${host} wasm (${threads} thread${threads === 1 ? '' : 's'})`,
      size: m.size,
      threads,
      wasmMs: m.medianStepMs,
      torchMs: t.medianStepMs,
      ratio: m.medianStepMs / t.medianStepMs,
    });
  }
  return out;
}

/** Parses bench_step.py's one JSON line; a clear error for anything else. */
export function parseTorchOutput(stdout: string, size: BenchSize): TorchMeasurement {
  const line = stdout.trim().split('\n').pop() ?? '';
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(
      `bench_step.py printed no JSON result (last line: ${JSON.stringify(line.slice(0, 200))})`,
    );
  }
  const num = (key: string): number => {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`bench_step.py: "${key}" is not a number`);
    return v;
  };
  return {
    size,
    threads: num('threads'),
    batch: num('batch'),
    firstStepMs: num('firstStepMs'),
    medianStepMs: num('medianStepMs'),
    stepsTimed: num('stepsTimed'),
  };
}

export interface TorchRunOptions {
  root: string;
  jobs: { size: BenchSize; threads: number }[];
  config: (size: BenchSize) => RunConfig;
  timed: (size: BenchSize) => number;
  log: (message: string) => void;
}

/** Times every job; a missing Python with torch skips them all with the reason, it does not fail. */
export function runTorch(opts: TorchRunOptions): TorchSection {
  const found = findTorchPython();
  if (found.python === null)
    return { python: null, torchVersion: null, skipped: found.reason, results: [], failures: [] };
  const section: TorchSection = {
    python: found.python,
    torchVersion: found.torchVersion,
    skipped: null,
    results: [],
    failures: [],
  };
  const script = path.join(opts.root, 'tools', 'torch', 'bench_step.py');
  for (const job of opts.jobs) {
    const args = [
      script,
      '--threads',
      String(job.threads),
      '--warmup',
      '3',
      '--timed',
      String(opts.timed(job.size)),
    ];
    const res = spawnSync(found.python, args, {
      input: JSON.stringify(opts.config(job.size)),
      encoding: 'utf8',
      timeout: 30 * 60_000,
      // One thread means one: OpenBLAS and OpenMP would otherwise start their own pools.
      env: {
        ...process.env,
        OMP_NUM_THREADS: String(job.threads),
        OPENBLAS_NUM_THREADS: String(job.threads),
      },
    });
    try {
      if (res.error) throw res.error;
      if (res.status !== 0)
        throw new Error(`exit ${res.status}: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const m = parseTorchOutput(res.stdout, job.size);
      section.results.push(m);
      opts.log(
        `  pytorch ${m.size} (${m.threads} thread${m.threads === 1 ? '' : 's'}): ${m.medianStepMs.toFixed(1)} ms/step (first ${m.firstStepMs.toFixed(0)} ms)`,
      );
    } catch (err) {
      const message = `${job.size}, ${job.threads} threads: ${err instanceof Error ? err.message : String(err)}`;
      section.failures.push(message);
      opts.log(`  pytorch failed: ${message}`);
    }
  }
  return section;
}

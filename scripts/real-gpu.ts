/**
 * The real-GPU run (docs/performance.md, "A real GPU"): the default preset's fast student step
 * on WebGPU through Dawn in Node (npm `webgpu`), timed, counted (dispatches, submits) and
 * profiled per kernel, and the PyTorch twin's step on CUDA on the same machine; writes
 * real-gpu.json and real-gpu.md into --out. scripts/gpu/prepare-real-gpu.sh bundles this file
 * so a GPU machine needs no node_modules; scripts/gpu/real-gpu-bench.sh runs it there.
 *
 *   node real-gpu.mjs [--size default] [--batch N] [--timed N] [--count N] [--profile-steps N]
 *                     [--torch-device cuda|cpu|none] [--out DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tryBackend } from '../src/engine/backend';
import {
  BENCH_SIZES,
  type BenchSize,
  benchConfig,
  measureStepPair,
} from '../src/engine/diagnostics/benchmark';
import { patchCount } from '../src/engine/spec/config';
import { applyLayers } from '../src/engine/spec/presets';
import * as tf from '../src/engine/tf';
import { installGpuCounters, readGpuCounters } from '../src/worker/shared/gpu-counters';
import { parseCli, runCli, UsageError } from './lib/cli';
import { installNodeWebGpu } from './lib/node-webgpu';
import { type RealGpuReport, realGpuMarkdown } from './lib/real-gpu-report';
import { findTorchPython } from './lib/torch-python';

const USAGE =
  'node real-gpu.mjs [--size tiny|small|default] [--batch N] [--timed N] [--count N] [--profile-steps N] [--torch-device cuda|cpu|none] [--out DIR]';

const log = (s: string) => process.stderr.write(`real-gpu: ${s}\n`);

function positiveOr(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1, got "${value}"`);
  return n;
}

function runTorchStep(
  config: ReturnType<typeof benchConfig>,
  device: string,
  timed: number,
): { torch: RealGpuReport['torch']; skipped: string | null } {
  if (device === 'none') return { torch: null, skipped: 'left out with --torch-device none' };
  const found = findTorchPython();
  if (found.python === null) return { torch: null, skipped: found.reason };
  const script = path.join(process.cwd(), 'tools', 'torch', 'bench_step.py');
  const res = spawnSync(
    found.python,
    [script, '--device', device, '--threads', '4', '--warmup', '3', '--timed', String(timed)],
    { input: JSON.stringify(config), encoding: 'utf8', timeout: 300_000 },
  );
  if (res.status !== 0) {
    const why = res.error?.message ?? res.stderr.trim().split('\n').slice(-3).join(' ');
    return { torch: null, skipped: `tools/torch/bench_step.py failed: ${why}` };
  }
  const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as {
    torchVersion: string;
    device: string;
    gpu: string | null;
    medianStepMs: number;
  };
  return {
    torch: {
      device: out.device,
      gpu: out.gpu,
      torchVersion: out.torchVersion,
      medianStepMs: out.medianStepMs,
    },
    skipped: null,
  };
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2), USAGE);
  const size = (args.string('size') ?? 'default') as BenchSize;
  if (!BENCH_SIZES.includes(size))
    throw new UsageError(`--size must be one of ${BENCH_SIZES.join(', ')}, got "${size}"`);
  const base = benchConfig(size);
  const positive = (name: string, fallback: number) => positiveOr(name, args.string(name), fallback);
  const batch = positive('batch', base.optim.batch);
  const timed = positive('timed', 20);
  const count = positive('count', 20);
  const profileSteps = positive('profile-steps', 10);
  const torchDevice = args.string('torch-device') ?? 'cuda';
  if (!['cuda', 'cpu', 'none'].includes(torchDevice))
    throw new UsageError(`--torch-device must be cuda, cpu or none, got "${torchDevice}"`);
  const outDir = path.resolve(args.string('out') ?? path.join('bench', 'real-gpu'));

  const dawn = await installNodeWebGpu();
  log(`Dawn (npm webgpu ${dawn.packageVersion}) on ${dawn.adapter}${dawn.emulated ? ' (emulated)' : ''}`);
  const counting = installGpuCounters();
  const problem = await tryBackend('webgpu');
  if (problem) throw new Error(`TF.js could not start WebGPU on ${dawn.adapter}: ${problem}`);
  const started = performance.now();
  const [m] = await measureStepPair({
    size,
    batch,
    kinds: ['fast'],
    timedSteps: timed,
    countSteps: count,
    now: () => performance.now(),
    counters: counting ? readGpuCounters : undefined,
    profile: true,
    stepProfileSteps: profileSteps,
    emulated: dawn.emulated,
  });
  if (!m) throw new Error('the fast step was not measured');
  log(
    `webgpu fast step: ${m.medianStepMs.toFixed(1)} ms, ${m.dispatchesPerStep} dispatches, ${m.submitsPerStep} submits a step (${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
  const config = applyLayers(base, {
    optim: { batch },
    loss: { k: Math.min(base.loss.k, batch * patchCount(base.student)) },
  });
  const { torch, skipped } = runTorchStep(config, torchDevice, timed);
  log(
    torch ? `pytorch on ${torch.device}: ${torch.medianStepMs.toFixed(2)} ms a step` : `pytorch: ${skipped}`,
  );
  const report: RealGpuReport = {
    date: new Date().toISOString(),
    adapter: dawn.adapter,
    emulated: dawn.emulated,
    size,
    batch,
    webgpu: {
      medianStepMs: m.medianStepMs,
      stepsTimed: m.stepsTimed,
      dispatchesPerStep: m.dispatchesPerStep,
      submitsPerStep: m.submitsPerStep,
      peakBytes: m.peakBytes,
      profile: m.stepProfile ?? null,
    },
    torch,
    torchSkipped: skipped,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'real-gpu.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = realGpuMarkdown(report, 'real-gpu.json').join('\n');
  writeFileSync(path.join(outDir, 'real-gpu.md'), `${md}\n`);
  process.stdout.write(`${md}\n`);
  tf.disposeVariables();
  // Dawn's device keeps the event loop alive: end once everything is written.
  process.exit(0);
}

runCli('real-gpu', main);

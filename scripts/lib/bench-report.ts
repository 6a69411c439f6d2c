/**
 * The benchmark's JSON report and the Markdown tables generated from it (docs/BENCHMARKS.md
 * and the README's table). Reference and fast step of the same backend and size sit side
 * by side; every ratio is reference / fast from the same run.
 */
import type { StepMeasurement } from '../../src/engine/benchmark';
import type { KernelCheck } from '../../src/engine/kernels/check';

export interface HostedMeasurement extends StepMeasurement {
  host: 'browser' | 'node';
}

export interface BenchReport {
  date: string;
  quick: boolean;
  durationSec: number;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string; node: string };
  browser: string;
  adapter: string | null;
  /** WebGPU ran on SwiftShader (the CPU): its timings are emulation, not GPU speed. */
  webgpuEmulated: boolean;
  kernelChecks: KernelCheck[];
  failures: { backend: string; message: string }[];
  results: HostedMeasurement[];
}

export interface Comparison {
  where: string;
  size: string;
  reference: HostedMeasurement;
  fast: HostedMeasurement;
  /** Largest relative difference of any loss term over the first three steps. */
  lossMaxRelDiff: number;
}

export function where(m: HostedMeasurement): string {
  return m.host === 'node' ? `Node ${m.backend}` : `Chromium ${m.backend}`;
}

/** Pairs each reference measurement with the fast one of the same host, backend and size. */
export function comparisons(report: BenchReport): Comparison[] {
  const out: Comparison[] = [];
  for (const ref of report.results.filter((m) => m.kind === 'reference')) {
    const fast = report.results.find(
      (m) => m.kind === 'fast' && m.host === ref.host && m.backend === ref.backend && m.size === ref.size,
    );
    if (!fast) continue;
    let worst = 0;
    ref.losses.forEach((row, i) => {
      for (const [term, a] of Object.entries(row)) {
        if (term === 'accuracy') continue;
        const b = fast.losses[i]?.[term];
        const d = b === undefined ? Number.POSITIVE_INFINITY : Math.abs(a - b) / Math.max(Math.abs(a), 1e-12);
        if (!(d <= worst)) worst = d;
      }
    });
    out.push({ where: where(ref), size: ref.size, reference: ref, fast, lossMaxRelDiff: worst });
  }
  return out;
}

const fmt = (x: number | null, digits = 0): string => (x === null ? 'n/a' : x.toFixed(digits));
const ratio = (a: number | null, b: number | null): string =>
  a === null || b === null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;
const bytes = (x: number | null): string =>
  x === null
    ? 'n/a'
    : x >= 1024 * 1024
      ? `${(x / 2 ** 20).toFixed(1)} MB`
      : x >= 1024
        ? `${(x / 1024).toFixed(1)} KB`
        : `${x.toFixed(0)} B`;

function headerLines(report: BenchReport): string[] {
  const m = report.machine;
  return [
    `Measured ${report.date.slice(0, 16).replace('T', ' ')} UTC${report.quick ? ' (--quick)' : ''} in ${report.durationSec} s on ${m.cores} cores of ${m.cpu}, ${m.memoryGiB} GiB (${m.platform}); ${report.browser}${report.adapter ? `, WebGPU adapter "${report.adapter}"` : ''}; Node ${m.node}.`,
    report.webgpuEmulated
      ? 'WebGPU here is SwiftShader, an emulator on the CPU: its milliseconds are emulation, not GPU speed. Dispatch, readback and upload counts are what a real GPU would see.'
      : 'WebGPU ran on a real GPU.',
  ];
}

/** The README's table: reference vs fast, one row per backend and size. */
export function readmeTable(report: BenchReport): string {
  const rows = comparisons(report).map((c) => {
    const r = c.reference;
    const f = c.fast;
    return `| ${c.where} | ${c.size} | ${fmt(r.dispatchesPerStep)} / ${fmt(f.dispatchesPerStep)} (${ratio(r.dispatchesPerStep, f.dispatchesPerStep)}) | ${fmt(r.kernelsPerStep)} / ${fmt(f.kernelsPerStep)} | ${fmt(r.readbacksPerStep, 2)} / ${fmt(f.readbacksPerStep, 2)} | ${bytes(r.uploadBytesPerStep)} / ${bytes(f.uploadBytesPerStep)} | ${fmt(r.medianStepMs, 1)} / ${fmt(f.medianStepMs, 1)} (${ratio(r.medianStepMs, f.medianStepMs)}) | ${c.lossMaxRelDiff.toExponential(1)} |`;
  });
  return [
    ...headerLines(report),
    '',
    '| Where | Size | GPU dispatches / step, ref / fast | TF.js kernels / step | Readbacks / step | Data upload / step | ms / step, ref / fast (speed-up) | Loss terms, max rel. diff |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** docs/BENCHMARKS.md: the README table plus every figure of every measurement. */
export function benchMarkdown(report: BenchReport, jsonPath: string): string {
  const detail = report.results.map(
    (m) =>
      `| ${where(m)} | ${m.size} | ${m.kind} | ${m.batch} | ${fmt(m.medianStepMs, 1)} | ${fmt(m.imagesPerSec, 1)} | ${fmt(m.firstStepMs, 0)} | ${fmt(m.dispatchesPerStep)} | ${fmt(m.readbacksPerStep, 2)} | ${bytes(m.uploadBytesPerStep)} | ${bytes(m.uniformBytesPerStep)} | ${fmt(m.kernelsPerStep)} | ${bytes(m.peakBytes)} | ${bytes(m.backendBytes)} | ${m.tensorsAfter2} / ${m.tensorsAfterAll} |`,
  );
  const checks = report.kernelChecks.length
    ? report.kernelChecks.map(
        (k) =>
          `- ${k.name}: max relative difference ${k.maxRelDiff.toExponential(1)} (value and every input gradient)`,
      )
    : ['- no fused kernels on the backends run'];
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (scripts/bench.ts) from \`${jsonPath}\`; rerun it to refresh. Do not edit by hand.`,
    '',
    '## Reference vs fast step',
    '',
    readmeTable(report),
    '',
    'Sizes: tiny and default are the presets; small is default at half the width (teacher 64, student 32) and 4 blocks, batch 32. The reference step is the straightforward one (per-variable AdamW, plain TF.js ops); the fast step updates all parameters as one flat vector and, on WebGPU, runs LayerNorm, GELU and softmax (and their gradients) as single WGSL kernels. Dispatches, readbacks and uploads are counted by wrapping GPUComputePassEncoder.dispatchWorkgroups, GPUBuffer.mapAsync and GPUQueue.writeBuffer in the worker, over steps run back to back with one metrics read at the end, as the trainer runs them. TF.js kernels are counted with tf.profile (every backend).',
    '',
    '## Every figure',
    '',
    '| Where | Size | Step | Batch | ms / step (median) | Images / s | First step ms | Dispatches | Readbacks | Upload | Uniforms | TF.js kernels | Peak tensor memory | Backend allocated | Live tensors after 2 / all steps |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...detail,
    '',
    '## Fused kernels against their plain-op versions (WebGPU)',
    '',
    ...checks,
    '',
  ].join('\n');
}

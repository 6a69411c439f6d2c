/**
 * The benchmark's JSON report and the Markdown tables generated from it (docs/BENCHMARKS.md
 * and the README's table). Reference and fast step of the same backend and size sit side
 * by side; every ratio is reference / fast from the same run.
 */
import type { StepMeasurement } from '../../src/engine/diagnostics/benchmark';
import type { KernelCheck } from '../../src/engine/diagnostics/kernel-check';
import { type RealGpuReport, realGpuSection } from './real-gpu-report';
import { type TorchSection, torchComparisons } from './torch-bench';

export interface HostedMeasurement extends StepMeasurement {
  host: 'browser' | 'node';
}

export interface BenchReport {
  date: string;
  quick: boolean;
  durationSec: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    platform: string;
    node: string;
    /** 1-minute load average at the start and the end: above the core count, others shared the cores. */
    load?: [number, number];
  };
  /** null where no browser ran (--node-webgpu). */
  browser: string | null;
  adapter: string | null;
  /** WebGPU ran on SwiftShader (the CPU): its timings are emulation, not GPU speed. */
  webgpuEmulated: boolean;
  kernelChecks: KernelCheck[];
  failures: { backend: string; message: string }[];
  results: HostedMeasurement[];
  /** The PyTorch twin's step beside wasm's (absent in older result files). */
  torch?: TorchSection;
}

export interface Comparison {
  where: string;
  size: string;
  /** null where the fast step was measured alone (an emulated size too slow for both). */
  reference: HostedMeasurement | null;
  fast: HostedMeasurement;
  /** Largest relative difference of any loss term over the first three steps (null: no reference). */
  lossMaxRelDiff: number | null;
}

export function where(m: HostedMeasurement): string {
  const threads = m.wasmThreads ? ` (${m.wasmThreads} thread${m.wasmThreads === 1 ? '' : 's'})` : '';
  return `${m.host === 'node' ? 'Node' : 'Chromium'} ${m.backend}${threads}`;
}

/**
 * Pairs each fast measurement with the reference one of the same host, backend and size,
 * where there is one. A reference measured alone has nothing to stand beside: left out.
 */
export function comparisons(report: BenchReport): Comparison[] {
  const out: Comparison[] = [];
  for (const fast of report.results.filter((m) => m.kind === 'fast')) {
    const ref = report.results.find(
      (m) => m.kind === 'reference' && where(m) === where(fast) && m.size === fast.size,
    );
    if (!ref) {
      out.push({ where: where(fast), size: fast.size, reference: null, fast, lossMaxRelDiff: null });
      continue;
    }
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

// Older result files lack newer figures (undefined): shown as n/a too.
const fmt = (x: number | null | undefined, digits = 0): string => (x == null ? 'n/a' : x.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a == null || b == null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;
const bytes = (x: number | null | undefined): string =>
  x == null
    ? 'n/a'
    : x >= 1024 * 1024
      ? `${(x / 2 ** 20).toFixed(1)} MB`
      : x >= 1024
        ? `${(x / 1024).toFixed(1)} KB`
        : `${x.toFixed(0)} B`;

function headerLines(report: BenchReport): string[] {
  const m = report.machine;
  const adapter = report.adapter ?? '';
  return [
    `Measured ${report.date.slice(0, 16).replace('T', ' ')} UTC${report.quick ? ' (--quick)' : ''} in ${report.durationSec} s on ${m.cores} cores of ${m.cpu}, ${m.memoryGiB} GiB (${m.platform}); ${report.browser ?? 'no browser'}${adapter ? `, WebGPU adapter "${adapter}"` : ''}; Node ${m.node}.${m.load ? ` Load average ${m.load[0].toFixed(1)} at the start, ${m.load[1].toFixed(1)} at the end${Math.max(...m.load) > m.cores ? ': the cores were shared with other work, so the times are inflated' : ''}.` : ''}`,
    ...(!report.results.some((r) => r.backend === 'webgpu')
      ? []
      : report.webgpuEmulated
        ? [
            `WebGPU here is ${/swiftshader/i.test(adapter) || !adapter ? 'SwiftShader' : `"${adapter}"`}, an emulator on the CPU: its milliseconds are emulation, not GPU speed. Dispatch, readback and upload counts are what a real GPU would see.`,
          ]
        : ['WebGPU ran on a real GPU.']),
  ];
}

/** A step time; "(b2b)" when it is the back-to-back wall time per step, no step timed alone. */
const stepMs = (m: HostedMeasurement | null): string =>
  m === null ? 'n/a' : `${fmt(m.medianStepMs, 1)}${m.stepsTimed === 0 ? ' (b2b)' : ''}`;

/** wasm's fast step against the PyTorch twin's, or why PyTorch is not in this run. */
export function torchLines(report: BenchReport): string[] {
  const t = report.torch;
  if (!t) return [];
  if (t.skipped) return [`PyTorch not measured: ${t.skipped}`];
  const rows = torchComparisons(report.results, t.results).map(
    (c) =>
      `| ${c.where} | ${c.size} | ${c.threads} | ${fmt(c.wasmMs, 1)} | ${fmt(c.torchMs, 1)} | ${c.ratio.toFixed(2)}x |`,
  );
  const failed = t.failures.map((f) => `PyTorch failed: ${f}`);
  if (!rows.length) return [...failed, 'PyTorch: no wasm fast step in this run to compare with.'];
  return [
    `The fast step on wasm against the PyTorch twin's step (tools/torch/bench_step.py, torch ${t.torchVersion}, CPU) of the same size with as many threads, on the same cores in the same run. wasm in Node has one thread (tfjs-backend-wasm has no threads in Node); the threaded comparison is Chromium's.`,
    '',
    '| Where | Size | Threads | wasm ms / step (fast) | PyTorch ms / step | wasm / PyTorch |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(failed.length ? ['', ...failed] : []),
  ];
}

/** The README's table: reference vs fast, one row per backend and size; then wasm vs PyTorch. */
export function readmeTable(report: BenchReport): string {
  const rows = comparisons(report).map((c) => {
    const r = c.reference;
    const f = c.fast;
    const diff = c.lossMaxRelDiff === null ? 'n/a' : c.lossMaxRelDiff.toExponential(1);
    return `| ${c.where} | ${c.size} | ${fmt(r?.dispatchesPerStep)} / ${fmt(f.dispatchesPerStep)} (${ratio(r?.dispatchesPerStep, f.dispatchesPerStep)}) | ${fmt(r?.enqueueMsPerStep, 1)} / ${fmt(f.enqueueMsPerStep, 1)} | ${fmt(r?.kernelsPerStep)} / ${fmt(f.kernelsPerStep)} | ${fmt(r?.readbacksPerStep, 2)} / ${fmt(f.readbacksPerStep, 2)} | ${bytes(r?.uploadBytesPerStep)} / ${bytes(f.uploadBytesPerStep)} | ${stepMs(r)} / ${stepMs(f)} (${ratio(r?.medianStepMs, f.medianStepMs)}) | ${ratio(r?.firstStepMs, r?.medianStepMs)} / ${ratio(f.firstStepMs, f.medianStepMs)} | ${diff} |`;
  });
  const torch = torchLines(report);
  return [
    ...headerLines(report),
    '',
    '| Where | Size | GPU dispatches / step, ref / fast | Worker JS ms to enqueue a step, ref / fast | TF.js kernels / step | Readbacks / step | Data upload / step | ms / step, ref / fast (speed-up) | First / steady step, ref / fast | Loss terms, max rel. diff |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(torch.length ? ['', ...torch] : []),
  ].join('\n');
}

function detailTable(report: BenchReport): string[] {
  return [
    '| Where | Size | Step | Batch | ms / step (median) | Back-to-back ms / step | Images / s | First step ms | Warm-up ms | Dispatches | Submits | Enqueue ms | Readbacks | Upload | Uniforms | TF.js kernels | Peak tensor memory | Backend allocated | Live tensors after 2 / all steps |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.results.map(
      (m) =>
        `| ${where(m)} | ${m.size} | ${m.kind} | ${m.batch} | ${fmt(m.medianStepMs, 1)} | ${fmt(m.backToBackMsPerStep, 1)} | ${fmt(m.imagesPerSec, 1)} | ${fmt(m.firstStepMs, 0)} | ${fmt(m.warmUpMs, 0)} | ${fmt(m.dispatchesPerStep)} | ${fmt(m.submitsPerStep, 1)} | ${fmt(m.enqueueMsPerStep, 1)} | ${fmt(m.readbacksPerStep, 2)} | ${bytes(m.uploadBytesPerStep)} | ${bytes(m.uniformBytesPerStep)} | ${fmt(m.kernelsPerStep)} | ${bytes(m.peakBytes)} | ${bytes(m.backendBytes)} | ${m.tensorsAfter2} / ${m.tensorsAfterAll} |`,
    ),
  ];
}

/** A run's result file with the path it was read from, for a section of docs/BENCHMARKS.md. */
export interface SavedReport {
  report: BenchReport;
  jsonPath: string;
}

/**
 * docs/BENCHMARKS.md: the README table plus every figure of every measurement, then the
 * last `--node-webgpu` run (its own machine and adapter), when one is committed.
 */
export function benchMarkdown(
  report: BenchReport,
  jsonPath: string,
  nodeWebgpu?: SavedReport,
  realGpu?: { report: RealGpuReport; jsonPath: string },
): string {
  const checks = report.kernelChecks.length
    ? report.kernelChecks.map(
        (k) =>
          `- ${k.name}: max relative difference ${k.maxRelDiff.toExponential(1)} (value and every input gradient)`,
      )
    : ['- no fused kernels on the backends run'];
  const node = nodeWebgpu
    ? [
        '',
        '## WebGPU in Node (Dawn): `npm run bench -- --node-webgpu`',
        '',
        `From \`${nodeWebgpu.jsonPath}\`, a separate run on the machine and adapter it names: the same measurement as in Chromium's worker, through the npm package \`webgpu\`.`,
        '',
        readmeTable(nodeWebgpu.report),
        '',
        ...detailTable(nodeWebgpu.report),
      ]
    : [];
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (scripts/bench.ts) from \`${jsonPath}\`; rerun it to refresh. Do not edit by hand.`,
    '',
    '## Reference vs fast step',
    '',
    readmeTable(report),
    '',
    'Sizes: tiny and default are the presets; small is default at half the width (teacher 64, student 32) and 4 blocks, batch 32. The reference step is the straightforward one (per-variable AdamW, plain TF.js ops); the fast step updates all parameters as one flat vector and, on WebGPU, runs LayerNorm, GELU, softmax, the attention of all heads of a block, the three relation terms of a layer pair and soft KD (and their gradients) as fused WGSL kernels. Dispatches, readbacks and uploads are counted by wrapping GPUComputePassEncoder.dispatchWorkgroups, GPUBuffer.mapAsync and GPUQueue.writeBuffer in the worker, over steps run back to back with one metrics read at the end, as the trainer runs them; readbacks are the steps\' own plus that read spread over the steps it covers, or over 10, the fewest the trainer reads at once (src/engine/pending-metrics.ts). TF.js kernels are counted with tf.profile (every backend). "(b2b)": no step was timed alone (an emulated size too slow for it); the time is the wall time of the back-to-back counted steps per step. "n/a" for the reference: the fast step was measured alone. First / steady step: the first step over the steady one. On WebGPU the pipelines of both kinds are first compiled in parallel (src/engine/diagnostics/warm-up.ts, as a run does while its data loads; that time is the detail table\'s Warm-up ms, n/a where none ran), so the first step pays only for what the warm-up missed; in results from before the warm-up, the reference ran first, cold, and the fast step\'s first step found the shaders the two share compiled.',
    '',
    '## Every figure',
    '',
    ...detailTable(report),
    '',
    '## Fused kernels against their plain-op versions (WebGPU)',
    '',
    ...checks,
    ...node,
    '',
    ...realGpuSection(realGpu),
    '',
  ].join('\n');
}

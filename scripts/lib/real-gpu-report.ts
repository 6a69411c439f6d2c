/**
 * The real-GPU run's report (scripts/real-gpu.ts): its JSON, and the Markdown that
 * docs/BENCHMARKS.md shows under "Real GPU" (one table of step time, dispatches and submits
 * for the WebGPU fast step and the twin's CUDA step, then the fast step's profile).
 */
import type { StepProfile } from '../../src/engine/spec/profile-summary';

export interface RealGpuReport {
  date: string;
  /** The adapter as Dawn names it, and whether it is an emulation (a dry run). */
  adapter: string;
  emulated: boolean;
  size: string;
  batch: number;
  webgpu: {
    medianStepMs: number;
    stepsTimed: number;
    dispatchesPerStep: number | null;
    submitsPerStep: number | null;
    peakBytes: number | null;
    profile: StepProfile | null;
  };
  /** The PyTorch twin's step (tools/torch/bench_step.py) on `device`; null when not run, with why. */
  torch: { device: string; gpu: string | null; torchVersion: string; medianStepMs: number } | null;
  torchSkipped: string | null;
}

const f = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);

/** The "Real GPU" section's body for a report; `source` names the JSON it came from. */
export function realGpuMarkdown(r: RealGpuReport, source: string, profileRows = 15): string[] {
  const w = r.webgpu;
  const ratio = r.torch ? w.medianStepMs / r.torch.medianStepMs : null;
  const lines = [
    `From \`${source}\` (${r.date.slice(0, 10)}): the ${r.size} preset's fast student step at batch ${r.batch} on ${r.adapter}${r.emulated ? ' (emulated: a dry run, not GPU speed)' : ''}, through Dawn in Node (npm \`webgpu\`), and the PyTorch twin's step${r.torch ? ` on ${r.torch.device}${r.torch.gpu ? ` (${r.torch.gpu})` : ''}, torch ${r.torch.torchVersion}` : ''}.`,
    '',
    '| step | ms per step | dispatches | submits | peak tensor memory | vs PyTorch |',
    '| ---- | ----------- | ---------- | ------- | ------------------ | ---------- |',
    `| WebGPU fast step (TF.js, Dawn) | ${f(w.medianStepMs)} | ${f(w.dispatchesPerStep)} | ${f(w.submitsPerStep)} | ${w.peakBytes === null ? 'n/a' : `${(w.peakBytes / 2 ** 20).toFixed(1)} MB`} | ${ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`} |`,
    r.torch
      ? `| PyTorch twin (${r.torch.device}) | ${f(r.torch.medianStepMs)} | n/a | n/a | n/a | 1.00x |`
      : `| PyTorch twin | not run: ${r.torchSkipped ?? 'unknown'} | | | | |`,
  ];
  const p = w.profile;
  if (p) {
    lines.push(
      '',
      `Step profile of the WebGPU fast step (${p.steps} steps; clock: ${p.clockNote}${p.emulated ? '; emulated' : ''}): ${f(p.totalMsPerStep, 2)} ms of kernel time per step, ${f(p.wallMsPerStep, 1)} ms of wall time per profiled step.`,
      '',
      '| kernel | calls per step | ms per step | share |',
      '| ------ | -------------- | ----------- | ----- |',
      ...p.rows
        .slice(0, profileRows)
        .map(
          (row) =>
            `| ${row.kernel} | ${f(row.callsPerStep)} | ${f(row.msPerStep, 3)} | ${(row.share * 100).toFixed(1)}% |`,
        ),
    );
    if (p.rows.length > profileRows) {
      const rest = p.rows.slice(profileRows);
      const ms = rest.reduce((s, x) => s + x.msPerStep, 0);
      lines.push(
        `| ${rest.length} more kernels | ${f(rest.reduce((s, x) => s + x.callsPerStep, 0))} | ${f(ms, 3)} | ${p.totalMsPerStep > 0 ? ((ms / p.totalMsPerStep) * 100).toFixed(1) : '0.0'}% |`,
      );
    }
  }
  return lines;
}

/** The "Real GPU" section of docs/BENCHMARKS.md: the last real-GPU run's table, or that there was none. */
export function realGpuSection(saved?: { report: RealGpuReport; jsonPath: string }): string[] {
  const head = ['## Real GPU', ''];
  const how =
    '`bash scripts/gpu/prepare-real-gpu.sh` here, `bash scripts/gpu/real-gpu-bench.sh` on the GPU machine, then `npm run real-gpu:docs -- --from <its real-gpu.json>` (docs/performance.md, "A real GPU"). The goal: the default fast step within 4x of the PyTorch CUDA step on the same GPU.';
  if (!saved)
    return [
      ...head,
      `No real GPU has been measured yet: no GPU machine has been available to run it. ${how}`,
    ];
  return [...head, ...realGpuMarkdown(saved.report, saved.jsonPath), '', how];
}

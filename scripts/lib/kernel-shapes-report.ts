/**
 * The kernel-shape table of docs/performance.md, from a bench run's kernelShapes (the WebGPU
 * default-size fast step; src/engine/diagnostics/kernel-shapes.ts): every kernel the step
 * dispatches, busiest first, with the GPU shape rule's verdict.
 */
import {
  GPU_SHAPE_RULE,
  type KernelShape,
  shapeViolations,
} from '../../src/engine/diagnostics/kernel-shapes';
import type { BenchReport } from './bench-report';

const num = (x: number) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : `${x}`;

/** The measurement that holds kernel shapes, if the run recorded any. */
export function kernelShapesOf(report: BenchReport): { shapes: KernelShape[]; batch: number } | null {
  const m = report.results.find((r) => r.kernelShapes?.length);
  return m?.kernelShapes ? { shapes: m.kernelShapes, batch: m.kernelShapesBatch ?? m.batch } : null;
}

export function kernelShapesTable(report: BenchReport): string {
  const found = kernelShapesOf(report);
  if (!found) return '_No kernel shapes in this run (they are recorded on WebGPU at the default size)._';
  const { shapes, batch } = found;
  const r = GPU_SHAPE_RULE;
  const dispatches = shapes.reduce((s, k) => s + k.dispatches, 0);
  const violations = shapeViolations(shapes);
  const rows = shapes.map((k) => {
    const counts = k.flops >= r.minFlops || k.bytes >= r.minBytes;
    const ok = !counts || (k.threads >= r.minThreads && k.serialSteps <= r.maxSerialSteps);
    return `| ${k.name} | ${k.shape} | ${k.dispatches} | ${num(k.threads)} | ${k.serialSteps} | ${num(k.flops)} | ${num(k.bytes)} | ${counts ? (ok ? 'yes' : '**no**') : '(small)'} |`;
  });
  return [
    `Default preset, batch ${batch}, fast step on WebGPU (${report.adapter ?? 'adapter unknown'}), recorded by \`npm run bench -- --quick\` on ${report.date.slice(0, 10)}: ${shapes.length} kernels, ${dispatches} dispatches a step. The rule for a kernel of at least ${num(r.minFlops)} FLOPs or ${num(r.minBytes)} bytes: at least ${r.minThreads} threads and at most ${r.maxSerialSteps} loop iterations in its busiest thread. ${violations.length ? `Kernels breaking it: ${violations.length}.` : 'Every kernel keeps it.'}`,
    '',
    '| Kernel | Output <- inputs | Dispatches / step | Threads | Loop iterations, busiest thread | FLOPs | Bytes | Shaped for a GPU |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

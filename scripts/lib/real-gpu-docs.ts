/** Where the real-GPU run's figures are kept, and how docs/BENCHMARKS.md's "Real GPU" section is replaced. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './cli';
import type { RealGpuReport } from './real-gpu-report';

/** A real-GPU report, checked for the fields the docs read. */
export function parseRealGpuReport(text: string, source: string): RealGpuReport {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not JSON (${(err as Error).message})`);
  }
  const o = r as Partial<RealGpuReport>;
  if (
    typeof o?.adapter !== 'string' ||
    typeof o.batch !== 'number' ||
    typeof o.webgpu?.medianStepMs !== 'number' ||
    !('torch' in o)
  )
    throw new UsageError(`${source} is not a real-GPU report (scripts/real-gpu.ts writes real-gpu.json)`);
  return o as RealGpuReport;
}

/** The kept report, if any, with its path relative to `root`. */
export function readRealGpu(
  root: string,
  file: string,
): { report: RealGpuReport; jsonPath: string } | undefined {
  if (!existsSync(file)) return undefined;
  return {
    report: parseRealGpuReport(readFileSync(file, 'utf8'), file),
    jsonPath: path.relative(root, file),
  };
}

/** `markdown` with its "## Real GPU" section (to the next "## " heading or the end) replaced by `section`. */
export function replaceRealGpuSection(markdown: string, section: string[]): string {
  const start = markdown.indexOf('\n## Real GPU\n');
  const body = `${section.join('\n')}\n`;
  if (start < 0) return `${markdown.trimEnd()}\n\n${body}`;
  const next = markdown.indexOf('\n## ', start + 1);
  return `${markdown.slice(0, start + 1)}${body}${next < 0 ? '' : markdown.slice(next)}`;
}

/**
 * npm run real-gpu:docs -- --from <real-gpu.json>
 *
 * Keeps a real-GPU run's figures (what scripts/gpu/real-gpu-bench.sh wrote on the GPU machine)
 * as bench/results-real-gpu.json and rewrites the "Real GPU" section of docs/BENCHMARKS.md from
 * it; later full bench runs regenerate that section from the kept file.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli, runCli, UsageError } from './lib/cli';
import { readRealGpu, replaceRealGpuSection } from './lib/real-gpu-docs';
import { realGpuSection } from './lib/real-gpu-report';

const USAGE = 'npm run real-gpu:docs -- --from <real-gpu.json>';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<void> {
  const file = parseCli(process.argv.slice(2), USAGE).string('from');
  if (!file) throw new UsageError(`name the run's real-gpu.json: ${USAGE}`);
  const kept = path.join(ROOT, 'bench', 'results-real-gpu.json');
  if (!readRealGpu(ROOT, path.resolve(file))) throw new UsageError(`${file} does not exist`);
  if (path.resolve(file) !== kept) copyFileSync(path.resolve(file), kept);
  const docs = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  writeFileSync(
    docs,
    replaceRealGpuSection(readFileSync(docs, 'utf8'), realGpuSection(readRealGpu(ROOT, kept))),
  );
  process.stderr.write(`real-gpu:docs: kept ${path.relative(ROOT, kept)}, updated docs/BENCHMARKS.md\n`);
}

runCli('real-gpu:docs', main);

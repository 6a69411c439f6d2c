/**
 * npm run experiment -- --plan default-starter [--jobs 2]   (or --table NAME with --preset, --teacher, --steps ...)
 * A thin wrapper: finds a Python with torch and runs tools/torch/experiment.py (the arms,
 * seeds and output are described there). Defaults: ../shared/cifar10, the shipped tiny teacher for a --table of your own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findTorchPython } from './lib/torch-python';

const root = path.resolve(import.meta.dirname, '..');
const found = findTorchPython();
if ('reason' in found) {
  process.stderr.write(`experiment: ${found.reason}\n`);
  process.exit(2);
}
const args = process.argv.slice(2);
if (!args.includes('--data')) {
  const shared = path.resolve(root, '../shared/cifar10');
  if (!existsSync(shared)) {
    process.stderr.write('experiment: give --data <folder of CIFAR-10 .bin files>\n');
    process.exit(2);
  }
  args.push('--data', shared);
}
const res = spawnSync(found.python, [path.join(root, 'tools/torch/experiment.py'), ...args], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(res.status ?? 1);

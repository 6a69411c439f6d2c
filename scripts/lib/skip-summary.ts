/**
 * A vitest reporter that ends the run's summary with every suite or test that skipped, and what
 * the environment lacked (../shared/cifar10, a Python with torch), so that a skip is never
 * silent. Where both are present, as in CI, nothing may skip: a skip then fails the run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';
import { findTorchPython } from './torch-python';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHARED_CIFAR = path.join(ROOT, '../shared/cifar10/cifar-10-batches-bin/data_batch_1.bin');

function skippedIn(children: Iterable<TestSuite | TestCase>, trail: string[], out: string[]): void {
  for (const child of children) {
    const name = [...trail, child.name];
    if (child.type === 'suite') {
      if (child.state() === 'skipped') out.push(name.join(' › '));
      else skippedIn(child.children, name, out);
    } else if (child.result().state === 'skipped' && child.options.mode !== 'todo') {
      out.push(name.join(' › '));
    }
  }
}

export default class SkipSummary implements Reporter {
  /** With a test-name filter (-t), every test it leaves out reads as skipped: say nothing then. */
  private filtered = false;

  onInit(vitest: Vitest): void {
    this.filtered = Boolean(vitest.config.testNamePattern);
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    if (this.filtered) return;
    const skipped: string[] = [];
    for (const m of modules) {
      if (m.state() === 'skipped') continue; // a filtered-out file, not a skip
      skippedIn(m.children, [path.relative(ROOT, m.moduleId)], skipped);
    }
    if (!skipped.length) return;
    const torch = findTorchPython();
    const haveData = existsSync(SHARED_CIFAR);
    const lines = [
      `\nSkipped (${skipped.length}):`,
      ...skipped.map((s) => `  - ${s}`),
      `  ../shared/cifar10: ${haveData ? 'present' : 'absent'}; Python with torch: ${
        'reason' in torch ? torch.reason : `${torch.python} (torch ${torch.torchVersion})`
      }`,
    ];
    if (haveData && !('reason' in torch)) {
      lines.push('  The data and Python are both here, so nothing may skip: failing the run.');
      process.exitCode = 1;
    }
    console.log(lines.join('\n'));
  }
}

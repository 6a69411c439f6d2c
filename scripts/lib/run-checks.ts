/**
 * Checks that stop a run before it starts rather than let it train the wrong thing: a
 * checkpoint trained on other data than --data, a --resume whose flags ask for another
 * config than the saved run's, and a config that cannot fit in memory.
 */

import type { Dataset } from '../../src/engine/data/dataset';
import { isCifar10Dataset } from '../../src/engine/data/starter';
import type { RunConfig } from '../../src/engine/spec/config';
import { memoryProblem } from '../../src/engine/spec/memory-budget';
import { UsageError } from './cli';

export interface DataIdentity {
  name: string;
  classNames: string[];
}

/** "synthetic (disc, ring, square, …)": enough to tell two datasets apart in one line. */
export function describeData(d: DataIdentity): string {
  const shown = d.classNames.slice(0, 3).join(', ');
  return `${d.name} (${d.classNames.length} classes: ${shown}${d.classNames.length > 3 ? ', …' : ''})`;
}

/**
 * Same dataset: same name (shapes vs photos) and the same classes in the same order. The
 * CIFAR-10 starter set is CIFAR-10's own records, so it counts as CIFAR-10.
 */
export function sameData(a: DataIdentity, b: DataIdentity): boolean {
  const sameName = a.name === b.name || (isCifar10Dataset(a.name) && isCifar10Dataset(b.name));
  return sameName && JSON.stringify(a.classNames) === JSON.stringify(b.classNames);
}

/**
 * Refuses a checkpoint trained on other data than --data, naming both, unless `allow`
 * (--other-data). Checkpoints without a dataset record pass.
 */
export function checkSameData(
  what: string,
  saved: DataIdentity | undefined,
  dataset: Dataset,
  allow: boolean,
): void {
  if (!saved || allow || sameData(saved, dataset)) return;
  throw new UsageError(
    `${what} was trained on ${describeData(saved)}, but --data is ${describeData(dataset)}; ` +
      'use a checkpoint trained on this data, or pass --other-data to go ahead anyway',
  );
}

/** Leaf paths where two configs differ, as "optim.lr 0.0005 vs 0.001". */
export function configDifferences(saved: RunConfig, wanted: RunConfig, skip: string[]): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, at: string) => {
    if (skip.some((s) => at === s || at.startsWith(`${s}.`))) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys)
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${at} ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  };
  walk(saved, wanted, '');
  return out;
}

/** Refuses a config whose training cannot fit on the backend, as the page does, saying what to shrink. */
export function checkMemory(config: RunConfig, dataset: Dataset, backend: 'wasm' | 'cpu'): void {
  const problem = memoryProblem(
    config,
    { trainCount: dataset.train.count, testCount: dataset.test.count, imageSize: dataset.train.imageSize },
    backend,
  );
  if (problem) throw new UsageError(problem);
}

/**
 * Dataset names the page and the worker agree on, apart from the loaders (data/starter.ts,
 * data/cifar.ts), so the page can ask about a dataset without importing its parser.
 */

/** The dataset name the loader reports: CIFAR-10 classes, a subset of its images. */
export const STARTER_DATASET_NAME = 'cifar10-starter';

/** Whether a loaded dataset has the CIFAR-10 classes (the full set or the starter). */
export function isCifar10Dataset(name: string | undefined): boolean {
  return name === 'cifar10' || name === STARTER_DATASET_NAME;
}

import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDatasetArg } from './node-files';

/** CIFAR-100 binary records (coarse label, fine label, 3072 pixels), `count` of them. */
function cifar100Records(count: number): Uint8Array {
  const bytes = new Uint8Array(count * 3074);
  for (let i = 0; i < count; i++) {
    bytes[i * 3074] = i % 20;
    bytes[i * 3074 + 1] = (i * 7) % 100;
    bytes[i * 3074 + 2] = i;
  }
  return bytes;
}

describe('--data folders', () => {
  it('reads a folder of symbolic links to the CIFAR files as the files themselves', async () => {
    const real = mkdtempSync(path.join(tmpdir(), 'kd-data-'));
    writeFileSync(path.join(real, 'train.bin'), cifar100Records(6));
    writeFileSync(path.join(real, 'test.bin'), cifar100Records(3));
    const links = path.join(mkdtempSync(path.join(tmpdir(), 'kd-links-')), 'cifar-100-binary');
    mkdirSync(links);
    for (const name of ['train.bin', 'test.bin']) symlinkSync(path.join(real, name), path.join(links, name));
    const dataset = await loadDatasetArg(links, 0);
    expect(dataset.name).toBe('cifar100');
    expect([dataset.train.count, dataset.test.count]).toEqual([6, 3]);
    expect([...dataset.train.labels]).toEqual([0, 7, 14, 21, 28, 35]);
  });

  it('reads the starter set folder as the page does: 10,000 training and 1,000 test records, labels as the official files', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const dataset = await loadDatasetArg(path.join(root, 'public/data/starter'), 0);
    expect(dataset.name).toBe('cifar10-starter');
    expect([dataset.train.count, dataset.test.count]).toEqual([10000, 1000]);
    // The starter's test records are the official test file's first 1,000: compare the labels.
    const officialFile = path.join(root, '../shared/cifar10/cifar-10-batches-bin/test_batch.bin');
    if (!existsSync(officialFile)) {
      console.warn(`starter labels not compared: no ${officialFile}`);
      return;
    }
    const official = readFileSync(officialFile);
    const labels = Array.from({ length: 1000 }, (_, i) => official[i * 3073]);
    expect([...dataset.test.labels]).toEqual(labels);
  });
});

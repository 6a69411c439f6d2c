import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
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
});

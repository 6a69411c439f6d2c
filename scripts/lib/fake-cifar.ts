/** A CIFAR-10-shaped folder of random records for the twin's tests (nothing to learn in it). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/engine/test-utils';

/** 5 training files and a test file of `records` random images each, labels 0..9. */
export function writeFakeCifar(dir: string, records = 128): void {
  mkdirSync(dir, { recursive: true });
  const rng = mulberry32(3);
  const files = [...[1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin'];
  for (const name of files) {
    const bytes = new Uint8Array(records * 3073);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng() * 256);
    for (let r = 0; r < records; r++) bytes[r * 3073] = Math.floor(rng() * 10);
    writeFileSync(path.join(dir, name), bytes);
  }
}

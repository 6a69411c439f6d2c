/** A CIFAR-10-shaped folder of random records for the twin's tests (nothing to learn in it). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/engine/test-utils';

/**
 * 5 training files and a test file of `records` random images each, labels 0..9. Noise by
 * default; `smooth` draws each image as a colour gradient instead, which JPEG keeps closely
 * (the carry pack's tests measure its error against the source).
 */
export function writeFakeCifar(dir: string, records = 128, smooth = false): void {
  mkdirSync(dir, { recursive: true });
  const rng = mulberry32(3);
  const files = [...[1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin'];
  for (const name of files) {
    const bytes = new Uint8Array(records * 3073);
    if (smooth) fillGradients(bytes, records, rng);
    else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng() * 256);
    for (let r = 0; r < records; r++) bytes[r * 3073] = Math.floor(rng() * 10);
    writeFileSync(path.join(dir, name), bytes);
  }
}

/** Each record's three planes as linear ramps: a base level plus a slope across and down. */
function fillGradients(bytes: Uint8Array, records: number, rng: () => number): void {
  for (let r = 0; r < records; r++) {
    for (let c = 0; c < 3; c++) {
      const [base, dx, dy] = [rng() * 128 + 64, rng() * 4 - 2, rng() * 4 - 2];
      for (let p = 0; p < 1024; p++) {
        const value = base + dx * (p % 32) + dy * Math.floor(p / 32);
        bytes[r * 3073 + 1 + c * 1024 + p] = Math.max(0, Math.min(255, Math.floor(value)));
      }
    }
  }
}

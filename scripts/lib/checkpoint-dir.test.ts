import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EncodedCheckpoint } from '../../src/engine/checkpoint';
import type { CheckpointManifest } from '../../src/engine/spec/checkpoint-format';
import { readCheckpointDir, writeCheckpointDir } from './checkpoint-dir';

const SHIPPED = path.resolve(import.meta.dirname, '../../public/models/cifar10-tiny');
const MANIFEST: CheckpointManifest = JSON.parse(readFileSync(path.join(SHIPPED, 'model.json'), 'utf8'));
const WEIGHTS = new Uint8Array(readFileSync(path.join(SHIPPED, 'weights.bin')));

function checkpoint(step: number): EncodedCheckpoint {
  const manifest = structuredClone(MANIFEST);
  manifest.position = { step, epoch: 0, cursor: 0, rng: { order: {}, augment: {}, sample: {} } };
  return { manifest, weights: WEIGHTS.slice().buffer };
}

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'kd-ckpt-'));

describe('checkpoint folders', () => {
  it('replaces a checkpoint whole and leaves nothing else behind', async () => {
    const dir = path.join(tempDir(), 'checkpoint');
    await writeCheckpointDir(dir, checkpoint(5));
    await writeCheckpointDir(dir, checkpoint(9));
    const read = await readCheckpointDir(dir);
    expect(read.manifest.position?.step).toBe(9);
    expect(new Uint8Array(read.weights)).toEqual(WEIGHTS);
    expect(readdirSync(path.dirname(dir))).toEqual(['checkpoint']);
  });

  it('after a crash between the two renames, reads the complete previous checkpoint', async () => {
    const root = tempDir();
    const dir = path.join(root, 'checkpoint');
    await writeCheckpointDir(`${dir}.previous`, checkpoint(7));
    // What the crash leaves: the old checkpoint moved aside, the new one half written.
    mkdirSync(`${dir}.partial`);
    writeFileSync(path.join(`${dir}.partial`, 'weights.bin'), WEIGHTS.slice(0, 100));
    const read = await readCheckpointDir(dir, '--resume');
    expect(read.manifest.position?.step).toBe(7);
    expect(read.dir).toBe(`${dir}.previous`);
  });

  it('never reads a file outside the folder, whatever model.json names', async () => {
    const root = tempDir();
    const secret = path.join(root, 'secret.bin');
    writeFileSync(secret, WEIGHTS);
    const dir = path.join(root, 'ckpt');
    mkdirSync(dir);
    const manifest = structuredClone(MANIFEST);
    manifest.weightsManifest[0]!.paths = ['../secret.bin'];
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
    await expect(readCheckpointDir(dir, '--teacher')).rejects.toThrow(
      `--teacher ${dir}: Checkpoint model.json names the weights file "../secret.bin"`,
    );
  });

  it('names the flag the folder came from when it holds no checkpoint or misses its weights', async () => {
    const dir = tempDir();
    await expect(readCheckpointDir(path.join(dir, 'nope'), '--teacher')).rejects.toThrow(
      /^--teacher .*nope: no model\.json there/,
    );
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(MANIFEST));
    await expect(readCheckpointDir(dir, '--resume')).rejects.toThrow(
      /^--resume .*weights file weights\.bin is missing/,
    );
    expect(existsSync(path.join(dir, 'weights.bin'))).toBe(false);
  });
});

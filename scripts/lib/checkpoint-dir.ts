/**
 * Checkpoint folders on disk (model.json + weights.bin), written so that an interruption
 * at any moment leaves a complete checkpoint, and read as data: the weights files that
 * model.json names must be plain files in the folder itself.
 *
 * Writing: the new checkpoint goes to `<dir>.partial/`, the old one is renamed to
 * `<dir>.previous/`, the new one to `<dir>/`, and the old one is deleted. A crash between
 * the two renames leaves `<dir>.previous/` complete, and reading falls back to it.
 */
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EncodedCheckpoint } from '../../src/engine/checkpoint';
import {
  type CheckpointManifest,
  isPlainFileName,
  validateManifest,
  WEIGHTS_FILE,
} from '../../src/engine/spec/checkpoint-format';
import { UsageError } from './cli';
import { makeDir } from './out-dir';

const MANIFEST_FILE = 'model.json';

export async function writeCheckpointDir(dir: string, ckpt: EncodedCheckpoint): Promise<void> {
  const partial = `${dir}.partial`;
  const previous = `${dir}.previous`;
  await rm(partial, { recursive: true, force: true });
  await makeDir(partial);
  await writeDurably(path.join(partial, WEIGHTS_FILE), new Uint8Array(ckpt.weights));
  await writeDurably(path.join(partial, MANIFEST_FILE), `${JSON.stringify(ckpt.manifest, null, 1)}\n`);
  const existing = await stat(dir).catch(() => null);
  if (existing) {
    await rm(previous, { recursive: true, force: true });
    await rename(dir, previous);
  }
  await rename(partial, dir);
  await rm(previous, { recursive: true, force: true });
}

/** Writes and flushes to the disk, so a rename never exposes a file whose bytes are still in flight. */
async function writeDurably(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface CheckpointFiles {
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
  /** The folder read: `dir`, or `<dir>.previous` after an interrupted write. */
  dir: string;
}

/** Reads a checkpoint folder; `flag` names the option it came from in messages. */
export async function readCheckpointDir(dir: string, flag = '--checkpoint'): Promise<CheckpointFiles> {
  let from = dir;
  const hasManifest = async (d: string) =>
    (await stat(path.join(d, MANIFEST_FILE)).catch(() => null))?.isFile();
  if (!(await hasManifest(dir)) && (await hasManifest(`${dir}.previous`))) from = `${dir}.previous`;
  const jsonPath = path.join(from, MANIFEST_FILE);
  const text = await readFile(jsonPath, 'utf8').catch(() => {
    throw new UsageError(`${flag} ${dir}: no model.json there (point it at a checkpoint folder)`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${flag} ${dir}: ${jsonPath} is not valid JSON`);
  }
  let manifest: CheckpointManifest;
  try {
    manifest = validateManifest(json);
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: ${(err as Error).message}`);
  }
  const parts: Uint8Array[] = [];
  for (const p of manifest.weightsManifest.flatMap((g) => g.paths)) {
    // validateManifest has refused anything but a plain name; checked again where it is used.
    if (!isPlainFileName(p))
      throw new UsageError(`${flag} ${dir}: weights path ${JSON.stringify(p)} refused`);
    const file = path.join(from, p);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new UsageError(`${flag} ${dir}: the weights file ${p} is missing`);
    parts.push(new Uint8Array(await readFile(file)));
  }
  const weights = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of parts) {
    weights.set(b, offset);
    offset += b.length;
  }
  return { manifest, weights: weights.buffer, dir: from };
}

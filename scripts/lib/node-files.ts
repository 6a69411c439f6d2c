/**
 * Node-side file access for the CLI: datasets from a folder, an archive or the built-in
 * generator, and checkpoint folders (model.json + weights.bin).
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  type CheckpointManifest,
  type EncodedCheckpoint,
  validateManifest,
  WEIGHTS_FILE,
} from '../../src/engine/checkpoint';
import { loadCifar, loadCifarArchive } from '../../src/engine/data/cifar';
import type { Dataset } from '../../src/engine/data/dataset';
import { makeSyntheticDataset } from '../../src/engine/data/synthetic';
import { UsageError } from './cli';

/** `synthetic`, a folder of CIFAR .bin files (or one that contains cifar-10-batches-bin/), or a .tar.gz. */
export async function loadDatasetArg(data: string, seed: number): Promise<Dataset> {
  try {
    return await readDataset(data, seed);
  } catch (err) {
    // Whatever is wrong with the data is the user's input to fix: one line, exit 2.
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--data ${data}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function readDataset(data: string, seed: number): Promise<Dataset> {
  if (data === 'synthetic') return makeSyntheticDataset({ seed });
  const info = await stat(data).catch(() => null);
  if (!info)
    throw new UsageError(
      `--data ${data}: no such file or folder (give a CIFAR folder, a .tar.gz, or "synthetic")`,
    );
  if (info.isFile()) {
    const stream = Readable.toWeb(createReadStream(data)) as ReadableStream<Uint8Array>;
    return loadCifarArchive(stream);
  }
  const files = new Map<string, Uint8Array>();
  const addDir = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && /cifar/i.test(entry.name)) await addDir(full);
      else if (entry.isFile() && /\.(bin|txt)$/.test(entry.name))
        files.set(entry.name, new Uint8Array(await readFile(full)));
    }
  };
  await addDir(data);
  return loadCifar(files);
}

export async function writeCheckpointDir(dir: string, ckpt: EncodedCheckpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, WEIGHTS_FILE), new Uint8Array(ckpt.weights));
  await writeFile(path.join(dir, 'model.json'), `${JSON.stringify(ckpt.manifest, null, 1)}\n`);
}

export async function readCheckpointDir(
  dir: string,
): Promise<{ manifest: CheckpointManifest; weights: ArrayBuffer }> {
  const jsonPath = path.join(dir, 'model.json');
  const text = await readFile(jsonPath, 'utf8').catch(() => {
    throw new UsageError(`--checkpoint ${dir}: no model.json there (point it at a checkpoint folder)`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${jsonPath} is not valid JSON`);
  }
  let manifest: CheckpointManifest;
  try {
    manifest = validateManifest(json);
  } catch (err) {
    throw new UsageError(`${jsonPath}: ${(err as Error).message}`);
  }
  const paths = manifest.weightsManifest.flatMap((g) => g.paths);
  const parts = await Promise.all(
    paths.map((p) =>
      readFile(path.join(dir, p)).catch(() => {
        throw new UsageError(`checkpoint ${dir} lacks its weights file ${p}`);
      }),
    ),
  );
  const weights = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of parts) {
    weights.set(b, offset);
    offset += b.length;
  }
  return { manifest, weights: weights.buffer };
}

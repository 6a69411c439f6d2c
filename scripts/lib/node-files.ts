/**
 * Node-side file access for the CLI: datasets from a folder, an archive or the built-in
 * generator; checkpoint folders live in checkpoint-dir.ts.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadCifar, loadCifarArchive } from '../../src/engine/data/cifar';
import type { Dataset } from '../../src/engine/data/dataset';
import { loadStarter, validateStarterManifest } from '../../src/engine/data/starter';
import { makeSyntheticDataset } from '../../src/engine/data/synthetic';
import { UsageError } from './cli';

/**
 * `synthetic`, a folder of CIFAR .bin files (or one that contains cifar-10-batches-bin/), a
 * .tar.gz, or the app's starter set (public/data/starter: its manifest.json and gzip files).
 */
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
  const manifest = await readFile(path.join(data, 'manifest.json'), 'utf8').catch(() => null);
  if (manifest !== null) {
    const fetchFile = async (name: string) =>
      Readable.toWeb(createReadStream(path.join(data, name))) as ReadableStream<Uint8Array>;
    return loadStarter(validateStarterManifest(JSON.parse(manifest)), fetchFile);
  }
  const files = new Map<string, Uint8Array>();
  const addDir = async (dir: string) => {
    for (const name of await readdir(dir)) {
      const full = path.join(dir, name);
      // stat follows symbolic links: a folder of links to the CIFAR files is a CIFAR folder.
      const info = await stat(full).catch(() => null);
      if (info?.isDirectory() && /cifar/i.test(name)) await addDir(full);
      else if (info?.isFile() && /\.(bin|txt)$/.test(name))
        files.set(name, new Uint8Array(await readFile(full)));
    }
  };
  await addDir(data);
  return loadCifar(files);
}

export { readCheckpointDir, writeCheckpointDir } from './checkpoint-dir';

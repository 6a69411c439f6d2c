/**
 * Builds the CIFAR-10 starter set the app ships (public/data/starter/): the first N training
 * records of each class (default 1000, in the order of data_batch_1..5) and test records 0..999,
 * each byte-identical to its official record, as gzip-compressed CIFAR-10 binary files plus a
 * manifest.json with the SHA-256 of each file. The same source gives the same bytes every time
 * (fixed selection, gzip level 9 with no name or time in the header).
 *
 * The source defaults to ../shared/cifar10 (the project's copy of the official files). The training
 * files must match the official SHA-256; the test file may be the official one or the project's
 * copy, whose records 0..999 are exact. Bad input prints one line on stderr and exits 2.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readArchiveFiles } from '../../src/engine/data/archive';
import { CIFAR10_CLASS_NAMES, CIFAR10_SHA256, isCifarFile, sha256Hex } from '../../src/engine/data/cifar';
import {
  STARTER_MANIFEST_FORMAT,
  type StarterFile,
  type StarterManifest,
  selectStarterRecords,
} from '../../src/engine/data/starter';
import { UsageError } from './cli';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const DEFAULT_FROM = path.resolve(ROOT, '..', 'shared', 'cifar10');
export const DEFAULT_OUT = path.join(ROOT, 'public', 'data', 'starter');
const RECORD = 3073;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = 'test_batch.bin';
/** Test records 0..999: exact in the official file and in the project's copy. */
export const TEST_RECORDS = 1000;

/** The official training files and test file, by name, from a folder or an archive. */
async function readSource(from: string): Promise<Map<string, Uint8Array>> {
  const info = await stat(from).catch(() => null);
  if (!info) throw new UsageError(`--from ${from}: no such file or folder`);
  if (info.isFile()) {
    const stream = Readable.toWeb(createReadStream(from)) as unknown as ReadableStream<Uint8Array>;
    return readArchiveFiles(stream, isCifarFile, { expected: 'cifar-10-binary.tar.gz' });
  }
  let dir = from;
  const names = await readdir(dir);
  if (!names.includes(TEST_FILE) && names.includes('cifar-10-batches-bin'))
    dir = path.join(dir, 'cifar-10-batches-bin');
  const files = new Map<string, Uint8Array>();
  for (const name of [...TRAIN_FILES, TEST_FILE]) {
    const bytes = await readFile(path.join(dir, name)).catch(() => null);
    if (!bytes)
      throw new UsageError(`--from ${from}: ${name} is missing (expected the official CIFAR-10 .bin files)`);
    files.set(name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return files;
}

/** The five training files (official hashes) concatenated, and the test file. */
export async function officialRecords(from: string): Promise<{ train: Uint8Array; test: Uint8Array }> {
  const files = await readSource(from);
  for (const name of [...TRAIN_FILES, TEST_FILE]) {
    const bytes = files.get(name);
    if (!bytes) throw new UsageError(`--from ${from}: ${name} is missing`);
    const hex = await sha256Hex(bytes);
    if (!CIFAR10_SHA256[name]!.includes(hex))
      throw new UsageError(`--from ${from}: ${name} is not the official CIFAR-10 file (SHA-256 ${hex})`);
  }
  const train = new Uint8Array(TRAIN_FILES.length * 10000 * RECORD);
  TRAIN_FILES.forEach((name, i) => {
    train.set(files.get(name)!, i * 10000 * RECORD);
  });
  return { train, test: files.get(TEST_FILE)! };
}

async function fileEntry(name: string, records: Uint8Array, gz: Uint8Array): Promise<StarterFile> {
  return {
    name,
    records: records.length / RECORD,
    sha256: await sha256Hex(records),
    gzipBytes: gz.length,
    gzipSha256: await sha256Hex(gz),
  };
}

function gzip(bytes: Uint8Array): Uint8Array {
  // Node writes no file name and mtime 0: the output depends on the input and zlib alone.
  return new Uint8Array(gzipSync(bytes, { level: 9 }));
}

/** Writes train.bin.gz, test.bin.gz and manifest.json into `out`; returns the manifest. */
export async function buildStarter(from: string, out: string, perClass = 1000): Promise<StarterManifest> {
  const { train, test } = await officialRecords(from);
  const labels = Array.from({ length: train.length / RECORD }, (_, i) => train[i * RECORD]!);
  const chosen = selectStarterRecords(labels, perClass);
  const trainRecords = new Uint8Array(chosen.length * RECORD);
  chosen.forEach((src, i) => {
    trainRecords.set(train.subarray(src * RECORD, (src + 1) * RECORD), i * RECORD);
  });
  const testRecords = test.slice(0, TEST_RECORDS * RECORD);
  const trainGz = gzip(trainRecords);
  const testGz = gzip(testRecords);
  const manifest: StarterManifest = {
    format: STARTER_MANIFEST_FORMAT,
    version: 1,
    classNames: [...CIFAR10_CLASS_NAMES],
    selection: {
      train: `the first ${perClass} records of each class in data_batch_1.bin .. data_batch_5.bin order, byte-exact`,
      test: `test_batch.bin records 0..${TEST_RECORDS - 1}, byte-exact`,
    },
    perClass,
    train: await fileEntry('train.bin.gz', trainRecords, trainGz),
    test: await fileEntry('test.bin.gz', testRecords, testGz),
  };
  await mkdir(out, { recursive: true });
  // Written under temporary names and renamed, so a stopped build leaves no half file in place.
  const put = async (name: string, bytes: Uint8Array | string) => {
    await writeFile(path.join(out, `${name}.partial`), bytes);
    await rename(path.join(out, `${name}.partial`), path.join(out, name));
  };
  await put('train.bin.gz', trainGz);
  await put('test.bin.gz', testGz);
  await put('manifest.json', formatManifest(manifest));
  return manifest;
}

/** JSON as the repository's formatter writes it (short arrays on one line). */
export function formatManifest(manifest: StarterManifest): string {
  const names = JSON.stringify(manifest.classNames).replace(/,/g, ', ');
  return `${JSON.stringify({ ...manifest, classNames: '@names@' }, null, 2).replace('"@names@"', names)}\n`;
}

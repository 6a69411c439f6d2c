/**
 * The CIFAR-10 starter set shipped with the app (public/data/starter/): a class-balanced subset
 * of the official training records plus test records 0..999, each record byte-exact, stored as
 * gzip-compressed CIFAR-10 binary files and described by manifest.json (sizes and SHA-256 of
 * each file's records). scripts/data-starter.ts builds it; the worker loads it with
 * loadStarter(). Web-platform APIs only, so this runs in a worker and in Node alike.
 */
import { STARTER_DATASET_NAME } from '../spec/dataset-names';
import { CIFAR10_CLASS_NAMES, parseCifarBatch, sha256Hex } from './cifar';
import type { Dataset } from './dataset';

export { isCifar10Dataset, STARTER_DATASET_NAME } from '../spec/dataset-names';

export const STARTER_MANIFEST_FORMAT = 'cifar10-starter';
const RECORD_BYTES = 3073;

export interface StarterFile {
  /** File name in the starter folder, e.g. 'train.bin.gz'. */
  name: string;
  /** Number of 3073-byte CIFAR-10 records. */
  records: number;
  /** SHA-256 of the decompressed records (lowercase hex). */
  sha256: string;
  /** Size and SHA-256 of the .gz file as shipped. */
  gzipBytes: number;
  gzipSha256: string;
}

export interface StarterManifest {
  format: typeof STARTER_MANIFEST_FORMAT;
  version: 1;
  classNames: string[];
  /** How the records were chosen, in words (for people; the builder is the reference). */
  selection: { train: string; test: string };
  perClass: number;
  train: StarterFile;
  test: StarterFile;
}

/**
 * Which training records the starter takes: the first `perClass` records of each class, in the
 * order of data_batch_1..5 (global index = file * 10000 + record). Deterministic by construction.
 */
export function selectStarterRecords(labels: ArrayLike<number>, perClass: number, classes = 10): number[] {
  const taken = new Array<number>(classes).fill(0);
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < perClass * classes; i++) {
    const label = labels[i]!;
    if (label >= classes)
      throw new Error(`training record ${i} has label ${label}, outside 0..${classes - 1}`);
    if (taken[label]! < perClass) {
      taken[label]! += 1;
      out.push(i);
    }
  }
  if (out.length < perClass * classes)
    throw new Error(`the training files hold fewer than ${perClass} records of some class`);
  return out;
}

/** Checks the shape of a parsed manifest.json, naming the first problem. */
export function validateStarterManifest(value: unknown): StarterManifest {
  const m = value as Partial<StarterManifest> | null;
  const fileOk = (f: Partial<StarterFile> | undefined) =>
    !!f &&
    typeof f.name === 'string' &&
    /^[\w.-]+$/.test(f.name) &&
    Number.isInteger(f.records) &&
    (f.records ?? 0) > 0 &&
    /^[0-9a-f]{64}$/.test(f.sha256 ?? '') &&
    /^[0-9a-f]{64}$/.test(f.gzipSha256 ?? '');
  if (!m || m.format !== STARTER_MANIFEST_FORMAT || m.version !== 1)
    throw new Error('the starter set manifest.json is not a version-1 cifar10-starter manifest');
  if (!Array.isArray(m.classNames) || m.classNames.length !== 10)
    throw new Error('the starter set manifest.json must list the 10 CIFAR-10 class names');
  if (!fileOk(m.train) || !fileOk(m.test))
    throw new Error('the starter set manifest.json has a malformed train or test file entry');
  return m as StarterManifest;
}

/** Fetches one starter file as a byte stream (the worker passes fetch; tests read from disk). */
export type StarterFetch = (name: string) => Promise<ReadableStream<Uint8Array>>;

/** Reads a whole stream into one buffer of the expected size, refusing more. */
async function readExactly(
  stream: ReadableStream<Uint8Array>,
  bytes: number,
  what: string,
): Promise<Uint8Array> {
  const out = new Uint8Array(bytes);
  let at = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > bytes) {
      await reader.cancel();
      throw new StarterDataError(`${what} holds more than the ${bytes} bytes its manifest says`);
    }
    out.set(value, at);
    at += value.length;
  }
  if (at !== bytes) throw new StarterDataError(`${what} holds ${at} bytes, its manifest says ${bytes}`);
  return out;
}

/** A starter file that is missing, truncated or altered: the user's copy, not a bug. */
export class StarterDataError extends Error {
  override name = 'DataError';
}

/**
 * The stream's records: gunzipped when it starts with the gzip magic. A host that serves the .gz
 * with Content-Encoding: gzip has the browser decompress it already; the hash check covers both.
 */
async function records(stream: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  let first = await reader.read();
  while (!first.done && first.value.length < 2) {
    const more = await reader.read();
    if (more.done) break;
    const joined = new Uint8Array(first.value.length + more.value.length);
    joined.set(first.value);
    joined.set(more.value, first.value.length);
    first = { done: false, value: joined };
  }
  const head = first.done ? new Uint8Array(0) : first.value;
  const whole = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length) controller.enqueue(head);
    },
    async pull(controller) {
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  if (head[0] !== 0x1f || head[1] !== 0x8b) return whole;
  return whole.pipeThrough(
    new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
  );
}

/** Decompresses (streaming) and verifies one file against its manifest entry; returns the records. */
async function loadFile(fetchFile: StarterFetch, file: StarterFile): Promise<Uint8Array> {
  const stream = await records(await fetchFile(file.name));
  let bytes: Uint8Array;
  try {
    bytes = await readExactly(stream, file.records * RECORD_BYTES, file.name);
  } catch (err) {
    if (err instanceof StarterDataError) throw err;
    throw new StarterDataError(
      `${file.name} could not be decompressed (${(err as Error).message}): the file is corrupt; ` +
        'rebuild it with npm run data:starter',
    );
  }
  const hex = await sha256Hex(bytes);
  if (hex !== file.sha256) {
    throw new StarterDataError(
      `${file.name} does not match the starter set's manifest (SHA-256 ${hex.slice(0, 12)}…, expected ` +
        `${file.sha256.slice(0, 12)}…): the file is corrupt or was changed; rebuild it with npm run data:starter`,
    );
  }
  return bytes;
}

/** Loads and verifies the starter set: every record's bytes must hash to the manifest's figure. */
export async function loadStarter(manifest: StarterManifest, fetchFile: StarterFetch): Promise<Dataset> {
  const [train, test] = await Promise.all([
    loadFile(fetchFile, manifest.train),
    loadFile(fetchFile, manifest.test),
  ]);
  return {
    name: STARTER_DATASET_NAME,
    classNames: manifest.classNames.length === 10 ? manifest.classNames : [...CIFAR10_CLASS_NAMES],
    train: parseCifarBatch(train, manifest.train.name, 'cifar10'),
    test: parseCifarBatch(test, manifest.test.name, 'cifar10'),
  };
}

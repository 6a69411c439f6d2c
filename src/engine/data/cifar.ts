/**
 * CIFAR-10 / CIFAR-100 loader for the official *binary* distributions
 * (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz), from the extracted files or from the archive
 * itself. Web-platform APIs only (Uint8Array, streams, DecompressionStream, crypto.subtle), so it
 * runs unchanged in a Web Worker, a page and Node 20.
 *
 * Record layout (Krizhevsky, 2009): CIFAR-10 = 1 label byte + 3072 pixel bytes; CIFAR-100 =
 * coarse label byte + fine label byte + 3072 pixel bytes. The pixels are planar: 1024 R, then
 * 1024 G, then 1024 B bytes, each plane 32x32 row-major. The loader returns NHWC bytes.
 */
import { readArchiveFiles } from './archive';
import type { Dataset, ImageSet } from './dataset';

export type CifarFormat = 'cifar10' | 'cifar100';
export type CifarLabel = 'fine' | 'coarse';

export interface LoadCifarOptions {
  /**
   * Check each CIFAR-10 file's SHA-256 against the known hashes (default true). CIFAR-100 files are
   * never hash-checked (no reference hashes are available to this project).
   */
  verifyChecksums?: boolean;
  /** CIFAR-100 only: 'fine' (100 classes, default) or 'coarse' (20 superclasses). Ignored for CIFAR-10. */
  label?: CifarLabel;
}

const IMAGE_SIZE = 32;
const PLANE = IMAGE_SIZE * IMAGE_SIZE;
const PIXEL_BYTES = 3 * PLANE;

export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** The official fine_label_names.txt of cifar-100-binary, used when that file is not supplied. */
export const CIFAR100_FINE_NAMES: readonly string[] = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel ' +
  'can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur ' +
  'dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion ' +
  'lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree ' +
  'pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea ' +
  'seal shark shrew skunk skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table ' +
  'tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm'
).split(' ');

/** The official coarse_label_names.txt of cifar-100-binary, used when that file is not supplied. */
export const CIFAR100_COARSE_NAMES: readonly string[] = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices ' +
  'household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes ' +
  'large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals ' +
  'trees vehicles_1 vehicles_2'
).split(' ');

/**
 * Known SHA-256 hashes of the CIFAR-10 binary files, by file name.
 *
 * Source: shared/cifar10/SHA256SUMS and shared/cifar10/README.md of this project. data_batch_1..5.bin
 * are byte-identical to the official cifar-10-binary.tar.gz files. test_batch.bin has two accepted
 * hashes: the official file (8e2eb146..., from the README) and the project's shared test file
 * (3efc7abf..., from SHA256SUMS), the README's documented exception: same order and labels,
 * records 1000..9999 re-decoded from JPEG copies.
 *
 * CIFAR-100 has no entry: no reference hashes are available here, so CIFAR-100 files are only
 * checked for structure and label range.
 */
export const CIFAR10_SHA256: Readonly<Record<string, readonly string[]>> = {
  'data_batch_1.bin': ['cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5'],
  'data_batch_2.bin': ['a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed'],
  'data_batch_3.bin': ['bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67'],
  'data_batch_4.bin': ['014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48'],
  'data_batch_5.bin': ['755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add'],
  'test_batch.bin': [
    // official cifar-10-binary.tar.gz
    '8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b',
    // shared/cifar10 test file (documented exception, see above)
    '3efc7abf3b64f5984236583d95a12a72462afd5a415c21b40ff40c156fed9ada',
  ],
};

const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const CIFAR10_TEST_FILE = 'test_batch.bin';
const CIFAR10_META_FILE = 'batches.meta.txt';
const CIFAR100_TRAIN_FILE = 'train.bin';
const CIFAR100_TEST_FILE = 'test.bin';
const CIFAR100_FINE_FILE = 'fine_label_names.txt';
const CIFAR100_COARSE_FILE = 'coarse_label_names.txt';

const CIFAR10_BINS = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
const CIFAR100_BINS = [CIFAR100_TRAIN_FILE, CIFAR100_TEST_FILE];
const CIFAR_FILE_NAMES: ReadonlySet<string> = new Set([
  ...CIFAR10_BINS,
  CIFAR10_META_FILE,
  ...CIFAR100_BINS,
  CIFAR100_FINE_FILE,
  CIFAR100_COARSE_FILE,
]);

/** The last path component, for '/' and '\' separators. */
export function baseName(path: string): string {
  const parts = path.split(/[/\\]/);
  return parts[parts.length - 1] ?? path;
}

/** Whether a file (by its path or name) is one the loader reads: a CIFAR .bin file or a label-names file. */
export function isCifarFile(path: string): boolean {
  return CIFAR_FILE_NAMES.has(baseName(path));
}

function recordBytes(format: CifarFormat): number {
  return (format === 'cifar10' ? 1 : 2) + PIXEL_BYTES;
}

function formatTitle(format: CifarFormat): string {
  return format === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100';
}

/** Number of records; throws if the size is not a positive whole number of records. */
function checkStructure(bytes: Uint8Array, fileName: string, format: CifarFormat): number {
  const rec = recordBytes(format);
  if (bytes.length === 0 || bytes.length % rec !== 0) {
    const whole = Math.floor(bytes.length / rec);
    const detail =
      bytes.length === 0
        ? 'it is empty'
        : `that is ${whole} whole record${whole === 1 ? '' : 's'} plus ${bytes.length - whole * rec} extra bytes`;
    throw new Error(
      `${fileName}: size ${bytes.length} bytes is not a whole number of ${rec}-byte ${formatTitle(format)} ` +
        `records (${detail}); the file looks truncated or is not a ${formatTitle(format)} binary file`,
    );
  }
  return bytes.length / rec;
}

/** Throws on the first label byte out of range. */
function checkLabels(bytes: Uint8Array, fileName: string, format: CifarFormat, count: number): void {
  const rec = recordBytes(format);
  // [byte offset in the record, exclusive maximum, description]
  const fields: [number, number, string][] =
    format === 'cifar10'
      ? [[0, 10, 'label']]
      : [
          [0, 20, 'coarse label'],
          [1, 100, 'fine label'],
        ];
  for (const [offset, max, what] of fields) {
    for (let i = 0, p = offset; i < count; i++, p += rec) {
      const v = bytes[p]!;
      if (v >= max) {
        throw new Error(
          `${fileName}: record ${i} has ${what} ${v}, outside 0..${max - 1}; ` +
            `the file is corrupt or is not a ${formatTitle(format)} binary file`,
        );
      }
    }
  }
}

/**
 * Writes `count` records of `bytes` as NHWC images and labels into `images` / `labels`, starting at
 * image `at`. Assumes the structure and labels were checked.
 */
function convertInto(
  bytes: Uint8Array,
  format: CifarFormat,
  label: CifarLabel,
  count: number,
  images: Uint8Array,
  labels: Uint8Array,
  at: number,
): void {
  const rec = recordBytes(format);
  const header = format === 'cifar10' ? 1 : 2;
  const labelOffset = format === 'cifar100' && label === 'fine' ? 1 : 0;
  for (let i = 0; i < count; i++) {
    const src = i * rec;
    labels[at + i] = bytes[src + labelOffset]!;
    const r = src + header;
    const g = r + PLANE;
    const b = g + PLANE;
    let d = (at + i) * PIXEL_BYTES;
    for (let p = 0; p < PLANE; p++, d += 3) {
      images[d] = bytes[r + p]!;
      images[d + 1] = bytes[g + p]!;
      images[d + 2] = bytes[b + p]!;
    }
  }
}

/**
 * Parses one CIFAR binary batch file (already read into memory) into NHWC images and labels.
 * Throws, naming the file, if its size is not a positive whole number of records (truncated or not a
 * CIFAR file) or if a label is out of range. `label` picks CIFAR-100's fine or coarse label.
 */
export function parseCifarBatch(
  bytes: Uint8Array,
  fileName: string,
  format: CifarFormat,
  label: CifarLabel = 'fine',
): ImageSet {
  const count = checkStructure(bytes, fileName, format);
  checkLabels(bytes, fileName, format, count);
  const images = new Uint8Array(count * PIXEL_BYTES);
  const labels = new Uint8Array(count);
  convertInto(bytes, format, label, count, images, labels, 0);
  return { images, labels, count, imageSize: IMAGE_SIZE };
}

function toHex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of the bytes as lowercase hex, via crypto.subtle. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new Error(
      'cannot verify checksums: crypto.subtle is unavailable (browsers provide it only on https:// or ' +
        'localhost pages); pass verifyChecksums: false to load without verification',
    );
  }
  // digest() takes ArrayBuffer-backed views only; copy if the bytes live in a SharedArrayBuffer.
  const view: Uint8Array<ArrayBuffer> =
    bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  return toHex(await subtle.digest('SHA-256', view));
}

async function checkSha256(bytes: Uint8Array, fileName: string): Promise<void> {
  const known = CIFAR10_SHA256[fileName];
  if (!known) return;
  const hex = await sha256Hex(bytes);
  if (!known.includes(hex)) {
    throw new Error(
      `${fileName} does not match the official CIFAR-10 file (its SHA-256 is ${hex}); the file is ` +
        'corrupt or modified: re-download it, or pass verifyChecksums: false to load it anyway',
    );
  }
}

/** Class names from a text file, one a line, blank lines ignored; checks the count. */
function parseNames(bytes: Uint8Array, fileName: string, expected: number): string[] {
  const names = new TextDecoder()
    .decode(bytes)
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== expected) {
    throw new Error(`${fileName} lists ${names.length} class names, expected ${expected}`);
  }
  return names;
}

function byBaseName(files: Map<string, Uint8Array> | Record<string, Uint8Array>): Map<string, Uint8Array> {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const out = new Map<string, Uint8Array>();
  const paths = new Map<string, string>();
  for (const [path, bytes] of entries) {
    const name = baseName(path);
    const prev = paths.get(name);
    if (prev !== undefined && CIFAR_FILE_NAMES.has(name)) {
      throw new Error(`two files are named ${name} (${prev} and ${path}); pass only one of them`);
    }
    paths.set(name, path);
    out.set(name, bytes);
  }
  return out;
}

function listFound(names: Iterable<string>): string {
  const list = [...names];
  return list.length === 0 ? 'no files' : list.join(', ');
}

interface Split {
  name: string;
  bytes: Uint8Array;
  count: number;
}

/** Checks every file (structure, then labels, then checksum), then concatenates them into one set. */
async function buildSet(
  parts: { name: string; bytes: Uint8Array }[],
  format: CifarFormat,
  label: CifarLabel,
  verify: boolean,
): Promise<ImageSet> {
  const checked: Split[] = [];
  for (const { name, bytes } of parts) {
    const count = checkStructure(bytes, name, format);
    checkLabels(bytes, name, format, count);
    if (verify) await checkSha256(bytes, name);
    checked.push({ name, bytes, count });
  }
  const total = checked.reduce((s, p) => s + p.count, 0);
  const images = new Uint8Array(total * PIXEL_BYTES);
  const labels = new Uint8Array(total);
  let at = 0;
  for (const p of checked) {
    convertInto(p.bytes, format, label, p.count, images, labels, at);
    at += p.count;
  }
  return { images, labels, count: total, imageSize: IMAGE_SIZE };
}

/**
 * Builds a Dataset from the files of the official CIFAR-10 or CIFAR-100 binary distribution.
 *
 * `files` maps file names (or paths: only the last component counts) to their bytes. CIFAR-10 needs
 * data_batch_1..5.bin and test_batch.bin (class names from batches.meta.txt when given); CIFAR-100
 * needs train.bin and test.bin (class names from fine_label_names.txt / coarse_label_names.txt when
 * given). Other files are ignored. Each file is checked for structure, then labels, then (CIFAR-10,
 * unless `verifyChecksums: false`) its SHA-256; any failure throws an Error naming the file.
 */
export async function loadCifar(
  files: Map<string, Uint8Array> | Record<string, Uint8Array>,
  options: LoadCifarOptions = {},
): Promise<Dataset> {
  const verify = options.verifyChecksums ?? true;
  const label = options.label ?? 'fine';
  const byName = byBaseName(files);
  const found = [...byName.keys()];
  const has10 = CIFAR10_BINS.some((n) => byName.has(n));
  const has100 = CIFAR100_BINS.some((n) => byName.has(n));
  if (has10 && has100) {
    throw new Error(
      `found files of both CIFAR-10 and CIFAR-100 (${listFound(found)}); pass the files of one data set only`,
    );
  }
  if (!has10 && !has100) {
    throw new Error(
      'no CIFAR data files found: expected data_batch_1.bin .. data_batch_5.bin and test_batch.bin ' +
        '(CIFAR-10, from cifar-10-binary.tar.gz) or train.bin and test.bin (CIFAR-100, from ' +
        `cifar-100-binary.tar.gz); found ${listFound(found)}`,
    );
  }
  const format: CifarFormat = has10 ? 'cifar10' : 'cifar100';
  const required = has10 ? CIFAR10_BINS : CIFAR100_BINS;
  const missing = required.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    const rule = has10
      ? 'CIFAR-10 needs all five training files data_batch_1.bin .. data_batch_5.bin and test_batch.bin'
      : 'CIFAR-100 needs train.bin and test.bin';
    throw new Error(`missing ${missing.join(', ')}: ${rule}; found ${listFound(found)}`);
  }
  const part = (name: string) => ({ name, bytes: byName.get(name)! });

  if (format === 'cifar10') {
    const meta = byName.get(CIFAR10_META_FILE);
    const classNames = meta ? parseNames(meta, CIFAR10_META_FILE, 10) : [...CIFAR10_CLASS_NAMES];
    const train = await buildSet(CIFAR10_TRAIN_FILES.map(part), format, 'fine', verify);
    const test = await buildSet([part(CIFAR10_TEST_FILE)], format, 'fine', verify);
    return { name: 'cifar10', classNames, train, test };
  }

  const namesFile = label === 'fine' ? CIFAR100_FINE_FILE : CIFAR100_COARSE_FILE;
  const namesBytes = byName.get(namesFile);
  const fallback = label === 'fine' ? CIFAR100_FINE_NAMES : CIFAR100_COARSE_NAMES;
  const classNames = namesBytes ? parseNames(namesBytes, namesFile, fallback.length) : [...fallback];
  // No checksums for CIFAR-100: there are no reference hashes in this project (see CIFAR10_SHA256).
  const train = await buildSet([part(CIFAR100_TRAIN_FILE)], format, label, false);
  const test = await buildSet([part(CIFAR100_TEST_FILE)], format, label, false);
  return { name: label === 'fine' ? 'cifar100' : 'cifar100-coarse', classNames, train, test };
}

/**
 * Loads CIFAR-10 or CIFAR-100 straight from the official archive stream (cifar-10-binary.tar.gz or
 * cifar-100-binary.tar.gz; an uncompressed .tar is accepted too), e.g. `file.stream()` of a user's
 * File. Only the CIFAR files are buffered; every other archive entry is skipped. Then as loadCifar.
 */
export async function loadCifarArchive(
  stream: ReadableStream<Uint8Array>,
  options: LoadCifarOptions = {},
): Promise<Dataset> {
  const files = await readArchiveFiles(stream, isCifarFile, {
    expected: 'cifar-10-binary.tar.gz or cifar-100-binary.tar.gz',
  });
  return loadCifar(files, options);
}

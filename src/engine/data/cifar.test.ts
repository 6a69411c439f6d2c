import { existsSync, readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { constants, createGzip } from 'node:zlib';
import { createTarPacker, type TarHeader } from 'modern-tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../test-utils';
import {
  CIFAR10_CLASS_NAMES,
  CIFAR10_SHA256,
  CIFAR100_COARSE_NAMES,
  CIFAR100_FINE_NAMES,
  loadCifar,
  loadCifarArchive,
  parseCifarBatch,
} from './cifar';
import { classCounts, type ImageSet } from './dataset';

// ---------------------------------------------------------------------------------------------
// Helpers. Everything here is written independently of cifar.ts: the raw layout is read with the
// record formula straight from the CIFAR documentation.
// ---------------------------------------------------------------------------------------------

const PLANE = 1024;
const REC10 = 1 + 3 * PLANE;

/** NHWC index of image i, row y, column x, channel c for 32x32 RGB. */
function nhwc(i: number, y: number, x: number, c: number): number {
  return ((i * 32 + y) * 32 + x) * 3 + c;
}

/** Raw CIFAR byte of record i, row y, column x, channel c (header = 1 for CIFAR-10, 2 for CIFAR-100). */
function rawPixel(raw: Uint8Array, header: number, i: number, y: number, x: number, c: number): number {
  return raw[i * (header + 3 * PLANE) + header + c * PLANE + y * 32 + x]!;
}

/** Random records with the given labels (CIFAR-10: one label; CIFAR-100: [coarse, fine]). */
function makeRecords(rng: () => number, labels: number[][]): Uint8Array {
  const header = labels[0]!.length;
  const rec = header + 3 * PLANE;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach((l, i) => {
    out.set(l, i * rec);
    for (let k = header; k < rec; k++) out[i * rec + k] = Math.floor(rng() * 256);
  });
  return out;
}

/** Byte-identical comparison without vitest's slow deep equality on 150 MB arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function expectSameSet(a: ImageSet, b: ImageSet): void {
  expect(a.count).toBe(b.count);
  expect(a.imageSize).toBe(b.imageSize);
  expect(sameBytes(a.labels, b.labels)).toBe(true);
  expect(sameBytes(a.images, b.images)).toBe(true);
}

function streamOf(bytes: Uint8Array, chunk = 7919): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

interface PackEntry {
  name: string;
  type?: TarHeader['type'];
  body?: Uint8Array;
}

/**
 * A tar stream of `entries`, packed by modern-tar's streaming packer while the consumer reads it,
 * so even the full 184 MB set is never held as one archive buffer.
 */
function tarStream(entries: PackEntry[]): ReadableStream<Uint8Array> {
  const { readable, controller } = createTarPacker();
  void (async () => {
    try {
      for (const e of entries) {
        const body = e.body ?? new Uint8Array(0);
        const w = controller.add({ name: e.name, size: body.length, type: e.type ?? 'file' }).getWriter();
        for (let at = 0; at < body.length; at += 1 << 20) await w.write(body.subarray(at, at + (1 << 20)));
        await w.close();
      }
      controller.finalize();
    } catch (err) {
      controller.error(err);
    }
  })();
  return readable;
}

/**
 * Gzip at zlib's fastest level: any level is the same format to the loader's gunzip, and the
 * default level spent seconds compressing the 184 MB set that the test only needs to read back.
 */
function gzip(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const gz = Duplex.toWeb(createGzip({ level: constants.Z_BEST_SPEED }));
  return stream.pipeThrough(gz as unknown as TransformStream<Uint8Array, Uint8Array>);
}

// ---------------------------------------------------------------------------------------------
// Synthetic data: always runs.
// ---------------------------------------------------------------------------------------------

describe('parseCifarBatch (synthetic records)', () => {
  it('maps planar CHW records to NHWC bytes and reads CIFAR-10 labels', () => {
    const rng = mulberry32(1);
    const labels = [3, 0, 9, 7, 1];
    const raw = makeRecords(
      rng,
      labels.map((l) => [l]),
    );
    const set = parseCifarBatch(raw, 'data_batch_1.bin', 'cifar10');
    expect(set.count).toBe(5);
    expect(set.imageSize).toBe(32);
    expect([...set.labels]).toEqual(labels);
    expect(set.images.length).toBe(5 * 32 * 32 * 3);
    for (let i = 0; i < 5; i++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++) {
            if (set.images[nhwc(i, y, x, c)] !== rawPixel(raw, 1, i, y, x, c)) {
              throw new Error(`pixel mismatch at image ${i} (${y}, ${x}) channel ${c}`);
            }
          }
  });

  it('reads CIFAR-100 fine or coarse labels, with the pixels after the two label bytes', () => {
    const rng = mulberry32(2);
    const labels = [
      [19, 99],
      [0, 0],
      [4, 57],
    ];
    const raw = makeRecords(rng, labels);
    const fine = parseCifarBatch(raw, 'train.bin', 'cifar100');
    const coarse = parseCifarBatch(raw, 'train.bin', 'cifar100', 'coarse');
    expect([...fine.labels]).toEqual([99, 0, 57]);
    expect([...coarse.labels]).toEqual([19, 0, 4]);
    expect(sameBytes(fine.images, coarse.images)).toBe(true);
    expect(fine.images[nhwc(2, 31, 30, 2)]).toBe(rawPixel(raw, 2, 2, 31, 30, 2));
    expect(fine.images[nhwc(1, 5, 7, 1)]).toBe(rawPixel(raw, 2, 1, 5, 7, 1));
  });

  it('refuses files that are not a whole number of records, naming the file, size and record size', () => {
    const raw = makeRecords(mulberry32(3), [[1], [2]]);
    expect(() => parseCifarBatch(raw.subarray(0, raw.length - 1), 'data_batch_4.bin', 'cifar10')).toThrow(
      /data_batch_4\.bin: size 6145 bytes is not a whole number of 3073-byte CIFAR-10 records.*truncated or is not a CIFAR-10 binary file/,
    );
    expect(() => parseCifarBatch(new Uint8Array(0), 'x.bin', 'cifar10')).toThrow(/x\.bin.*it is empty/);
    // A CIFAR-10 file read as CIFAR-100 does not divide into 3074-byte records either.
    expect(() => parseCifarBatch(raw, 'train.bin', 'cifar100')).toThrow(/train\.bin.*3074-byte CIFAR-100/);
  });

  it('refuses out-of-range labels, naming the file, record and value', () => {
    const raw = makeRecords(mulberry32(4), [[1], [2], [10]]);
    expect(() => parseCifarBatch(raw, 'test_batch.bin', 'cifar10')).toThrow(
      /test_batch\.bin: record 2 has label 10, outside 0\.\.9/,
    );
    const raw100 = makeRecords(mulberry32(5), [
      [1, 1],
      [20, 5],
    ]);
    expect(() => parseCifarBatch(raw100, 'train.bin', 'cifar100')).toThrow(
      /train\.bin: record 1 has coarse label 20, outside 0\.\.19/,
    );
    const rawFine = makeRecords(mulberry32(6), [
      [1, 100],
      [2, 5],
    ]);
    expect(() => parseCifarBatch(rawFine, 'test.bin', 'cifar100', 'coarse')).toThrow(
      /test\.bin: record 0 has fine label 100, outside 0\.\.99/,
    );
  });

  it('converts a 10000-record file in well under a second', () => {
    const raw = new Uint8Array(10000 * REC10);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 131) & 0xff;
    for (let i = 0; i < 10000; i++) raw[i * REC10] = i % 10;
    // CPU time, not wall time: on busy shared cores the wall clock also counts other processes' turns.
    const before = process.cpuUsage();
    const set = parseCifarBatch(raw, 'data_batch_1.bin', 'cifar10');
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    console.info(`parseCifarBatch: 10000 records in ${ms.toFixed(0)} ms of CPU`);
    expect(set.count).toBe(10000);
    expect(set.images[nhwc(9999, 31, 31, 2)]).toBe(rawPixel(raw, 1, 9999, 31, 31, 2));
    expect(ms).toBeLessThan(1000);
  });
});

describe('loadCifar (synthetic CIFAR-100 and error cases)', () => {
  const rng = mulberry32(7);
  const trainLabels = Array.from({ length: 40 }, (_, i) => [i % 20, (i * 7) % 100]);
  const testLabels = Array.from({ length: 12 }, (_, i) => [(i * 3) % 20, (i * 11) % 100]);
  const train = makeRecords(rng, trainLabels);
  const test = makeRecords(rng, testLabels);
  const enc = new TextEncoder();

  it('builds CIFAR-100 with fine labels and the default class names', async () => {
    const ds = await loadCifar({ 'cifar-100-binary/train.bin': train, 'cifar-100-binary/test.bin': test });
    expect(ds.name).toBe('cifar100');
    expect(ds.classNames).toEqual(CIFAR100_FINE_NAMES);
    expect(ds.train.count).toBe(40);
    expect(ds.test.count).toBe(12);
    expect([...ds.train.labels]).toEqual(trainLabels.map((l) => l[1]));
    expect(sameBytes(ds.test.images, parseCifarBatch(test, 'test.bin', 'cifar100').images)).toBe(true);
  });

  it('builds CIFAR-100 with coarse labels and names from coarse_label_names.txt', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `super${i}`);
    const files = new Map<string, Uint8Array>([
      ['train.bin', train],
      ['test.bin', test],
      ['coarse_label_names.txt', enc.encode(`${names.join('\n')}\n\n`)],
    ]);
    const ds = await loadCifar(files, { label: 'coarse' });
    expect(ds.name).toBe('cifar100-coarse');
    expect(ds.classNames).toEqual(names);
    expect([...ds.test.labels]).toEqual(testLabels.map((l) => l[0]));
  });

  it('has 100 distinct fine and 20 distinct coarse default names, and the 10 CIFAR-10 names', () => {
    expect(new Set(CIFAR100_FINE_NAMES).size).toBe(100);
    expect(new Set(CIFAR100_COARSE_NAMES).size).toBe(20);
    expect(CIFAR10_CLASS_NAMES).toEqual(
      'airplane automobile bird cat deer dog frog horse ship truck'.split(' '),
    );
  });

  it('refuses a names file with the wrong number of names', async () => {
    await expect(
      loadCifar({ 'train.bin': train, 'test.bin': test, 'fine_label_names.txt': enc.encode('a\nb\n') }),
    ).rejects.toThrow(/fine_label_names\.txt lists 2 class names, expected 100/);
  });

  it('names missing files and what was found', async () => {
    await expect(loadCifar({ 'train.bin': train, 'readme.html': new Uint8Array(1) })).rejects.toThrow(
      /missing test\.bin: CIFAR-100 needs train\.bin and test\.bin; found train\.bin, readme\.html/,
    );
    await expect(loadCifar({ 'notes.txt': new Uint8Array(1) })).rejects.toThrow(
      /no CIFAR data files found.*found notes\.txt/,
    );
    await expect(loadCifar(new Map())).rejects.toThrow(/no CIFAR data files found.*found no files/);
  });

  it('refuses a mix of CIFAR-10 and CIFAR-100 files, and duplicate names', async () => {
    await expect(
      loadCifar({ 'train.bin': train, 'test.bin': test, 'test_batch.bin': new Uint8Array(REC10) }),
    ).rejects.toThrow(/both CIFAR-10 and CIFAR-100/);
    await expect(loadCifar({ 'a/train.bin': train, 'b/train.bin': train, 'test.bin': test })).rejects.toThrow(
      /two files are named train\.bin \(a\/train\.bin and b\/train\.bin\)/,
    );
  });

  it('refuses an incomplete CIFAR-10 set, saying that all five training files are required', async () => {
    const one = makeRecords(mulberry32(8), [[0]]);
    await expect(
      loadCifar({
        'data_batch_1.bin': one,
        'data_batch_2.bin': one,
        'data_batch_4.bin': one,
        'test_batch.bin': one,
      }),
    ).rejects.toThrow(
      /missing data_batch_3\.bin, data_batch_5\.bin: CIFAR-10 needs all five training files.*found data_batch_1\.bin, data_batch_2\.bin, data_batch_4\.bin, test_batch\.bin/,
    );
  });

  it('refuses CIFAR-10 files whose checksum is unknown unless verifyChecksums is false', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 1; i <= 5; i++) files[`data_batch_${i}.bin`] = makeRecords(mulberry32(i), [[i], [9]]);
    files['test_batch.bin'] = makeRecords(mulberry32(9), [[0]]);
    await expect(loadCifar(files)).rejects.toThrow(
      /data_batch_1\.bin does not match the official CIFAR-10 file.*re-download it, or pass verifyChecksums: false/,
    );
    const ds = await loadCifar(files, { verifyChecksums: false });
    expect(ds.name).toBe('cifar10');
    expect(ds.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect([...ds.train.labels]).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    expect(ds.test.count).toBe(1);
  });
});

describe('loadCifarArchive (synthetic archives)', () => {
  const rng = mulberry32(11);
  const train = makeRecords(
    rng,
    Array.from({ length: 30 }, (_, i) => [i % 20, i]),
  );
  const test = makeRecords(
    rng,
    Array.from({ length: 10 }, (_, i) => [i, 99 - i]),
  );
  const fineNames = Array.from({ length: 100 }, (_, i) => `c${i}`);
  const entries: PackEntry[] = [
    { name: 'cifar-100-binary/', type: 'directory' },
    { name: 'cifar-100-binary/readme.html', body: new TextEncoder().encode('<html>not data</html>') },
    { name: 'cifar-100-binary/train.bin', body: train },
    { name: 'cifar-100-binary/._train.bin', body: new Uint8Array(4096) },
    { name: 'cifar-100-binary/fine_label_names.txt', body: new TextEncoder().encode(fineNames.join('\n')) },
    { name: 'cifar-100-binary/test.bin', body: test },
  ];

  it('gives the same data set from a .tar.gz stream as from the files', async () => {
    const expected = await loadCifar({ 'train.bin': train, 'test.bin': test });
    const ds = await loadCifarArchive(gzip(tarStream(entries)));
    expect(ds.name).toBe('cifar100');
    expect(ds.classNames).toEqual(fineNames);
    expectSameSet(ds.train, expected.train);
    expectSameSet(ds.test, expected.test);
  });

  it('accepts an uncompressed .tar stream, passing options through', async () => {
    const ds = await loadCifarArchive(tarStream(entries), { label: 'coarse' });
    expect(ds.name).toBe('cifar100-coarse');
    expect([...ds.test.labels]).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('refuses streams that are not gzip or tar, with a clear message', async () => {
    await expect(
      loadCifarArchive(streamOf(new TextEncoder().encode('hello, not an archive'))),
    ).rejects.toThrow(/not a gzip archive: expected cifar-10-binary\.tar\.gz/);
    await expect(loadCifarArchive(streamOf(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0])))).rejects.toThrow(
      /not a gzip archive \(this is a \.zip file\)/,
    );
    await expect(loadCifarArchive(streamOf(new Uint8Array(0)))).rejects.toThrow(/the archive is empty/);
  });

  it('reports a truncated .tar.gz instead of hanging', async () => {
    const gz = await collect(gzip(tarStream(entries)));
    await expect(loadCifarArchive(streamOf(gz.subarray(0, gz.length >> 1)))).rejects.toThrow(
      /(could not read|archive entry) \S*train\.bin.*truncated or corrupt/,
    );
  });

  it('names missing files when the archive lacks them', async () => {
    const partial = entries.filter((e) => !e.name.endsWith('test.bin'));
    await expect(loadCifarArchive(gzip(tarStream(partial)))).rejects.toThrow(/missing test\.bin/);
  });
});

// ---------------------------------------------------------------------------------------------
// The real CIFAR-10 files in ../shared/cifar10 (read-only, never copied into the repo).
// ---------------------------------------------------------------------------------------------

const SHARED_URL = new URL('../../../../shared/cifar10/', import.meta.url);
const SHARED_DIR = fileURLToPath(SHARED_URL);
const BIN_DIR = `${SHARED_DIR}cifar-10-batches-bin/`;
const HAVE_SHARED = existsSync(`${BIN_DIR}data_batch_1.bin`);
const TRAIN_NAMES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const ALL_NAMES = [...TRAIN_NAMES, 'test_batch.bin'];

if (!HAVE_SHARED) {
  console.warn(`cifar.test.ts: ${BIN_DIR} not found; skipping the real CIFAR-10 tests`);
}

describe.skipIf(!HAVE_SHARED)('real CIFAR-10 files (skipped when ../shared/cifar10 is absent)', () => {
  const raw = new Map<string, Uint8Array>();
  let files: Record<string, Uint8Array>;
  let ds: Awaited<ReturnType<typeof loadCifar>>;

  beforeAll(async () => {
    for (const n of [...ALL_NAMES, 'batches.meta.txt']) raw.set(n, readFileSync(`${BIN_DIR}${n}`));
    files = Object.fromEntries([...raw].map(([n, b]) => [`cifar-10-batches-bin/${n}`, b]));
    const t0 = performance.now();
    ds = await loadCifar(files);
    console.info(`loadCifar (6 files, checksums on): ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('resolves ../shared/cifar10 relative to the repository root', () => {
    expect(SHARED_DIR.replace(/\/$/, '')).toMatch(/\/shared\/cifar10$/);
    expect(existsSync(`${SHARED_DIR}SHA256SUMS`)).toBe(true);
  });

  it('carries the hashes of SHA256SUMS and the official test_batch.bin hash', () => {
    const sums = readFileSync(`${SHARED_DIR}SHA256SUMS`, 'utf8').trim().split('\n');
    for (const line of sums) {
      const [hash, name] = line.trim().split(/\s+/);
      expect(CIFAR10_SHA256[name!]).toContain(hash);
    }
    expect(CIFAR10_SHA256['test_batch.bin']).toContain(
      '8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b',
    );
  });

  it('loads 50000 training and 10000 test images, balanced per class', () => {
    expect(ds.name).toBe('cifar10');
    expect(ds.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(ds.train.count).toBe(50000);
    expect(ds.test.count).toBe(10000);
    expect(ds.train.images.length).toBe(50000 * 3072);
    expect(ds.test.images.length).toBe(10000 * 3072);
    expect(classCounts(ds.train, 10)).toEqual(new Array(10).fill(5000));
    expect(classCounts(ds.test, 10)).toEqual(new Array(10).fill(1000));
  });

  it('keeps every file in order with the labels read straight from the raw bytes (bytes 0, 3073, ...)', () => {
    ALL_NAMES.forEach((name, f) => {
      const bytes = raw.get(name)!;
      const set = f < 5 ? ds.train : ds.test;
      const base = f < 5 ? f * 10000 : 0;
      for (let i = 0; i < 10000; i++) {
        if (set.labels[base + i] !== bytes[i * REC10]) {
          throw new Error(`${name} record ${i}: label ${set.labels[base + i]}, raw byte ${bytes[i * REC10]}`);
        }
      }
    });
  });

  it('maps pixels CHW -> NHWC: record 0, (y=5, x=7), G is raw byte 1 + 1024 + 5*32 + 7', () => {
    ALL_NAMES.forEach((name, f) => {
      const bytes = raw.get(name)!;
      const set = f < 5 ? ds.train : ds.test;
      const base = f < 5 ? f * 10000 : 0;
      expect(set.images[nhwc(base, 5, 7, 1)]).toBe(bytes[1 + 1024 + 5 * 32 + 7]);
      // And every pixel of the first and last record of each file.
      for (const i of [0, 9999])
        for (let y = 0; y < 32; y++)
          for (let x = 0; x < 32; x++)
            for (let c = 0; c < 3; c++) {
              if (set.images[nhwc(base + i, y, x, c)] !== rawPixel(bytes, 1, i, y, x, c)) {
                throw new Error(`${name} record ${i} (${y}, ${x}) channel ${c} differs`);
              }
            }
    });
  });

  it('refuses a truncated copy, naming the file, its size and the record size', async () => {
    const cut = raw.get('data_batch_2.bin')!.subarray(0, 30730000 - 1);
    await expect(loadCifar({ ...files, 'cifar-10-batches-bin/data_batch_2.bin': cut })).rejects.toThrow(
      /data_batch_2\.bin: size 30729999 bytes is not a whole number of 3073-byte CIFAR-10 records.*looks truncated/,
    );
  });

  it('refuses a copy with a label byte set to 10, naming the file, record and value', async () => {
    const bad = new Uint8Array(raw.get('data_batch_3.bin')!); // a copy (Buffer#slice would be a view)
    bad[17 * REC10] = 10;
    await expect(loadCifar({ ...files, 'cifar-10-batches-bin/data_batch_3.bin': bad })).rejects.toThrow(
      /data_batch_3\.bin: record 17 has label 10, outside 0\.\.9/,
    );
  });

  it('refuses a copy with one flipped pixel byte by checksum, and accepts it with verifyChecksums: false', async () => {
    const flipped = new Uint8Array(raw.get('test_batch.bin')!);
    const at = 5 * REC10 + 1 + 2048 + 100; // record 5, B plane, (y=3, x=4)
    flipped[at] = flipped[at]! ^ 0xff;
    const changed = { ...files, 'cifar-10-batches-bin/test_batch.bin': flipped };
    await expect(loadCifar(changed)).rejects.toThrow(
      /test_batch\.bin does not match the official CIFAR-10 file.*verifyChecksums: false/,
    );
    const loose = await loadCifar(changed, { verifyChecksums: false });
    expect(loose.test.images[nhwc(5, 3, 4, 2)]).toBe(flipped[at]);
    expect(loose.test.images[nhwc(5, 3, 4, 2)]).not.toBe(ds.test.images[nhwc(5, 3, 4, 2)]);
  });

  it('names the missing files', async () => {
    const {
      'cifar-10-batches-bin/data_batch_5.bin': _5,
      'cifar-10-batches-bin/test_batch.bin': _t,
      ...rest
    } = files;
    await expect(loadCifar(rest)).rejects.toThrow(
      /missing data_batch_5\.bin, test_batch\.bin: CIFAR-10 needs all five training files/,
    );
  });

  it('gives byte-identical images and labels from a streamed cifar-10-binary.tar.gz', async () => {
    const entries: PackEntry[] = [
      { name: 'cifar-10-batches-bin/', type: 'directory' },
      { name: 'cifar-10-batches-bin/readme.html', body: new TextEncoder().encode('<html></html>') },
      ...[...raw].map(([n, b]) => ({ name: `cifar-10-batches-bin/${n}`, body: b })),
    ];
    const t0 = performance.now();
    const fromArchive = await loadCifarArchive(gzip(tarStream(entries)));
    console.info(
      `loadCifarArchive (pack + gzip + gunzip + untar + load, streamed): ${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(fromArchive.classNames).toEqual(ds.classNames);
    expectSameSet(fromArchive.train, ds.train);
    expectSameSet(fromArchive.test, ds.test);
  });
});

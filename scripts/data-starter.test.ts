/**
 * The shipped starter set (public/data/starter/) against the official CIFAR-10 files in
 * ../shared/cifar10: a rebuild gives the committed bytes, every record is an official record,
 * the classes are balanced, and the test part is test_batch.bin's exact records 0..999.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStarter, DEFAULT_FROM, DEFAULT_OUT } from './lib/starter-build';

const RECORD = 3073;
const BIN_DIR = path.join(DEFAULT_FROM, 'cifar-10-batches-bin');
const HAVE_SHARED = existsSync(path.join(BIN_DIR, 'data_batch_1.bin'));
const OFFICIAL_TRAIN_SHA256 = readSums();

/** data_batch_*.bin hashes from ../shared/cifar10/SHA256SUMS (the official files' hashes). */
function readSums(): Map<string, string> {
  const file = path.join(DEFAULT_FROM, 'SHA256SUMS');
  if (!existsSync(file)) return new Map();
  const pairs = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([hash, name]) => [path.basename(name!), hash!] as const);
  return new Map(pairs.filter(([n]) => n.startsWith('data_batch_')));
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const committed = (name: string) => new Uint8Array(readFileSync(path.join(DEFAULT_OUT, name)));

describe.skipIf(!HAVE_SHARED)('the CIFAR-10 starter set (skipped without ../shared/cifar10)', () => {
  let tmp: string;
  let official: Uint8Array[];
  let train: Uint8Array;
  let test: Uint8Array;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'starter-'));
    await buildStarter(DEFAULT_FROM, tmp);
    official = [1, 2, 3, 4, 5].map(
      (i) => new Uint8Array(readFileSync(path.join(BIN_DIR, `data_batch_${i}.bin`))),
    );
    train = new Uint8Array(gunzipSync(committed('train.bin.gz')));
    test = new Uint8Array(gunzipSync(committed('test.bin.gz')));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('rebuilds into the very bytes that are committed', () => {
    for (const name of ['train.bin.gz', 'test.bin.gz', 'manifest.json']) {
      const rebuilt = new Uint8Array(readFileSync(path.join(tmp, name)));
      expect(sha(rebuilt), name).toBe(sha(committed(name)));
    }
  });

  it('stays within the size budget for the repository (32 MB)', () => {
    const total = committed('train.bin.gz').length + committed('test.bin.gz').length;
    expect(total).toBeLessThanOrEqual(32e6);
  });

  it('has manifest hashes that match the records and the shipped files', () => {
    const m = JSON.parse(readFileSync(path.join(DEFAULT_OUT, 'manifest.json'), 'utf8'));
    expect(m.train.sha256).toBe(sha(train));
    expect(m.test.sha256).toBe(sha(test));
    expect(m.train.gzipSha256).toBe(sha(committed('train.bin.gz')));
    expect(m.test.gzipSha256).toBe(sha(committed('test.bin.gz')));
    expect(m.train.records * RECORD).toBe(train.length);
  });

  it('takes its source files from the official training set', () => {
    expect(OFFICIAL_TRAIN_SHA256.size).toBe(5);
    official.forEach((bytes, i) => {
      expect(sha(bytes)).toBe(OFFICIAL_TRAIN_SHA256.get(`data_batch_${i + 1}.bin`));
    });
  });

  it('holds 1000 training records a class, each byte-identical to a distinct official record', () => {
    // Index every official record by its hash, then look each starter record up.
    const index = new Map<string, number>();
    official.forEach((bytes, f) => {
      for (let r = 0; r < 10000; r++)
        index.set(sha(bytes.subarray(r * RECORD, (r + 1) * RECORD)), f * 10000 + r);
    });
    const count = train.length / RECORD;
    expect(count).toBe(10000);
    const perClass = new Array<number>(10).fill(0);
    const sources = new Set<number>();
    for (let i = 0; i < count; i++) {
      const rec = train.subarray(i * RECORD, (i + 1) * RECORD);
      const src = index.get(sha(rec));
      expect(src, `starter record ${i}`).toBeDefined();
      const f = Math.floor(src! / 10000);
      const r = src! % 10000;
      expect(Buffer.compare(rec, official[f]!.subarray(r * RECORD, (r + 1) * RECORD))).toBe(0);
      sources.add(src!);
      perClass[rec[0]!]! += 1;
    }
    expect(sources.size).toBe(count);
    expect(perClass).toEqual(new Array(10).fill(1000));
  });

  it('holds test_batch.bin records 0..999 exactly, in order', () => {
    const officialTest = readFileSync(path.join(BIN_DIR, 'test_batch.bin')).subarray(0, 1000 * RECORD);
    expect(test.length).toBe(1000 * RECORD);
    expect(Buffer.compare(test, officialTest)).toBe(0);
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { classCounts, type Dataset } from './dataset';
import { loadStarter, type StarterFetch, selectStarterRecords, validateStarterManifest } from './starter';

const DIR = fileURLToPath(new URL('../../../public/data/starter/', import.meta.url));
const manifest = validateStarterManifest(JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')));

function streamOf(bytes: Uint8Array, chunk = 65536): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

/** The shipped files, with an optional change applied to one of them. */
function fetchFrom(change?: (name: string, bytes: Uint8Array) => Uint8Array): StarterFetch {
  return async (name) => {
    const bytes = new Uint8Array(readFileSync(`${DIR}${name}`));
    return streamOf(change ? change(name, bytes) : bytes);
  };
}

describe('the shipped starter set', () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await loadStarter(manifest, fetchFrom());
  });

  it('loads 10,000 balanced training images and 1,000 test images of the CIFAR-10 classes', () => {
    expect(ds.name).toBe('cifar10-starter');
    expect(ds.classNames[0]).toBe('airplane');
    expect(ds.train.count).toBe(10000);
    expect(classCounts(ds.train, 10)).toEqual(new Array(10).fill(1000));
    expect(ds.test.count).toBe(1000);
    expect(ds.train.imageSize).toBe(32);
  });

  it('accepts files the host already decompressed (Content-Encoding: gzip)', async () => {
    const { gunzipSync } = await import('node:zlib');
    const plain = await loadStarter(
      manifest,
      fetchFrom((_, b) => new Uint8Array(gunzipSync(b))),
    );
    expect(plain.test.labels).toEqual(ds.test.labels);
  });
});

describe('a damaged starter set is refused with what to do', () => {
  it('one changed pixel byte: the hash check names the file and the rebuild command', async () => {
    const { gunzipSync } = await import('node:zlib');
    const altered = fetchFrom((name, b) => {
      if (name !== 'test.bin.gz') return b;
      const raw = new Uint8Array(gunzipSync(b));
      raw[5000] = (raw[5000]! + 1) % 256;
      return new Uint8Array(gzipSync(raw));
    });
    await expect(loadStarter(manifest, altered)).rejects.toThrow(
      /test\.bin\.gz does not match the starter set's manifest.*npm run data:starter/,
    );
  });

  it('a truncated download is named as such', async () => {
    const cut = fetchFrom((name, b) => (name === 'train.bin.gz' ? b.subarray(0, b.length - 1000) : b));
    await expect(loadStarter(manifest, cut)).rejects.toThrow(/train\.bin\.gz/);
  });

  it('a manifest of another kind is refused', () => {
    expect(() => validateStarterManifest({ format: 'x' })).toThrow(
      /not a version-1 cifar10-starter manifest/,
    );
  });
});

describe('selectStarterRecords', () => {
  it('takes the first records of each class in order, and says when a class is short', () => {
    const labels = [0, 1, 0, 2, 1, 0, 2, 2, 1];
    expect(selectStarterRecords(labels, 2, 3)).toEqual([0, 1, 2, 3, 4, 6]);
    expect(() => selectStarterRecords([0, 0, 1], 2, 2)).toThrow(/fewer than 2 records/);
  });
});

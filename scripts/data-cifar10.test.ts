import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createTarDecoder } from 'modern-tar';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';
import { loadCifar, loadCifarArchive } from '../src/engine/data/cifar';
import type { Dataset } from '../src/engine/data/dataset';
import { ROOT, runScript, type ScriptRun } from './lib/run-script';

const SHARED = path.resolve(ROOT, '..', 'shared', 'cifar10', 'cifar-10-batches-bin');
const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

interface Result extends ScriptRun {
  /**
   * Seconds from the script's "Downloading" line to its exit: the download's own time, without
   * the start-up of node and the script, which on two busy cores can take many seconds.
   */
  downloadSeconds: number | null;
}

/** Runs the script without blocking this process (the HTTP tests serve from here). */
async function run(args: string[]): Promise<Result> {
  let downloadStart: number | null = null;
  const r = await runScript('data-cifar10', args, {
    watch: (stderr) => {
      if (downloadStart === null && stderr.includes('Downloading ')) downloadStart = performance.now();
    },
  });
  const downloadSeconds = downloadStart === null ? null : (performance.now() - downloadStart) / 1000;
  return { ...r, downloadSeconds };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'kd-data-cifar10-'));
}

function fileStream(file: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
}

async function readFolder(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const name of await readdir(dir))
    files.set(name, new Uint8Array(await readFile(path.join(dir, name))));
  return files;
}

/** Entry names of a .tar.gz, in order (bodies drained, as modern-tar requires). */
async function tarNames(file: string): Promise<string[]> {
  const tar = fileStream(file).pipeThrough(
    new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  const names: string[] = [];
  const entries = tar.pipeThrough(createTarDecoder()).getReader();
  for (let next = await entries.read(); !next.done; next = await entries.read()) {
    names.push(next.value.header.name);
    const body = next.value.body.getReader();
    while (!(await body.read()).done) {
      // drain
    }
  }
  return names;
}

const RECORD = 32 * 32 * 3;

function expectSameRecords(a: Dataset['train'], b: Dataset['train'], indices: number[]): void {
  for (const i of indices) {
    expect(a.labels[i], `label ${i}`).toBe(b.labels[i]);
    const pa = Buffer.from(a.images.subarray(i * RECORD, (i + 1) * RECORD));
    const pb = Buffer.from(b.images.subarray(i * RECORD, (i + 1) * RECORD));
    expect(pa.equals(pb), `pixels of image ${i}`).toBe(true);
  }
}

describe.skipIf(!existsSync(SHARED))('data:cifar10 --from a folder (shared CIFAR-10)', () => {
  const dir = tempDir();
  const out = path.join(dir, 'c.tar.gz');
  let packed: Result;

  beforeAll(async () => {
    packed = await run(['--from', '../shared/cifar10/cifar-10-batches-bin', '--out', out]);
  }, 90_000);

  it('packs the folder into a .tar.gz and names the destination', () => {
    expect(packed.stderr).not.toMatch(/Error|at .*\.ts:/);
    expect(packed.code).toBe(0);
    expect(lastLine(packed.stdout)).toMatch(/^packed .*cifar-10-batches-bin .*50000 training \+ 10000 test/);
    expect(lastLine(packed.stdout)).toContain(out);
    expect(packed.stderr).toMatch(/packing .*\(100%\)/);
    expect(readdirSync(dir)).toEqual(['c.tar.gz']); // no temp file left behind
    console.info(`data:cifar10 --from <folder>: ${packed.seconds.toFixed(1)} s`);
  });

  it('uses the official layout: cifar-10-batches-bin/<file>', async () => {
    expect(await tarNames(out)).toEqual([
      'cifar-10-batches-bin/',
      'cifar-10-batches-bin/batches.meta.txt',
      ...[1, 2, 3, 4, 5].map((i) => `cifar-10-batches-bin/data_batch_${i}.bin`),
      'cifar-10-batches-bin/test_batch.bin',
    ]);
  });

  it('loads with loadCifarArchive to the same images and labels as loadCifar on the folder', async () => {
    const fromArchive = await loadCifarArchive(fileStream(out));
    const fromFolder = await loadCifar(await readFolder(SHARED));
    expect(fromArchive.name).toBe('cifar10');
    expect(fromArchive.train.count).toBe(50_000);
    expect(fromArchive.test.count).toBe(10_000);
    expect(fromArchive.classNames).toEqual(fromFolder.classNames);
    expectSameRecords(fromArchive.train, fromFolder.train, [0, 1, 9_999, 10_000, 31_337, 49_999]);
    expectSameRecords(fromArchive.test, fromFolder.test, [0, 999, 1_000, 5_000, 9_999]);
    // And all of it, not just a sample.
    for (const split of ['train', 'test'] as const) {
      expect(Buffer.from(fromArchive[split].labels).equals(Buffer.from(fromFolder[split].labels))).toBe(true);
      expect(Buffer.from(fromArchive[split].images).equals(Buffer.from(fromFolder[split].images))).toBe(true);
    }
  });

  it('--from <archive> that is not the official file: accepted after checking its content, with a note', async () => {
    const copy = path.join(dir, 'copy', 'd.tar.gz');
    const r = await run(['--from', out, '--out', copy]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`differs from the official archive's ${OFFICIAL_MD5}`));
    expect(lastLine(r.stdout)).toMatch(/not byte-identical to the official download/);
    expect(lastLine(r.stdout)).toMatch(/content checks out as CIFAR-10/);
    expect(readFileSync(copy).equals(readFileSync(out))).toBe(true);
    console.info(`data:cifar10 --from <archive>: ${r.seconds.toFixed(1)} s`);
  });
});

describe.concurrent('data:cifar10 refusals (exit 2, one line)', () => {
  it.for([
    [['--from', '/nonexistent'], /--from \/nonexistent: no such file or folder/],
    [['--frobnicate'], /Unknown option '--frobnicate'.*Usage: npm run data:cifar10/],
    [['--from'], /argument missing/],
    [['--url', 'ftp://example.com/x.tar.gz'], /--url must be an http/],
    [['--from', '/tmp', '--url', 'http://127.0.0.1:9/x'], /cannot be combined/],
    [['--from', '/nonexistent', '--out', tmpdir()], /is a folder/],
  ] as [string[], RegExp][])('%j', async ([args, message], { expect }) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^data:cifar10: /);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('a folder without CIFAR-10 files', async ({ expect }) => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    const r = await run(['--from', dir, '--out', path.join(dir, 'x.tar.gz')]);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/no CIFAR-10 files there.*found notes\.txt/);
  });

  it('a corrupt CIFAR folder, naming the file; nothing is written', async ({ expect }) => {
    const dir = tempDir();
    const bins = path.join(dir, 'cifar-10-batches-bin');
    mkdirSync(bins);
    for (const name of [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin'))
      writeFileSync(path.join(bins, name), new Uint8Array(3073 * 2 + 5));
    const r = await run(['--from', dir, '--out', path.join(dir, 'x.tar.gz')]);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/data_batch_1\.bin.*(truncated|not a CIFAR)/);
    expect(readdirSync(dir)).toEqual(['cifar-10-batches-bin']);
  });

  it('a file that is not an archive; nothing is written', async ({ expect }) => {
    const dir = tempDir();
    const bad = path.join(dir, 'bad.tar.gz');
    writeFileSync(bad, 'not an archive\n');
    const r = await run(['--from', bad, '--out', path.join(dir, 'out', 'x.tar.gz')]);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/bad\.tar\.gz: not a gzip archive/);
    expect(existsSync(path.join(dir, 'out', 'x.tar.gz'))).toBe(false);
  });
});

describe.concurrent('data:cifar10 download failures (no internet needed)', () => {
  let server: Server;
  let base = '';
  const payload = new Uint8Array(200_000).map((_, i) => (i * 31) & 255);

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/wrong.tar.gz') {
        res.writeHead(200, { 'content-length': String(payload.length) });
        res.end(payload);
      } else {
        res.writeHead(404);
        res.end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function expectNetworkRefusal(expect: ExpectStatic, r: Result, cause: RegExp): void {
    expect(r.code).toBe(2);
    const line = lastLine(r.stderr);
    expect(line).toMatch(/^data:cifar10: download of .* failed/);
    expect(line).toMatch(cause);
    expect(line).toMatch(/npm run data:cifar10 -- --from/);
    // A failed connect is immediate; a hang would run into the 30 s idle timeout.
    expect(r.downloadSeconds).not.toBeNull();
    expect(r.downloadSeconds!).toBeLessThan(25);
  }

  it('an unreachable URL exits 2 quickly, suggesting --from; nothing is left behind', async ({ expect }) => {
    const dir = tempDir();
    const r = await run(['--url', 'http://127.0.0.1:9/x.tar.gz', '--out', path.join(dir, 'y.tar.gz')]);
    expectNetworkRefusal(expect, r, /fetch failed/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a refused connection names the cause', async ({ expect }) => {
    // A port that was just free: bind, note it, close.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const dir = tempDir();
    const r = await run(['--url', `http://127.0.0.1:${port}/x.tar.gz`, '--out', path.join(dir, 'y.tar.gz')]);
    expectNetworkRefusal(expect, r, /ECONNREFUSED/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an HTTP error status exits 2 naming it', async ({ expect }) => {
    const dir = tempDir();
    const r = await run(['--url', `${base}/missing.tar.gz`, '--out', path.join(dir, 'y.tar.gz')]);
    expectNetworkRefusal(expect, r, /HTTP 404/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a download with the wrong md5 is deleted; the message names expected and actual md5', async ({
    expect,
  }) => {
    const dir = tempDir();
    const r = await run(['--url', `${base}/wrong.tar.gz`, '--out', path.join(dir, 'y.tar.gz')]);
    const actual = createHash('md5').update(payload).digest('hex');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/downloaded 0\.2 MB of 0\.2 MB \(100%\)/);
    const line = lastLine(r.stderr);
    expect(line).toMatch(/md5 mismatch/);
    expect(line).toContain(`expected ${OFFICIAL_MD5}`);
    expect(line).toContain(`got ${actual}`);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/**
 * npm run data:cifar10 [-- --from <folder | archive>] [--out <file>] [--url <url>]
 *
 * Puts CIFAR-10 where the app finds it: public/data/cifar-10-binary.tar.gz (served by Vite as
 * ./data/cifar-10-binary.tar.gz; also usable as `npm run train -- --data public/data/cifar-10-binary.tar.gz`).
 *
 * - No --from: downloads the official archive (streamed to a temp file next to the target, progress on
 *   stderr), checks its md5, then moves it into place. A wrong md5 deletes the download.
 * - --from <archive>: checks its md5 against the official archive's; a different file is still accepted
 *   when its content validates as CIFAR-10 (checksums on). Copied to the target.
 * - --from <folder>: the official .bin files (or a folder holding cifar-10-batches-bin/), validated with
 *   checksums, then packed as a .tar.gz in the official layout (cifar-10-batches-bin/<file>).
 *
 * Bad input (flags, paths, data, network) prints one line on stderr and exits 2.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createGzip } from 'node:zlib';
import type { Dataset } from '../src/engine/data/dataset';
import { parseCli, runCli, UsageError } from './lib/cli';
import {
  ByteProgress,
  errorText,
  exists,
  mb,
  md5OfFile,
  removeTempOnInterrupt,
  say,
  shown,
  tap,
  writeVia,
} from './lib/file-transfer';

const NAME = 'data:cifar10';
const USAGE = 'npm run data:cifar10 [-- --from <folder|archive.tar.gz>] [--out FILE] [--url URL]';

const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
const ROOT = path.resolve(import.meta.dirname, '..');
const DEFAULT_OUT = path.join(ROOT, 'public', 'data', 'cifar-10-binary.tar.gz');
const ARCHIVE_DIR = 'cifar-10-batches-bin';
const BIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
];
const TEST_FILE = 'test_batch.bin';
const META_FILE = 'batches.meta.txt';
/** Archive order of the packed files; readme.html (in the official archive) is kept when present. */
const PACK_FILES = [META_FILE, ...BIN_FILES, TEST_FILE, 'readme.html'];
/** Abort a download that receives nothing (headers or body bytes) for this long. */
const IDLE_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------
// Validation

function describeSet(d: Dataset): string {
  return `${d.train.count} training + ${d.test.count} test images`;
}

function requireCifar10(d: Dataset, what: string): Dataset {
  if (d.name !== 'cifar10') throw new UsageError(`${what}: this is CIFAR-100, not CIFAR-10`);
  if (d.train.count !== 50_000 || d.test.count !== 10_000)
    throw new UsageError(`${what}: expected 50000 training + 10000 test images, found ${describeSet(d)}`);
  return d;
}

async function validateArchive(file: string, what: string): Promise<Dataset> {
  const { loadCifarArchive } = await import('../src/engine/data/cifar');
  try {
    const stream = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    return requireCifar10(await loadCifarArchive(stream, { verifyChecksums: true }), what);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${what}: ${errorText(err)}`);
  }
}

/** The folder that holds the .bin files: `dir` itself or its cifar-10-batches-bin/. */
async function findBinFolder(dir: string): Promise<string> {
  if (await exists(path.join(dir, BIN_FILES[0]!))) return dir;
  const nested = path.join(dir, ARCHIVE_DIR);
  if (await exists(path.join(nested, BIN_FILES[0]!))) return nested;
  const found = (await readdir(dir).catch(() => [])).slice(0, 8);
  throw new UsageError(
    `--from ${dir}: no CIFAR-10 files there (expected ${BIN_FILES.join(', ')}, ${TEST_FILE} and ` +
      `${META_FILE}, or a ${ARCHIVE_DIR}/ folder holding them); found ${found.length ? found.join(', ') : 'nothing'}`,
  );
}

// ---------------------------------------------------------------------------------------------------
// The three ways in

/** Downloads the official archive (or --url), checks its md5, moves it to `dest`. */
async function download(url: string, dest: string): Promise<string> {
  if ((await exists(dest)) && (await md5OfFile(dest)) === OFFICIAL_MD5) {
    say(`${shown(dest)} is already the official archive (md5 ${OFFICIAL_MD5}); nothing to download`);
    return `already in place: ${shown(dest)}`;
  }
  const hint =
    `; no network? Get ${path.basename(new URL(url).pathname) || 'the archive'} another way, then run: ` +
    'npm run data:cifar10 -- --from <archive or folder>';
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => abort.abort(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)),
      IDLE_TIMEOUT_MS,
    );
  };
  const networkError = (err: unknown) => {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
    const reason = abort.signal.aborted ? errorText(abort.signal.reason) : errorText(err);
    return new UsageError(`download of ${url} failed (${[reason, cause].filter(Boolean).join(': ')})${hint}`);
  };

  say(`Downloading ${url}`);
  idle();
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: abort.signal });
    } catch (err) {
      throw networkError(err);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new UsageError(
        `download of ${url} failed (HTTP ${response.status} ${response.statusText})${hint}`,
      );
    }
    const length = Number(response.headers.get('content-length'));
    const progress = new ByteProgress('downloaded', Number.isFinite(length) && length > 0 ? length : null);
    const hash = createHash('md5');
    let size = 0;
    await writeVia(dest, async (temp) => {
      try {
        await pipeline(
          Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
          tap(hash, progress, idle),
          createWriteStream(temp),
        );
      } catch (err) {
        throw networkError(err);
      }
      size = (await stat(temp)).size;
      const md5 = hash.digest('hex');
      if (md5 !== OFFICIAL_MD5) {
        throw new UsageError(
          `md5 mismatch for the download of ${url}: expected ${OFFICIAL_MD5}, got ${md5} ` +
            `(${size} bytes); deleted it. Try again, or use --from with a copy you trust`,
        );
      }
    });
    say(`md5 ${OFFICIAL_MD5} matches the official archive`);
    return `downloaded ${url} (${mb(size)}) to ${shown(dest)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Copies a local archive to `dest`: the official one by md5, or any archive whose content validates. */
async function fromArchive(src: string, dest: string): Promise<string> {
  const head = new Uint8Array(2);
  const fh = await open(src, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const size = (await stat(src)).size;
  const what = `--from ${src}`;
  if (!gzipped) {
    // Not the official file; a plain .tar is accepted once its content checks out (anything else is
    // refused here, with the loader's message), and is gzip-compressed on the way.
    say(`${shown(src)} is not gzip-compressed; checking its content`);
    const data = await validateArchive(src, what);
    await writeVia(dest, async (temp) => {
      const progress = new ByteProgress(`compressing ${shown(src)}:`, size);
      await pipeline(createReadStream(src), tap(null, progress), createGzip(), createWriteStream(temp));
    });
    return (
      `compressed ${shown(src)} into ${shown(dest)}; note: a plain .tar, so not byte-identical to the ` +
      `official download, but its content checks out as CIFAR-10 (${describeSet(data)}, file checksums verified)`
    );
  }
  const hash = createHash('md5');
  let note = '';
  await writeVia(dest, async (temp) => {
    // Copy and hash in one pass; validate the content only when it is not the official file.
    const progress = new ByteProgress(`copying ${shown(src)}:`, size);
    await pipeline(createReadStream(src), tap(hash, progress), createWriteStream(temp));
    const md5 = hash.digest('hex');
    if (md5 === OFFICIAL_MD5) {
      say(`md5 ${md5} matches the official archive`);
      return;
    }
    say(`md5 ${md5} differs from the official archive's ${OFFICIAL_MD5}; checking its content`);
    const data = await validateArchive(temp, what);
    note =
      `; note: not byte-identical to the official download (md5 ${md5}), but its content checks out ` +
      `as CIFAR-10 (${describeSet(data)}, file checksums verified)`;
  });
  return `copied ${shown(src)} to ${shown(dest)}${note}`;
}

/** Validates a folder of .bin files, then packs them as a .tar.gz in the official layout. */
async function fromFolder(dir: string, dest: string): Promise<string> {
  const binDir = await findBinFolder(dir);
  // The loader and the tar packer load only here and in validateArchive, past the flag checks.
  const [{ CIFAR10_CLASS_NAMES, loadCifar }, { createTarPacker }] = await Promise.all([
    import('../src/engine/data/cifar'),
    import('modern-tar'),
  ]);
  const files = new Map<string, Uint8Array>();
  const mtimes = new Map<string, Date>();
  for (const name of PACK_FILES) {
    const file = path.join(binDir, name);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) continue;
    files.set(name, new Uint8Array(await readFile(file)));
    mtimes.set(name, info.mtime);
  }
  say(`Validating ${shown(binDir)} (structure, labels, SHA-256 of each file)`);
  let data: Dataset;
  try {
    data = requireCifar10(await loadCifar(files, { verifyChecksums: true }), `--from ${dir}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--from ${dir}: ${errorText(err)}`);
  }
  const summary = describeSet(data);
  let note = '';
  if (!files.has(META_FILE)) {
    // The official archive always has it; write the standard class names.
    files.set(META_FILE, new TextEncoder().encode(`${CIFAR10_CLASS_NAMES.join('\n')}\n\n`));
    mtimes.set(META_FILE, new Date());
    note = `; ${META_FILE} was missing and was written with the standard class names`;
  }
  const names = PACK_FILES.filter((n) => files.has(n));
  const total = names.reduce((n, name) => n + files.get(name)!.length, 0);

  await writeVia(dest, async (temp) => {
    const { readable, controller } = createTarPacker();
    const progress = new ByteProgress('packing', total);
    const written = pipeline(
      Readable.fromWeb(readable as NodeReadableStream<Uint8Array>),
      createGzip(),
      createWriteStream(temp),
    );
    try {
      const dirStream = controller.add({ name: `${ARCHIVE_DIR}/`, type: 'directory', size: 0, mode: 0o755 });
      await dirStream.close();
      let done = 0;
      for (const name of names) {
        const bytes = files.get(name)!;
        const body = controller.add({
          name: `${ARCHIVE_DIR}/${name}`,
          size: bytes.length,
          type: 'file',
          mode: 0o644,
          mtime: mtimes.get(name),
        });
        const writer = body.getWriter();
        const CHUNK = 1 << 20;
        for (let at = 0; at < bytes.length; at += CHUNK) {
          await writer.ready;
          const part = bytes.subarray(at, Math.min(at + CHUNK, bytes.length));
          await writer.write(part);
          done += part.length;
          progress.update(done);
        }
        await writer.close();
      }
      controller.finalize();
      progress.end(done);
    } catch (err) {
      controller.error(err);
      await written.catch(() => {});
      throw err;
    }
    await written;
  });
  const size = (await stat(dest)).size;
  return `packed ${shown(binDir)} (${summary}, checksums verified) into ${shown(dest)} (${mb(size)})${note}`;
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  removeTempOnInterrupt();
  const args = parseCli(process.argv.slice(2), USAGE);
  const from = args.string('from');
  const out = args.string('out');
  const url = args.string('url');
  if (from !== undefined && url !== undefined)
    throw new UsageError(`--from and --url cannot be combined. Usage: ${USAGE}`);
  if (from === '') throw new UsageError(`--from needs a folder or an archive. Usage: ${USAGE}`);
  if (out === '') throw new UsageError(`--out needs a file path. Usage: ${USAGE}`);
  const dest = out ? path.resolve(out) : DEFAULT_OUT;
  const destInfo = await stat(dest).catch(() => null);
  if (destInfo?.isDirectory())
    throw new UsageError(`--out ${out ?? dest} is a folder; give the archive's file path`);

  let done: string;
  if (from !== undefined) {
    const src = path.resolve(from);
    const info = await stat(src).catch(() => null);
    if (!info) throw new UsageError(`--from ${from}: no such file or folder`);
    if (info.isDirectory()) done = await fromFolder(src, dest);
    else if (info.isFile()) {
      if (src === dest) throw new UsageError(`--from ${from} is the destination itself; nothing to do`);
      done = await fromArchive(src, dest);
    } else throw new UsageError(`--from ${from}: not a file or folder`);
  } else {
    const address = url ?? OFFICIAL_URL;
    let parsed: URL | null = null;
    try {
      parsed = new URL(address);
    } catch {
      // handled below
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      throw new UsageError(`--url must be an http:// or https:// address, got "${address}"`);
    done = await download(address, dest);
  }
  if (dest === DEFAULT_OUT) {
    say('The app loads it as ./data/cifar-10-binary.tar.gz; train on it with:');
    say(`  npm run train -- --data ${shown(dest)} ...`);
  }
  process.stdout.write(`${done}\n`);
}

runCli(NAME, main);

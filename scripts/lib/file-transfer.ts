/**
 * Byte plumbing for the data scripts: progress on stderr, hashing while streaming, and writes
 * that land atomically (a temp file next to the destination, renamed into place, removed on
 * failure or Ctrl-C), so an interrupted download never leaves a half file where the app looks.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, unlinkSync } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A path for messages: relative to the working folder when inside it. */
export function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** Throttled byte-progress on stderr: redrawn in place on a terminal, a line every ~10% otherwise. */
export class ByteProgress {
  private readonly start = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastDraw = 0;
  private lastStep = -1;
  private lastDone = -1;
  constructor(
    private readonly label: string,
    private readonly total: number | null,
  ) {}

  update(done: number): void {
    const now = performance.now();
    if (this.tty) {
      if (now - this.lastDraw < 200) return;
    } else {
      // Without a terminal: one line per 10% (or per 20 MB when the size is unknown).
      const step = this.total ? Math.floor((10 * done) / this.total) : Math.floor(done / 20e6);
      if (step === this.lastStep) return;
      this.lastStep = step;
    }
    this.lastDraw = now;
    this.draw(done, now);
  }

  end(done: number): void {
    if (done !== this.lastDone) this.draw(done, performance.now());
    if (this.tty) process.stderr.write('\n');
  }

  private draw(done: number, now: number): void {
    this.lastDone = done;
    const seconds = (now - this.start) / 1000;
    const rate = seconds > 0 ? `${mb(done / seconds)}/s` : '';
    const of = this.total
      ? `${mb(done)} of ${mb(this.total)} (${Math.floor((100 * done) / this.total)}%)`
      : mb(done);
    const line = `${this.label} ${of} ${rate}`.trimEnd();
    process.stderr.write(this.tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }
}

/** Passes bytes through, hashing them and reporting progress. */
export function tap(hash: Hash | null, progress: ByteProgress | null, onBytes?: () => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      hash?.update(chunk);
      seen += chunk.length;
      progress?.update(seen);
      onBytes?.();
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      progress?.end(seen);
      cb();
    },
  });
}

export async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null)) !== null;
}

// The temp file being written: removed on failure or Ctrl-C, renamed into place on success.

let pendingTemp: string | null = null;

function removePendingTempSync(): void {
  if (!pendingTemp) return;
  try {
    unlinkSync(pendingTemp);
  } catch {
    // already gone
  }
  pendingTemp = null;
}

/** Removes a half-written temp file on Ctrl-C; call once from a script that uses writeVia. */
export function removeTempOnInterrupt(): void {
  process.once('SIGINT', () => {
    removePendingTempSync();
    process.exit(130);
  });
}

/** Runs `write(temp)` and moves the temp file to `dest`; on any failure the temp file is deleted. */
export async function writeVia(dest: string, write: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}.tmp`);
  pendingTemp = temp;
  try {
    await write(temp);
    await rename(temp, dest);
    pendingTemp = null;
  } catch (err) {
    await unlink(temp).catch(() => {});
    pendingTemp = null;
    throw err;
  }
}

/**
 * Streaming extraction of selected files from a .tar.gz (or plain .tar) archive, with web-platform
 * APIs only (ReadableStream, DecompressionStream) so it runs in a Web Worker, a page and Node 20.
 * Tar parsing is modern-tar's streaming decoder; only the wanted entries are buffered, every
 * other entry body is drained and dropped as it streams by.
 */
import { createTarDecoder, type ParsedTarEntry } from 'modern-tar';

export interface ReadArchiveOptions {
  /** What the archive should be, for error messages, e.g. 'cifar-10-binary.tar.gz'. */
  expected?: string;
}

/** Enough bytes to see the gzip magic (2 bytes) and the tar 'ustar' magic (offset 257). */
const SNIFF_BYTES = 512;

type ArchiveKind = 'gzip' | 'tar' | 'zip' | 'empty' | 'unknown';

function archiveKind(head: Uint8Array): ArchiveKind {
  if (head.length === 0) return 'empty';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  // POSIX ustar and GNU tar both put "ustar" at offset 257 of the first header block.
  const ustar = [0x75, 0x73, 0x74, 0x61, 0x72];
  if (head.length >= 262 && ustar.every((b, i) => head[257 + i] === b)) return 'tar';
  return 'unknown';
}

/**
 * Reads the first bytes of `stream` without losing them: returns those bytes and a stream that
 * yields the whole original content (the peeked chunks first, then the rest).
 */
async function sniff(
  stream: ReadableStream<Uint8Array>,
  bytes: number,
): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  let done = false;
  while (have < bytes) {
    const r = await reader.read();
    if (r.done) {
      done = true;
      break;
    }
    if (!(r.value instanceof Uint8Array)) {
      await reader.cancel();
      throw new Error('the archive stream must yield Uint8Array chunks');
    }
    if (r.value.length === 0) continue;
    chunks.push(r.value);
    have += r.value.length;
  }
  const head = new Uint8Array(Math.min(have, bytes));
  let at = 0;
  for (const c of chunks) {
    if (at >= head.length) break;
    const take = Math.min(c.length, head.length - at);
    head.set(c.subarray(0, take), at);
    at += take;
  }
  const replay = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        chunks.length = 0;
        if (done) controller.close();
      },
      async pull(controller) {
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { head, stream: replay };
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reads a body to its end, discarding the bytes. */
async function drain(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  while (!(await reader.read()).done) {
    // discard
  }
}

/** Reads one entry body fully into a buffer of exactly `size` bytes. */
async function readBody(body: ReadableStream<Uint8Array>, size: number, name: string): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  const reader = body.getReader();
  let at = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    if (at + r.value.length > size) {
      await reader.cancel();
      throw new Error(`archive entry ${name} is longer than the ${size} bytes its header declares`);
    }
    out.set(r.value, at);
    at += r.value.length;
  }
  if (at !== size) {
    throw new Error(
      `archive entry ${name} ended after ${at} of ${size} bytes: the archive looks truncated or corrupt`,
    );
  }
  return out;
}

/**
 * Extracts the regular files whose path `keep` accepts from a gzip-compressed tar stream (or an
 * uncompressed tar stream, recognised by its 'ustar' magic). Returns their contents keyed by
 * path inside the archive, in archive order. Everything else is skipped without buffering.
 */
export async function readArchiveFiles(
  stream: ReadableStream<Uint8Array>,
  keep: (path: string) => boolean,
  options: ReadArchiveOptions = {},
): Promise<Map<string, Uint8Array>> {
  const expected = options.expected ?? 'a .tar.gz archive';
  const sniffed = await sniff(stream, SNIFF_BYTES);
  const kind = archiveKind(sniffed.head);
  let tarBytes: ReadableStream<Uint8Array>;
  if (kind === 'gzip') {
    if (typeof DecompressionStream === 'undefined') {
      await sniffed.stream.cancel();
      throw new Error('this environment has no DecompressionStream, so .tar.gz archives cannot be read here');
    }
    // The lib types DecompressionStream's input as BufferSource, which excludes SharedArrayBuffer-
    // backed views; file and fetch streams never yield those.
    const gunzip = new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
    tarBytes = sniffed.stream.pipeThrough(gunzip);
  } else if (kind === 'tar') {
    tarBytes = sniffed.stream;
  } else {
    await sniffed.stream.cancel();
    if (kind === 'empty') throw new Error(`the archive is empty: expected ${expected}`);
    if (kind === 'zip') {
      throw new Error(`not a gzip archive (this is a .zip file): expected ${expected}`);
    }
    throw new Error(`not a gzip archive: expected ${expected}`);
  }

  const entries = tarBytes.pipeThrough(createTarDecoder()).getReader();
  const files = new Map<string, Uint8Array>();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<ParsedTarEntry>;
      try {
        next = await entries.read();
      } catch (e) {
        throw new Error(
          `could not read the archive: ${describeError(e)}; it looks truncated or corrupt (expected ${expected})`,
        );
      }
      if (next.done) break;
      const { header, body } = next.value;
      const isFile = header.type === undefined || header.type === 'file';
      if (!isFile || !keep(header.name)) {
        // modern-tar stalls unless each body is drained or cancelled. Drain, don't cancel: in
        // modern-tar 0.8.6 cancelling a body whose bytes were all enqueued already (a small entry
        // the decoder has moved past) detaches the *next* entry's body, and the stream hangs.
        await drain(body);
        continue;
      }
      try {
        files.set(header.name, await readBody(body, header.size, header.name));
      } catch (e) {
        const msg = describeError(e);
        throw new Error(
          msg.startsWith('archive entry')
            ? msg
            : `could not read ${header.name} from the archive: ${msg}; it looks truncated or corrupt ` +
                `(expected ${expected})`,
        );
      }
    }
  } catch (e) {
    await entries.cancel().catch(() => {});
    throw e;
  }
  return files;
}

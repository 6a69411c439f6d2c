import { describe, expect, it } from 'vitest';
import { formatDownloaded } from '../engine/spec/format-bytes';
import {
  type Download,
  DownloadError,
  type DownloadOptions,
  type DownloadProgress,
  withDownload,
} from './download';

/** A response whose body the test feeds chunk by chunk. */
function controlledResponse(headers: Record<string, string>) {
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      feed = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers }),
    send: (bytes: number) => feed.enqueue(new Uint8Array(bytes)),
    end: () => feed.close(),
    fail: (error: Error) => feed.error(error),
  };
}

/** withDownload of one controlled response, with every progress report it made. */
function downloadOf<T>(
  label: string,
  headers: Record<string, string>,
  load: (download: Download) => Promise<T>,
  options: DownloadOptions = {},
) {
  const reports: DownloadProgress[] = [];
  const r = controlledResponse(headers);
  const done = withDownload(label, (p) => reports.push(p), load, {
    fetch: async () => r.response,
    ...options,
  });
  return { reports, r, done };
}

/** A clock that moves a second each time it is read: a rate that does not depend on the machine. */
function secondClock(): () => number {
  let ms = 0;
  return () => (ms += 1000);
}

async function readAll(res: Response): Promise<number> {
  return (await res.arrayBuffer()).byteLength;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('a download with progress', () => {
  it('counts the bytes as the body is read, against the Content-Length of every file', async () => {
    const reports: DownloadProgress[] = [];
    const a = controlledResponse({ 'Content-Length': '3000000' });
    const b = controlledResponse({ 'Content-Length': '1000000' });
    const files: Record<string, Response> = { '/a': a.response, '/b': b.response };
    const done = withDownload(
      'the test set',
      (p) => reports.push(p),
      async (d) => Promise.all([d.fetch('/a').then(readAll), d.fetch('/b').then(readAll)]),
      { fetch: async (url) => files[String(url)]!, now: secondClock() },
    );
    await tick();
    a.send(1_000_000);
    await tick();
    b.send(500_000);
    await tick();
    a.send(2_000_000);
    b.send(500_000);
    a.end();
    b.end();
    expect(await done).toEqual([3_000_000, 1_000_000]);
    const loading = reports.filter((r) => r.state === 'loading');
    // Rising, never past the total, which both responses' lengths make.
    const loaded = loading.map((r) => r.loadedBytes);
    expect(loaded).toEqual([...loaded].sort((x, y) => x - y));
    expect(loaded.at(-1)).toBeGreaterThanOrEqual(1_500_000);
    expect(loading.filter((r) => r.totalBytes !== null).every((r) => r.totalBytes === 4_000_000)).toBe(true);
    expect(reports.at(-1)).toEqual({
      label: 'the test set',
      loadedBytes: 4_000_000,
      totalBytes: 4_000_000,
      state: 'done',
      message: null,
    });
  });

  it('scales the decoded bytes of a compressed response to its Content-Length', async () => {
    // 1 MB on the wire that decodes to 4 MB: 2 MB read is half the transfer.
    const { reports, r, done } = downloadOf(
      'x',
      { 'Content-Length': '1000000', 'Content-Encoding': 'gzip' },
      async (d) => readAll(await d.fetch('/x', 4_000_000)),
      { now: secondClock() },
    );
    await tick();
    r.send(2_000_000);
    await tick();
    expect(reports.at(-1)).toMatchObject({ loadedBytes: 500_000, totalBytes: 1_000_000, state: 'loading' });
    r.send(2_000_000);
    r.end();
    await done;
    expect(reports.at(-1)).toMatchObject({ loadedBytes: 1_000_000, totalBytes: 1_000_000, state: 'done' });
  });

  it('has no total when a compressed size cannot be scaled, and counts what came', async () => {
    const { reports, r, done } = downloadOf(
      'x',
      { 'Content-Encoding': 'br' },
      async (d) => readAll(await d.fetch('/x')),
      { now: secondClock() },
    );
    await tick();
    r.send(1234);
    r.end();
    await done;
    expect(reports.filter((p) => p.state === 'loading').at(-1)).toMatchObject({
      loadedBytes: 1234,
      totalBytes: null,
    });
  });

  it('says when it stalls, and gives up with a DownloadError that says where it stopped', async () => {
    const { reports, r, done } = downloadOf(
      'the CIFAR-10 starter set',
      { 'Content-Length': '31000000' },
      async (d) => readAll(await d.fetch('/x')),
      { stallNoticeMs: 60, stallAbortMs: 200 },
    );
    await tick();
    r.send(12_000_000);
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toMatch(
      /^Downloading the CIFAR-10 starter set stalled: no data for \d+ s at 12 of 31 MB\. Check the connection and retry\.$/,
    );
    expect(reports.map((p) => p.state)).toContain('stalled');
    expect(reports.at(-1)).toMatchObject({ state: 'failed', message: (error as Error).message });
  });

  it('does not stall while what came down is being checked (no body left to read)', async () => {
    const { reports, r, done } = downloadOf(
      'x',
      { 'Content-Length': '1000' },
      async (d) => {
        const bytes = await readAll(await d.fetch('/x'));
        // Decompressing and hashing a big file: longer than the stall limits, with no request open.
        await new Promise((resolve) => setTimeout(resolve, 400));
        return bytes;
      },
      { stallNoticeMs: 60, stallAbortMs: 150 },
    );
    await tick();
    r.send(1000);
    r.end();
    expect(await done).toBe(1000);
    expect(reports.map((p) => p.state)).not.toContain('stalled');
    expect(reports.at(-1)).toMatchObject({ state: 'done', loadedBytes: 1000, totalBytes: 1000 });
  });

  it('says where a connection broke off, not that the file is corrupt', async () => {
    const { reports, r, done } = downloadOf(
      'the CIFAR-10 starter set',
      { 'Content-Length': '31000000' },
      // A reader that, like the starter's, wraps whatever error reading gives in its own words.
      async (d) =>
        readAll(await d.fetch('/x')).catch((e: unknown) => {
          throw new Error(`could not be decompressed (${(e as Error).message})`);
        }),
    );
    await tick();
    r.send(5_000_000);
    await tick();
    r.fail(new TypeError('network error'));
    const error = (await done.catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toBe(
      'Downloading the CIFAR-10 starter set broke off at 5 of 31 MB (network error). Check the connection and retry.',
    );
    expect(reports.at(-1)).toMatchObject({ state: 'failed', loadedBytes: 5_000_000, message: error.message });
  });

  it('reports a failed request once, with its message, and rethrows it', async () => {
    const reports: DownloadProgress[] = [];
    const err = await withDownload(
      'the teacher t',
      (p) => reports.push(p),
      async (d) => d.fetch('/x'),
      {
        fetch: async () => {
          throw new TypeError('Failed to fetch');
        },
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(reports.filter((p) => p.state === 'failed')).toEqual([
      {
        label: 'the teacher t',
        loadedBytes: 0,
        totalBytes: null,
        state: 'failed',
        message: 'Failed to fetch',
      },
    ]);
  });
});

describe('formatDownloaded', () => {
  it('gives decimal megabytes, whole from 10 MB on', () => {
    expect(formatDownloaded(12_345_678, 31_454_141)).toBe('12 of 31 MB');
    expect(formatDownloaded(400_000, 4_823_592)).toBe('0.4 of 4.8 MB');
    expect(formatDownloaded(5_000_000, null)).toBe('5.0 MB');
    // Never more than the total.
    expect(formatDownloaded(5_000_001, 5_000_000)).toBe('5.0 of 5.0 MB');
  });
});

/**
 * Downloads of the site's own files (the CIFAR-10 starter set, a site-served CIFAR archive, a
 * shipped teacher's weights) that say how far they are. One Download is one thing the page
 * names ("the CIFAR-10 starter set"), made of one or more files fetched in parallel; bytes are
 * counted as each body is read, against the responses' Content-Length, and reported to the page
 * a few times a second.
 *
 * A download that gets no byte for STALL_NOTICE_MS is reported as stalled (still waiting); after
 * STALL_ABORT_MS it is abandoned with a DownloadError, so the page can say so and offer a retry.
 * Files are fetched through the browser's HTTP cache (fetch's default mode), so a second visit
 * reuses or revalidates them instead of downloading them again (docs/guide.md, "Downloads").
 */
import { formatDownloaded } from '../engine/spec/format-bytes';

export type DownloadState = 'loading' | 'stalled' | 'done' | 'failed';

/** What the page is told about a download. */
export interface DownloadProgress {
  /** What is downloading, as the page says it: "the CIFAR-10 starter set". */
  label: string;
  /** Bytes received so far (of the transfer; see Download.fetch for compressed responses). */
  loadedBytes: number;
  /** Bytes in all, once every file's response has said; null while unknown. */
  totalBytes: number | null;
  state: DownloadState;
  /** Why it failed or stalled, in words; null otherwise. */
  message: string | null;
}

/** A download that failed or stalled: the connection or the host, not the files' content. */
export class DownloadError extends Error {
  override name = 'DownloadError';
}

/** No byte for this long: the page says the download is stalled. */
export const STALL_NOTICE_MS = 8_000;
/** No byte for this long: the download is abandoned, and the page offers a retry. */
export const STALL_ABORT_MS = 30_000;
/** Progress is reported at most this often (and at the end). */
const REPORT_EVERY_MS = 200;

export interface DownloadOptions {
  stallNoticeMs?: number;
  stallAbortMs?: number;
  /** Wall clock in ms (performance.now); tests pass their own. */
  now?: () => number;
  fetch?: typeof fetch;
}

interface FileCount {
  /** Bytes counted so far (already scaled to the transfer for a decoded body). */
  loaded: number;
  /** This file's size, or null while its response has not arrived or has no usable length. */
  total: number | null;
}

export class Download {
  private readonly files: FileCount[] = [];
  private readonly controller = new AbortController();
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  private readonly stallNoticeMs: number;
  private readonly stallAbortMs: number;
  private lastByteAt: number;
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private state: DownloadState = 'loading';
  private message: string | null = null;
  private stallError: DownloadError | null = null;
  private networkError: DownloadError | null = null;
  /** Requests whose body is not read to its end yet: only they can stall (reading what came can take long). */
  private open = 0;
  private readonly watchdog: ReturnType<typeof setInterval>;

  constructor(
    readonly label: string,
    private readonly report: (progress: DownloadProgress) => void,
    options: DownloadOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.fetchFn = options.fetch ?? ((...args) => fetch(...args));
    this.stallNoticeMs = options.stallNoticeMs ?? STALL_NOTICE_MS;
    this.stallAbortMs = options.stallAbortMs ?? STALL_ABORT_MS;
    this.lastByteAt = this.now();
    this.watchdog = setInterval(() => this.checkStall(), Math.min(1000, this.stallNoticeMs / 2));
    this.post(true);
  }

  /**
   * Fetches one file of the download; its body counts as it is read. `decodedBytes` is the size
   * of the file as read when the host sends it compressed (Content-Encoding): the browser then
   * hands over decoded bytes while Content-Length counts the compressed ones, so bytes read are
   * scaled to Content-Length. Without it such a file's size is unknown and only bytes read count.
   */
  async fetch(url: string, decodedBytes?: number): Promise<Response> {
    const file: FileCount = { loaded: 0, total: null };
    this.files.push(file);
    this.opened(1);
    let res: Response;
    try {
      res = await this.fetchFn(url, { signal: this.controller.signal });
    } catch (err) {
      this.opened(-1);
      throw this.failure(err);
    }
    this.lastByteAt = this.now();
    const length = Number(res.headers.get('Content-Length'));
    const encoding = (res.headers.get('Content-Encoding') ?? 'identity').toLowerCase();
    const known = Number.isFinite(length) && length > 0;
    const scale = encoding === 'identity' ? 1 : known && decodedBytes ? length / decodedBytes : null;
    file.total = known && scale !== null ? length : null;
    if (!res.body) {
      this.opened(-1);
      return res;
    }
    const reader = res.body.getReader();
    const { signal } = this.controller;
    // An abandoned (stalled) download ends its body's pending read at once, whatever the host does.
    signal.addEventListener('abort', () => void reader.cancel(signal.reason).catch(() => {}), { once: true });
    const counted = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
          if (signal.aborted) throw signal.reason;
        } catch (err) {
          // The connection broke off (or the stall watchdog gave up): say so, not "corrupt file".
          this.networkError ??= new DownloadError(
            `Downloading ${this.label} broke off at ${formatDownloaded(this.progress().loadedBytes, this.progress().totalBytes)} ` +
              `(${err instanceof Error ? err.message : String(err)}). Check the connection and retry.`,
          );
          void reader.cancel().catch(() => {});
          this.opened(-1);
          controller.error(this.stallError ?? this.networkError);
          return;
        }
        if (chunk.done) {
          this.opened(-1);
          controller.close();
          return;
        }
        file.loaded += chunk.value.length * (scale ?? 1);
        this.lastByteAt = this.now();
        if (this.state === 'stalled') {
          this.state = 'loading';
          this.message = null;
        }
        this.post(false);
        controller.enqueue(chunk.value);
      },
      cancel: (reason) => {
        this.opened(-1);
        return reader.cancel(reason);
      },
    });
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  }

  /** Every file is in: says so, and stops watching for stalls. */
  finish(): void {
    if (this.state === 'done' || this.state === 'failed') return;
    clearInterval(this.watchdog);
    this.state = 'done';
    // Counted bytes of a scaled body can fall a little short of the length: the total is what came.
    for (const f of this.files) if (f.total !== null) f.loaded = f.total;
    this.post(true);
  }

  /**
   * The error to throw for a failure while downloading (or while reading what came down): the
   * stall that cut it short, when that was the cause, else `err` itself. Reports the failure once.
   */
  failure(err: unknown): unknown {
    const error = this.stallError ?? this.networkError ?? err;
    if (this.state !== 'failed' && this.state !== 'done') {
      clearInterval(this.watchdog);
      this.state = 'failed';
      this.message = error instanceof Error ? error.message : String(error);
      this.post(true);
    }
    return error;
  }

  private progress(): DownloadProgress {
    const loaded = this.files.reduce((sum, f) => sum + f.loaded, 0);
    const total =
      this.files.length === 0 || this.files.some((f) => f.total === null)
        ? null
        : this.files.reduce((sum, f) => sum + (f.total ?? 0), 0);
    return {
      label: this.label,
      loadedBytes: Math.round(loaded),
      totalBytes: total,
      state: this.state,
      message: this.message,
    };
  }

  private post(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastReportAt < REPORT_EVERY_MS) return;
    this.lastReportAt = now;
    this.report(this.progress());
  }

  /** One more (or one fewer) body being read; the quiet time counts from the last change too. */
  private opened(delta: 1 | -1): void {
    this.open += delta;
    this.lastByteAt = this.now();
  }

  private checkStall(): void {
    if (this.state !== 'loading' && this.state !== 'stalled') return;
    if (this.open <= 0) {
      // Everything has come; what remains (decompressing, checking) is not the connection's.
      if (this.state === 'stalled') {
        this.state = 'loading';
        this.message = null;
        this.post(true);
      }
      return;
    }
    const quiet = this.now() - this.lastByteAt;
    if (quiet >= this.stallAbortMs) {
      const { loadedBytes, totalBytes } = this.progress();
      this.stallError = new DownloadError(
        `Downloading ${this.label} stalled: no data for ${Math.round(quiet / 1000)} s at ` +
          `${formatDownloaded(loadedBytes, totalBytes)}. Check the connection and retry.`,
      );
      this.controller.abort(this.stallError);
      this.failure(this.stallError);
    } else if (quiet >= this.stallNoticeMs && this.state === 'loading') {
      this.state = 'stalled';
      this.message = `No data for ${Math.round(quiet / 1000)} s; still waiting.`;
      this.post(true);
    }
  }
}

/**
 * Runs `load` as one download labelled `label`: it fetches through the Download it is given.
 * Reports the end, or the failure (the stall that caused it, when one did).
 */
export async function withDownload<T>(
  label: string,
  report: (progress: DownloadProgress) => void,
  load: (download: Download) => Promise<T>,
  options?: DownloadOptions,
): Promise<T> {
  const download = new Download(label, report, options);
  try {
    const result = await load(download);
    download.finish();
    return result;
  } catch (err) {
    throw download.failure(err);
  }
}

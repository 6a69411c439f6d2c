import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, expect, type Page, test } from '@playwright/test';
import { artifactPath, BASE_URL, chromiumLaunchOptions } from '../scripts/lib/browser';

// Download progress on a slow connection: the built app is served through a proxy in front of
// `vite preview` that sends the site's data and models (public/data, public/models) at a few
// MB/s, as a real host would over a home connection. The page must say what it downloads and
// how far it is before the first step, say so when a download breaks off and offer a retry,
// and a second visit must not download the files again (the browser's HTTP cache keeps them).

/** Bytes a second for data and models: the 31 MB starter set takes about ten seconds. */
const RATE = 3e6;

interface Proxy {
  url: string;
  /** Body bytes sent per path, counting every response. */
  sent: Map<string, number>;
  /** Status codes answered per path, in order. */
  statuses: Map<string, number[]>;
  /** Paths whose next response breaks off after this many body bytes. */
  breakAfter: Map<string, number>;
  close: () => Promise<void>;
}

/** A proxy on a free port that throttles /data/ and /models/ and can break a response off. */
async function startProxy(): Promise<Proxy> {
  const sent = new Map<string, number>();
  const statuses = new Map<string, number[]>();
  const breakAfter = new Map<string, number>();
  const upstream = new URL(BASE_URL);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const up = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (upRes) => {
        statuses.set(path, [...(statuses.get(path) ?? []), upRes.statusCode ?? 0]);
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const slow = /^\/(data|models)\//.test(path);
        const cut = breakAfter.get(path);
        breakAfter.delete(path);
        const started = Date.now();
        let bytes = 0;
        upRes.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          sent.set(path, (sent.get(path) ?? 0) + chunk.length);
          if (cut !== undefined && bytes >= cut) {
            upRes.destroy();
            res.destroy(); // the connection breaks off mid-body
            return;
          }
          // Throttle: hold the next chunk until the rate allows what has been sent (and until
          // the browser has taken this one).
          const due = slow ? started + (bytes / RATE) * 1000 - Date.now() : 0;
          const drained = res.write(chunk);
          if (drained && due <= 0) return;
          upRes.pause();
          const resume = () => setTimeout(() => upRes.resume(), Math.max(0, due));
          if (drained) resume();
          else res.once('drain', resume);
        });
        upRes.on('end', () => res.end());
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    sent,
    statuses,
    breakAfter,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Records every text the download line shows, with the step shown at that moment. */
async function recordDownloadLine(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __downloads: { text: string; step: string }[] };
    w.__downloads = [];
    const panel = document.querySelector('[aria-label="Run controls"]')!;
    new MutationObserver(() => {
      const text = panel.querySelector('[data-testid="download"]')?.textContent ?? '';
      const step = panel.querySelector('[data-testid="step"]')?.textContent ?? '';
      if (text && w.__downloads.at(-1)?.text !== text) w.__downloads.push({ text, step });
    }).observe(panel, { childList: true, subtree: true, characterData: true });
  });
}

const recorded = (page: Page) =>
  page.evaluate(() => (window as unknown as { __downloads: { text: string; step: string }[] }).__downloads);

const STARTER = /^Downloading the CIFAR-10 starter set: (\d+) of (\d+) MB/;
// The tiny preset on wasm: this is about the downloads, not the training.
const LINK = '/?testhooks#v=1&preset=tiny&backend=wasm&steps=400';

let proxy: Proxy;
test.beforeEach(async () => {
  proxy = await startProxy();
});
test.afterEach(async () => {
  await proxy.close();
});

test('on a slow connection the run panel counts the MB of the starter set up before the first step; a second visit downloads nothing again', async () => {
  test.setTimeout(300_000);
  // A browser profile on disk, as a visitor's is: Playwright's default contexts are private ones
  // whose small in-memory HTTP cache never keeps a 29 MB file.
  const profile = mkdtempSync(path.join(os.tmpdir(), 'kd-download-'));
  const context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
  try {
    await slowThenCached(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

async function slowThenCached(context: BrowserContext): Promise<void> {
  const page = await context.newPage();
  await page.goto(proxy.url + LINK);
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 150_000 });
  await recordDownloadLine(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('download')).toContainText('Downloading the CIFAR-10 starter set', {
    timeout: 60_000,
  });
  await page.screenshot({ path: artifactPath('download-progress.png') });
  await expect.poll(() => page.getByTestId('step').textContent(), { timeout: 180_000 }).not.toBe('0');

  const lines = await recorded(page);
  const starter = lines
    .map((l) => ({ m: STARTER.exec(l.text), step: l.step }))
    .filter((l) => l.m !== null)
    .map((l) => ({ mb: Number(l.m![1]), total: Number(l.m![2]), step: l.step }));
  console.info(`download lines: ${starter.map((l) => `${l.mb}/${l.total}`).join(', ')}`);
  // Rising through several values, all before the first step, against the 31 MB of the files.
  expect(starter.length).toBeGreaterThanOrEqual(4);
  expect(starter.every((l) => l.step === '0')).toBe(true);
  expect(starter.every((l) => l.total === 31)).toBe(true);
  const mbs = starter.map((l) => l.mb);
  expect(mbs).toEqual([...mbs].sort((a, b) => a - b));
  expect(new Set(mbs).size).toBeGreaterThanOrEqual(4);
  // The proxy sent them whole, once.
  expect(proxy.sent.get('/data/starter/train.bin.gz')).toBe(28_594_254);

  // A second visit: the browser's cache has the files, so the host sends no body again (a 304
  // after revalidation, or no request at all).
  const second = await context.newPage();
  await second.goto(proxy.url + LINK);
  await expect(second.getByTestId('status')).toHaveText(/^idle/, { timeout: 150_000 });
  await second.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => second.getByTestId('step').textContent(), { timeout: 120_000 }).not.toBe('0');
  expect(proxy.sent.get('/data/starter/train.bin.gz')).toBe(28_594_254);
  expect(
    proxy.statuses
      .get('/data/starter/train.bin.gz')
      ?.slice(1)
      .every((s) => s === 304),
  ).toBe(true);
}

test('a download that breaks off says where, and Retry downloads it again and starts the run', async ({
  page,
}) => {
  test.setTimeout(300_000);
  proxy.breakAfter.set('/data/starter/train.bin.gz', 8_000_000);
  await page.goto(proxy.url + LINK);
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 150_000 });
  await page.getByRole('button', { name: 'Start' }).click();
  const line = page.getByTestId('download');
  await expect(line).toContainText(/^Downloading the CIFAR-10 starter set broke off at \d+ of 31 MB/, {
    timeout: 90_000,
  });
  await expect(line).toContainText('Check the connection and retry.');
  await page.screenshot({ path: artifactPath('download-broke-off.png') });
  await line.getByRole('button', { name: 'Retry' }).click();
  await expect(line).toContainText(STARTER, { timeout: 30_000 });
  await expect.poll(() => page.getByTestId('step').textContent(), { timeout: 180_000 }).not.toBe('0');
  await expect(line).toHaveCount(0);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { plainStaticServer } from '../scripts/lib/static-server';

// Threaded wasm needs a cross-origin isolated page. `vite preview` (what the other tests use)
// sends COOP/COEP itself; a plain static host sends nothing, and the app's service worker
// (coi-serviceworker) supplies the headers after one reload. Both must give wasm its threads,
// and the "Image address" feature must still load images from other origins that allow it.

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

/** A 32 x 32 gradient PNG (made with Python's zlib; any small PNG would do). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAGyklEQVR42hXVEdvGIBiG4ReH4XAYDofhMAyH4XB44TAMw2EYhuEwDIfD8Nu3H9DZ8XQ/936/H8MP8WP8Mf2QP+Yfyw/1Y/2hf5gf2w/7Y/9x/ODH+cP98D/Cj+tH/JF+5B/lx/2j/mg/nh/vj/7j9xsYBsTAODANyIF5YBlQA+uAHjAD24Ad2AeOAQbOATfgB8LANRAH0kAeKAP3QB1oA8/AO9CHDxAMAiEYBZNACmbBIlCCVaAFRrAJrGAXHAIEp8AJvCAILkEUJEEWFMEtqIImeASvoIsPGBlGxMg4Mo3IkXlkGVEj64geMSPbiB3ZR44RRs4RN+JHwsg1EkfSSB4pI/dIHWkjz8g70scPmBgmxMQ4MU3IiXlimVAT64SeMBPbhJ3YJ44JJs4JN+EnwsQ1ESfSRJ4oE/dEnWgTz8Q70acPkAwSIRklk0RKZskiUZJVoiVGskmsZJccEiSnxEm8JEguSZQkSZYUyS2pkiZ5JK+kyw+YGWbEzDgzzciZeWaZUTPrjJ4xM9uMndlnjhlmzhk342fCzDUTZ9JMnikz90ydaTPPzDvT5w9YGBbEwrgwLciFeWFZUAvrgl4wC9uCXdgXjgUWzgW34BfCwrUQF9JCXigL90JdaAvPwrvQlw9QDAqhGBWTQipmxaJQilWhFUaxKaxiVxwKFKfCKbwiKC5FVCRFVhTFraiKpngUr6KrD1gZVsTKuDKtyJV5ZVlRK+uKXjEr24pd2VeOFVbOFbfiV8LKtRJX0kpeKSv3Sl1pK8/Ku9LXD9AMGqEZNZNGambNolGaVaM1RrNprGbXHBo0p8ZpvCZoLk3UJE3WFM2tqZqmeTSvpusPMAwGYRgNk0EaZsNiUIbVoA3GsBmsYTccBgynwRm8IRguQzQkQzYUw22ohmZ4DK+hmw/YGDbExrgxbciNeWPZUBvrht4wG9uG3dg3jg02zg234TfCxrURN9JG3igb90bdaBvPxrvRtw+wDBZhGS2TRVpmy2JRltWiLcayWaxltxwWLKfFWbwlWC5LtCRLthTLbamWZnksr6XbD9gZdsTOuDPtyJ15Z9lRO+uO3jE7247d2XeOHXbOHbfjd8LOtRN30k7eKTv3Tt1pO8/Ou9P3DzgYDsTBeDAdyIP5YDlQB+uBPjAH24E92A+OAw7OA3fgD8LBdRAP0kE+KAf3QT1oB8/Be9CPD/gv4K8ivxL7auYrgm9Vv2X64v4F8ovM96jf2L/BfFf/Dv//TnDgIcAFERJkKHBDhQYPvNC/38fvZDgRJ+PJdCJP5pPlRJ2sJ/rEnGwn9mQ/Oc7/488Td+JPwsl1Ek/SST4pJ/dJPWknz8l70s8PcAwO4Rgdk0M6ZsfiUI7VoR3GsTmsY3cc7v/yp8M5vCM4Lkd0JEd2FMftqI7meByvo7sP8Awe4Rk9k0d6Zs/iUZ7Voz3Gs3msZ/cc/n80p8d5vCd4Lk/0JE/2FM/tqZ7meTyvp/sPCAwBERgDU0AG5sASUIE1oAMmsAVsYA8c4X/wZ8AFfCAErkAMpEAOlMAdqIEWeAJvoIcPuBguxMV4MV3Ii/liuVAX64W+MBfbhb3YL47r/1nPC3fhL8LFdREv0kW+KBf3Rb1oF8/Fe9GvD4gMEREZI1NERubIElGRNaIjJrJFbGSPHPE/NGfERXwkRK5IjKRIjpTIHamRFnkib6THD0gMCZEYE1NCJubEklCJNaETJrElbGJPHOk/kmfCJXwiJK5ETKRETpTEnaiJlngSb6KnD8gMGZEZM1NGZubMklGZNaMzJrNlbGbPHPk/8GfGZXwmZK5MzKRMzpTMnamZlnkyb6bnDygMBVEYC1NBFubCUlCFtaALprAVbGEvHOV/nc6CK/hCKFyFWEiFXCiFu1ALrfAU3kIvH3Az3Iib8Wa6kTfzzXKjbtYbfWNutht7s98c9/+ynjfuxt+Em+sm3qSbfFNu7pt6026em/em3x9QGSqiMlamiqzMlaWiKmtFV0xlq9jKXjnqfxWcFVfxlVC5KrGSKrlSKnelVlrlqbyVXj+gMTREY2xMDdmYG0tDNdaGbpjG1rCNvXG0/6I5G67hG6FxNWIjNXKjNO5GbbTG03gbvX3Aw/AgHsaH6UE+zA/Lg3pYH/SDedge7MP+cDz/NXY+uAf/EB6uh/iQHvJDebgf6kN7eB7eh/58wMvwIl7Gl+lFvswvy4t6WV/0i3nZXuzL/nK8/yV5vrgX/xJerpf4kl7yS3m5X+pLe3le3pf+fkBn6IjO2Jk6sjN3lo7qrB3dMZ2tYzt75+j/FXx2XMd3QufqxE7q5E7p3J3aaZ2n83Z65w80CuBMrqY5NQAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * A PNG from another origin over https (the page's CSP allows image addresses over https
 * only), with or without CORS permission. The certificate is self-signed for the test.
 */
async function imageServer(): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-server-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const server = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
    const cors = req.url?.startsWith('/cors/');
    res.writeHead(200, {
      'Content-Type': 'image/png',
      ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}),
    });
    res.end(PNG);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const port = (s: Server) => (s.address() as AddressInfo).port;

/**
 * The page is isolated, the worker loaded wasm's threaded SIMD build, and the badge shows the
 * threads the app asks for: every logical core the browser reports, at most 8 (tfjs's own
 * default, cores / 2, would leave a 2-core machine one thread).
 */
async function expectThreadedWasm(page: Page, wasmFiles: string[]): Promise<number> {
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 170_000 });
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
  expect(
    wasmFiles.some((url) => /tfjs-backend-wasm-threaded-simd[^/]*\.wasm$/.test(url)),
    wasmFiles.join(', '),
  ).toBe(true);
  const text = (await page.getByTestId('backend').textContent()) ?? '';
  const threads = Number(/^wasm · (\d+) threads?$/.exec(text)?.[1]);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(threads, `badge: ${text}`).toBe(Math.min(8, Math.max(1, cores)));
  return threads;
}

function watchWasm(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) urls.push(r.url());
  });
  return urls;
}

test('vite preview: the page is cross-origin isolated and wasm runs its threaded build', async ({ page }) => {
  const wasm = watchWasm(page);
  await page.goto('/#v=1&preset=tiny&backend=wasm');
  await expectThreadedWasm(page, wasm);
});

test.describe(() => {
  // The image server's certificate is self-signed.
  test.use({ ignoreHTTPSErrors: true });
  test('an isolated page (COEP require-corp, the CSP) still loads image addresses from sites that allow it', async ({
    page,
  }) => {
    const images = await imageServer();
    try {
      await page.goto('/#v=1&preset=tiny&backend=wasm');
      await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 170_000 });
      expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
      // Another origin that allows CORS: the image is fetched and analysed.
      await page.getByLabel('Image address').fill(`https://127.0.0.1:${port(images)}/cors/gradient.png`);
      await page.getByRole('button', { name: 'Add' }).click();
      await expect(page.getByTestId('image-card')).toHaveCount(1);
      // One that does not: a message, and nothing added.
      // It is typed while the first image may still be analysed: finishing that must not wipe it.
      const closed = `https://127.0.0.1:${port(images)}/closed/gradient.png`;
      await page.getByLabel('Image address').fill(closed);
      await page.getByRole('button', { name: 'Add' }).click();
      await expect(page.getByTestId('toasts')).toContainText(/CORS|could not be read|not allow/i);
      await expect(page.getByTestId('image-card')).toHaveCount(1);
      // Refused, so the address stays in the field to be corrected.
      await expect(page.getByLabel('Image address')).toHaveValue(closed);
    } finally {
      images.close();
    }
  });
  test('a plain static server: the service worker isolates the page, and auto measures threaded wasm and passes over emulated WebGPU, saying why', async ({
    page,
  }) => {
    // auto self-tests and times wasm; SwiftShader's WebGPU is passed over untimed.
    test.setTimeout(180_000);
    const site = await plainStaticServer(DIST);
    try {
      const base = `http://localhost:${port(site)}/`;
      const wasm = watchWasm(page);
      // backend=auto (the default): the worker self-tests and times each backend on this config.
      await page.goto(`${base}#v=1&preset=tiny`);
      // The first visit registers the worker and reloads once; isolation holds from then on.
      await page.waitForFunction(() => window.crossOriginIsolated, undefined, { timeout: 60_000 });
      const threads = await expectThreadedWasm(page, wasm);
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      if (cores > 1) expect(threads).toBeGreaterThan(1);
      // WebGPU here is SwiftShader: the page says wasm was measured, and why WebGPU was passed over.
      const reason = page.getByTestId('backend-reason');
      await expect(reason).toContainText(/measured [\d.]+ m?s\/step/);
      await expect(
        page.getByText(/Passed over webgpu: webgpu's adapter \(.*swiftshader.*\) emulates a GPU on the CPU/i),
      ).toBeVisible();
      await page.screenshot({ path: artifactPath('isolation-static-host.png'), fullPage: true });

      console.info(`static host: ${await reason.textContent()}`);
    } finally {
      site.close();
    }
  });
});

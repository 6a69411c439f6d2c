import { expect, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { dropPicture, openApp, waitForStep } from './helpers';

/**
 * The built page carries a Content-Security-Policy that the app itself passes: it trains
 * (worker, WebGPU or WebAssembly) and shows a dropped image without one violation, while
 * a script injected into the page is refused.
 */
test('the Content-Security-Policy refuses injected scripts, and the app runs under it without a violation', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`),
    );
  });
  const violations = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  await openApp(page, '#v=1&preset=tiny&seed=3&tSteps=300');
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");

  // An injected inline script and a script from another site do not run.
  const ran = await page.evaluate(async () => {
    const w = window as unknown as { __injected?: number };
    const inline = document.createElement('script');
    inline.textContent = 'window.__injected = 1';
    document.body.append(inline);
    const remote = document.createElement('script');
    remote.src = 'https://example.com/evil.js';
    document.body.append(remote);
    await new Promise((r) => setTimeout(r, 200));
    return w.__injected ?? 0;
  });
  expect(ran).toBe(0);
  const refused = await violations();
  expect(refused.some((v) => v.startsWith('script-src-elem inline'))).toBe(true);
  expect(refused.some((v) => v.startsWith('script-src-elem https://example.com/evil.js'))).toBe(true);
  const injected = refused.length;

  await page.getByRole('button', { name: 'Start' }).click();
  await waitForStep(page, 2, 200_000);
  await dropPicture(page, 'square.png', 40, [['#ddd', 8, 8, 24, 24]]);
  // Its preview is a data: URL image, decoded under the policy. Exact name: once a run's maps
  // arrive, the card's heatmaps ("… relation of square.png") match the name as a substring.
  const preview = page
    .getByRole('article', { name: 'Image square.png' })
    .getByRole('img', { name: 'square.png', exact: true });
  await expect(preview).toBeVisible();
  expect(await preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  await waitForStep(page, 4, 200_000);
  await page.screenshot({ path: artifactPath('csp-app.png'), fullPage: true });
  expect((await violations()).slice(injected)).toEqual([]);
});

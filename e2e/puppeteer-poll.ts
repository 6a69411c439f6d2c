/** Polling a page driven by puppeteer-core (Firefox over WebDriver BiDi). */
import type { Page as PuppeteerPage } from 'puppeteer-core';

/**
 * Polls `read` in the page until `done` holds. page.waitForFunction builds its predicate with
 * Function(), which the app's Content-Security-Policy blocks; evaluate goes through BiDi's
 * script.callFunction, which it does not.
 */
export async function pollPage<T>(
  page: PuppeteerPage,
  read: () => T,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(read).catch(() => undefined);
    if (value !== undefined && done(value as T)) return value as T;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs / 1000} s (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

import { type Browser, devices, type Page } from '@playwright/test';
import { BASE_URL } from '../scripts/lib/browser';

/**
 * A page for a beforeAll hook, which cannot use the per-test `page` fixture, with the context
 * options the project gives that fixture (playwright.config.ts): the same viewport, user agent
 * and base URL. For tests that only read a page they share, so that the worker's backend start
 * (a self-test, and on SwiftShader a minute or more of shader compiles) is paid once.
 */
export async function sharedPage(browser: Browser): Promise<Page> {
  const { defaultBrowserType: _, ...desktop } = devices['Desktop Chrome'];
  return browser.newPage({ ...desktop, baseURL: BASE_URL });
}

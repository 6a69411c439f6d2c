/**
 * The WGSL kernels against a second WebGPU implementation: Firefox's (wgpu and naga, on Mesa's
 * lavapipe Vulkan driver) beside Chromium's (Dawn and Tint, on SwiftShader). A kernel that
 * reads workgroup memory before a barrier, races, or leans on one compiler's or driver's
 * leniency passes every other test here and trains wrongly on a user's GPU. This is how the
 * relation kernels were caught leaning on drivers that run any number of loop iterations:
 * lavapipe stops each invocation after 65,535, and the default size trained wrongly there.
 *
 * - The tiny preset, seed 3, 30 steps on WebGPU in both browsers: every loss term of every
 *   step within 1e-5 relative (the same kernels, two compilers and drivers).
 * - The default preset, seed 5, 4 steps on Firefox's WebGPU against wasm (Chromium): within
 *   1% (SwiftShader and wasm differ by up to about 0.5% there: another summation order).
 *
 * Firefox: trixie's firefox-esr (153 ESR), unpacked beside the system's packages by
 * scripts/ci/firefox-webgpu.sh (.ci/run runs it), since bookworm's firefox-esr 140 refuses
 * WebGPU; $FIREFOX_PATH overrides. Each test logs and annotates the Firefox it used.
 * Skipped, saying why, when there is no Firefox or it finds no WebGPU adapter (.ci/run
 * installs mesa-vulkan-drivers for lavapipe).
 */
import { expect, type Page, test } from '@playwright/test';
import type { Page as PuppeteerPage } from 'puppeteer-core';
import { BASE_URL } from '../scripts/lib/browser';
import { describeFirefox, findFirefox, launchFirefox } from '../scripts/lib/firefox';
import { openApp, type StoreState } from './helpers';
import { pollPage } from './puppeteer-poll';

type Row = Record<string, number>;
const TERMS = ['kd', 'intra', 'inter', 'random', 'total'] as const;

/**
 * The page's supervisor ends a run that makes no step within 120 s until a step is timed, then
 * restarts it, and after a start over 30 s moves it to wasm. At the default size on lavapipe, on
 * two loaded cores, a step takes longer: the run moved to wasm and its rows then equalled
 * Chromium's wasm rows exactly, a pass that compared nothing. This test is about numbers, not
 * liveness: the limits go out of reach, and each run must end on the backend it began on.
 */
const NO_STALL_LIMITS = { floorMs: 3_600_000, firstStepMs: 3_600_000 };

type Runtime = { fellBack: string | null; backend: { name: string } | null };
const runtimeOf = (state: unknown) => {
  const { fellBack, backend } = (state as { runtime: Runtime }).runtime;
  return { fellBack, backend: backend?.name ?? null };
};

/** Runs `steps` steps of the run the link describes and returns its student rows. */
async function rowsInChromium(page: Page, hash: string, steps: number, backend: string): Promise<Row[]> {
  await openApp(page, hash);
  await page.evaluate((limits) => window.__kd.stallLimits(limits), NO_STALL_LIMITS);
  await page.evaluate((n) => window.__kd.step(n), steps);
  await expect
    .poll(() => page.evaluate(() => window.__kd.store.getState().run.studentRows.length), {
      timeout: 600_000,
      intervals: [1000],
    })
    .toBeGreaterThanOrEqual(steps);
  const after = runtimeOf(await page.evaluate(() => window.__kd.store.getState()));
  expect(after, `Chromium must train all ${steps} steps on ${backend}`).toEqual({ fellBack: null, backend });
  return page.evaluate(() => window.__kd.store.getState().run.studentRows as Row[]);
}

async function rowsInFirefox(page: PuppeteerPage, hash: string, steps: number): Promise<Row[]> {
  await page.goto(`${BASE_URL}/?testhooks${hash}`);
  // pollPage, not waitForFunction: puppeteer builds that predicate with Function(), which the
  // app's Content-Security-Policy refuses in Firefox.
  await pollPage(
    page,
    () => document.querySelector('[data-testid=status]')?.textContent ?? '',
    (status) => status.startsWith('idle'),
    150_000,
    'Firefox: the page idle',
  );
  const backend = await page.$eval('[data-testid=backend]', (e) => e.textContent ?? '');
  expect(backend, 'Firefox must run the WebGPU backend, not fall back').toMatch(/^webgpu/);
  await page.evaluate((limits) => window.__kd.stallLimits(limits), NO_STALL_LIMITS);
  await page.evaluate((n) => void window.__kd.step(n), steps);
  await pollPage(
    page,
    () => (window.__kd.store.getState() as StoreState).run.studentRows.length,
    (rows) => rows >= steps,
    600_000,
    `Firefox: ${steps} steps`,
  );
  const after = runtimeOf(await page.evaluate(() => window.__kd.store.getState()));
  expect(after, `Firefox must train all ${steps} steps on webgpu`).toEqual({
    fellBack: null,
    backend: 'webgpu',
  });
  return page.evaluate(() => (window.__kd.store.getState() as StoreState).run.studentRows as Row[]);
}

/** The largest |a - b| / |b| over every term of every step. */
function worstRelative(a: Row[], b: Row[], steps: number): { worst: number; where: string } {
  let worst = -1;
  let where = '';
  for (let s = 0; s < steps; s++) {
    for (const term of TERMS) {
      const x = a[s]![term]!;
      const y = b[s]![term]!;
      const rel = Math.abs(x - y) / Math.abs(y);
      if (!(rel <= worst)) {
        worst = rel;
        where = `step ${s} ${term}: ${x} vs ${y}`;
      }
    }
  }
  return { worst, where };
}

const firefox = findFirefox({ webgpu: true });

test.describe('the kernels on a second WebGPU implementation (Firefox, wgpu over lavapipe)', () => {
  test.skip('reason' in firefox, `no Firefox: ${'reason' in firefox ? firefox.reason : ''}`);
  test.setTimeout(1_200_000);

  // A fresh Firefox (a fresh profile) for each run: a page that trained before offers to
  // continue its saved run instead of going idle.
  let closeFirefox: () => Promise<void> = async () => {};
  const openFirefox = async (): Promise<PuppeteerPage> => {
    const browser = await launchFirefox({ webgpu: true });
    closeFirefox = () => browser.close();
    const used = await describeFirefox(browser, { webgpu: true });
    console.info(`Firefox: ${used}`);
    test.info().annotations.push({ type: 'firefox', description: used });
    const page = await browser.newPage();
    await page.goto(`${BASE_URL}/favicon.svg`);
    // Some Firefox builds refuse WebGPU whatever the prefs (bookworm's firefox-esr 140:
    // "WebGPU is not yet available in Release or late Beta builds"); trixie's 153 ESR runs it.
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      if (!gpu) return 'navigator.gpu is absent';
      try {
        return (await gpu.requestAdapter()) ? '' : 'no adapter (install mesa-vulkan-drivers for lavapipe)';
      } catch (e) {
        return String((e as Error).message ?? e);
      }
    });
    if (adapter) await closeFirefox();
    test.skip(
      Boolean(adapter),
      `this Firefox (${used}) gives no WebGPU: ${adapter}. scripts/ci/firefox-webgpu.sh unpacks trixie's firefox-esr 153, which does`,
    );
    return page;
  };
  test.afterEach(async () => {
    await closeFirefox();
  });

  test('tiny preset, seed 3, 30 steps: Firefox and Chromium agree within 1e-5 on every term', async ({
    page,
  }) => {
    const hash = '#v=1&preset=tiny&seed=3&backend=webgpu';
    const firefoxPage = await openFirefox();
    const chromium = await rowsInChromium(page, hash, 30, 'webgpu');
    const ff = await rowsInFirefox(firefoxPage, hash, 30);
    const { worst, where } = worstRelative(ff, chromium, 30);
    console.info(`tiny, 30 steps: largest relative difference ${worst.toExponential(2)} (${where})`);
    expect(worst, where).toBeLessThan(1e-5);
  });

  test("default preset, seed 5, 4 steps: Firefox's WebGPU matches wasm within 1%", async ({ page }) => {
    const ff = await rowsInFirefox(await openFirefox(), '#v=1&seed=5&backend=webgpu', 4);
    const wasm = await rowsInChromium(page, '#v=1&seed=5&backend=wasm', 4, 'wasm');
    const { worst, where } = worstRelative(ff, wasm, 4);
    console.info(
      `default, 4 steps: largest relative difference to wasm ${worst.toExponential(2)} (${where})`,
    );
    expect(worst, where).toBeLessThan(0.01);
  });
});

import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { stepValue } from './helpers';
import { sharedPage } from './shared-page';

// The three tests need a page whose worker has started on WebGPU, so they share one: each start
// self-tests webgpu against cpu, and on SwiftShader that compiles shaders for a minute or more
// (2.0-2.3 min a start at load 15 here). Default mode, not serial: after a failure Playwright
// starts a new worker, and beforeAll opens a fresh page for the next test.
let page: Page;
const gpuErrors: string[] = [];

test.beforeAll(async ({ browser }) => {
  page = await sharedPage(browser);
  page.on('console', (msg) => {
    if (msg.type() === 'error') gpuErrors.push(msg.text());
  });
  await page.goto('/#v=1&backend=webgpu');
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 170_000 });
});

test.afterAll(async () => {
  await page?.close();
});

// The foundation check: the built app starts TF.js in its Web Worker on WebGPU, and the
// worker's self-test runs a tiny ViT forward pass and one distillation step on webgpu and
// on cpu and finds them equal: losses, gradients, and the weights after the AdamW update. The
// page reports the numbers; the test holds them to bounds.
test('the worker starts WebGPU and its tiny ViT matches the cpu backend', async () => {
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);

  const row = page.locator('[data-testid="selftest"] tr[data-backend="webgpu"]');
  await expect(row).toHaveAttribute('data-passed', 'true');
  const forwardDiff = Number(await row.getAttribute('data-forward-diff'));
  const stepDiff = Number(await row.getAttribute('data-step-diff'));
  // Logits of a freshly initialised tiny ViT are O(0.1); float32 kernels agree to ~1e-6.
  expect(forwardDiff).toBeLessThan(1e-4);
  // One distillation step's loss terms, relative to cpu: the bound is 1e-3.
  expect(stepDiff).toBeLessThan(1e-3);
  // The step's gradients (relative to the largest) and the weights after its update (in lrs).
  expect(Number(await row.getAttribute('data-gradient-diff'))).toBeLessThan(1e-2);
  expect(Number(await row.getAttribute('data-update-diff'))).toBeLessThan(0.25);
  expect(gpuErrors.filter((t) => /webgpu|GPU|validation/i.test(t))).toEqual([]);
  await page.screenshot({ path: artifactPath('runtime.png'), fullPage: true });
});

// The badge tells a software adapter from a GPU by what the browser itself reports of the
// adapter, read here straight from navigator.gpu, and says so when the browser hides it.
test("the badge says what kind of adapter WebGPU runs on, from the browser's own adapter info", async () => {
  const info = await page.evaluate(async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const i = adapter?.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
    return i
      ? {
          text: [i.vendor, i.architecture, i.device, i.description].join(' ').trim(),
          fallback: i.isFallbackAdapter === true,
        }
      : null;
  });
  expect(info, 'Chromium offers a WebGPU adapter here').not.toBeNull();
  const badge = page.getByTestId('backend');
  if (info!.fallback || /swiftshader/i.test(info!.text)) {
    await expect(badge).toHaveText(/^webgpu · .*software \(emulated GPU\)/);
    await expect(badge).toHaveAttribute('title', /software emulation on the CPU/);
  } else if (info!.text === '') {
    await expect(badge).toHaveText(/^webgpu · adapter details hidden by the browser/);
  } else {
    await expect(badge).toHaveText(/^webgpu · .* · GPU/);
  }
  console.info(`adapter "${info!.text}" (fallback: ${info!.fallback}); badge "${await badge.textContent()}"`);
});

// Last on the shared page: it changes the settings (a link opened in the idle tab loads them, as
// e2e/share-link.spec.ts checks), and the refusal is about the settings, not about a fresh page.
test('a config too big for the GPU is refused before it starts, saying what to shrink', async () => {
  // A 24-block, 1024-wide teacher at 4096 images per step: over 100 GB of activations.
  await page.evaluate(() => {
    location.hash =
      '#v=1&preset=tiny&seed=6&data=synthetic&batch=4096&tDim=1024&tDepth=24&tHeads=16&backend=webgpu';
  });
  await expect(page.getByLabel('Batch size')).toHaveValue('4096');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('toasts')).toContainText(/needs about \d+(\.\d)? GB for training on webgpu/);
  await expect(page.getByTestId('toasts')).toContainText('Lower the batch size (now 4096)');
  // Nothing ran and nothing was lost: the page is idle at step 0, the config is as entered, and
  // the worker is still there to start a smaller run.
  await expect(page.getByTestId('status')).toHaveText(/^idle/);
  expect(await stepValue(page)).toBe(0);
  await expect(page.getByLabel('Batch size')).toHaveValue('4096');
  await expect(page.getByRole('button', { name: 'Start' })).toBeEnabled();
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
  await page.screenshot({ path: artifactPath('memory-refused.png'), fullPage: true });
});

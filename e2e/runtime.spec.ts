import { expect, test } from '@playwright/test';
import { artifactPath } from './browser';

// The foundation check: the built app starts TF.js in its Web Worker on WebGPU, and the
// worker's self-test runs a tiny ViT forward pass and one distillation step on webgpu and
// on cpu and finds them equal. The page reports the numbers; the test holds them to bounds.
test('the worker starts WebGPU and its tiny ViT matches the cpu backend', async ({ page }) => {
  const gpuErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') gpuErrors.push(msg.text());
  });
  await page.goto('/');
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 170_000 });
  await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);

  const row = page.locator('[data-testid="selftest"] tr[data-backend="webgpu"]');
  await expect(row).toHaveAttribute('data-passed', 'true');
  const forwardDiff = Number(await row.getAttribute('data-forward-diff'));
  const stepDiff = Number(await row.getAttribute('data-step-diff'));
  // Logits of a freshly initialised tiny ViT are O(0.1); float32 kernels agree to ~1e-6.
  expect(forwardDiff).toBeLessThan(1e-4);
  // One distillation step's loss terms, relative to cpu: the bound is 1e-3.
  expect(stepDiff).toBeLessThan(1e-3);
  expect(gpuErrors.filter((t) => /webgpu|GPU|validation/i.test(t))).toEqual([]);
  await page.screenshot({ path: artifactPath('runtime.png'), fullPage: true });
});

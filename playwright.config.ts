import { defineConfig, devices } from '@playwright/test';
import { BASE_URL, chromiumLaunchOptions, describeBrowser, PREVIEW_PORT } from './scripts/lib/browser';

// e2e tests run against the production build (`vite build`, then `vite preview`), in Chromium
// with WebGPU: a real GPU when there is one, else SwiftShader on the CPU (see scripts/lib/browser.ts).
// `npm run test:e2e` finds or installs the browser first (scripts/ensure-chromium.mjs).

const isCI = !!process.env.CI;

// The config is loaded by the runner and again by every worker: log once.
if (process.env.TEST_WORKER_INDEX === undefined) console.log(`e2e: ${describeBrowser()}`);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // WebGPU on SwiftShader compiles shaders slowly (the first training step alone takes ~12 s).
  timeout: 180_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  fullyParallel: false,
  forbidOnly: isCI,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: BASE_URL,
    // Kept under test-results/ for a person to open; tests save their own pictures via
    // artifactPath() (e2e/artifacts). CI keeps only the printed log, and tracing every test
    // there cost 13 to 30% of the wall time (playground.spec.ts on two loaded cores: 128 and
    // 147 s traced, 113 and 113 s not), so CI records neither.
    screenshot: isCI ? 'off' : 'on',
    trace: isCI ? 'off' : 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: chromiumLaunchOptions(),
      },
    },
  ],
  webServer: {
    command: `npx vite preview --port ${PREVIEW_PORT} --strictPort`,
    url: BASE_URL,
    reuseExistingServer: !isCI,
    timeout: 60_000,
  },
});

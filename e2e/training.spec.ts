import { readFileSync, writeFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { artifactPath, webgpuAdapterMode, yieldEmulatedGpu } from '../scripts/lib/browser';
import { longestTaskCpu } from '../scripts/lib/main-thread-trace';
import {
  observeLongTasks,
  openApp,
  startMainThreadTrace,
  stepValue,
  stopMainThreadTrace,
  takeLongTasks,
  trainTeacherHere,
  waitForStep,
} from './helpers';
import { sharedPage } from './shared-page';

// The tiny preset with long phases, so the run is still training while we measure.
// The built-in shapes with a teacher trained in the page: these tests watch the teacher phase too.
const LONG_TINY = '#v=1&preset=tiny&seed=3&data=synthetic&lr=0.003&tSteps=400&steps=400&backend=webgpu';

type Counters = Awaited<ReturnType<Window['__kd']['counters']>>;
const perStep = (a: Counters, b: Counters) => ({
  dispatches: (b.counters.dispatches - a.counters.dispatches) / (b.step - a.step),
  submits: (b.counters.submits - a.counters.submits) / (b.step - a.step),
});

// The next two tests train this run on WebGPU, one after the other on one page: a page's first
// start self-tests webgpu against cpu and its first steps compile the tiny run's pipelines, on
// SwiftShader minutes of the two cores that the second test's run (after the first one's Reset)
// finds done. Default mode, not serial: after a failure Playwright starts a new worker, and
// beforeAll opens and starts a fresh page for the next test.
test.describe('a WebGPU run', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    // On SwiftShader the start-up self-test (now also gradients and an AdamW update) alone can
    // take two minutes on shared cores.
    test.setTimeout(300_000);
    page = await sharedPage(browser);
    await observeLongTasks(page);
    await openApp(page, LONG_TINY);
    await trainTeacherHere(page);
  });

  test.afterAll(async () => {
    await page?.close();
  });

  test('trains in the worker on WebGPU without blocking the page, with batched readbacks and tiny uploads', async ({
    browser,
  }) => {
    // On SwiftShader the teacher's first 44 steps with the GPU process at nice 19 take minutes.
    test.setTimeout(300_000);
    await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
    // The main thread is watched from Start on, so the window holds the run's first metrics, maps
    // and chart updates (a chart's first mount once cost 60-80 ms of CPU there).
    const gpuPriority = await yieldEmulatedGpu(browser);
    await takeLongTasks(page);
    await startMainThreadTrace(browser, page);
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByTestId('status')).toHaveText(/^training/);

    // GPU counters: after a warm-up (shader compilation, first epoch order), a steady-state window.
    await waitForStep(page, 12);
    const before = await page.evaluate(() => window.__kd.counters());
    await waitForStep(page, before.step + 32);
    const after = await page.evaluate(() => window.__kd.counters());
    const steps = after.step - before.step;
    const perStep = {
      steps,
      dispatches: (after.counters.dispatches - before.counters.dispatches) / steps,
      submits: (after.counters.submits - before.counters.submits) / steps,
      readbacks: (after.counters.readbacks - before.counters.readbacks) / steps,
      // Checkpoints read the weights every 20 s of wall time: per step they grow as the steps
      // slow down (0.21-0.22 a step in all at load 10 here), so the bound holds the rest, which
      // the steps drive (one metrics read per 10 or more steps, one maps read per 50 or more).
      stepReadbacks:
        (after.counters.readbacks -
          after.counters.checkpointReadbacks -
          (before.counters.readbacks - before.counters.checkpointReadbacks)) /
        steps,
      uploadBytes: (after.counters.uploadBytes - before.counters.uploadBytes) / steps,
      uniformBytes: (after.counters.uniformBytes - before.counters.uniformBytes) / steps,
      tensorsBefore: before.tensors,
      tensorsAfter: after.tensors,
    };
    writeFileSync(artifactPath('gpu-counters.json'), `${JSON.stringify(perStep, null, 2)}\n`);
    console.log('GPU work per training step (tiny preset, steady state):', perStep);
    expect(perStep.stepReadbacks).toBeLessThan(0.2);
    expect(perStep.uploadBytes).toBeLessThan(4096);
    expect(perStep.dispatches).toBeGreaterThan(50);
    // TF.js submits every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches (15) and before a read:
    // at least one a step, and no more than one per 15 dispatches plus the reads.
    expect(perStep.submits).toBeGreaterThanOrEqual(1);
    expect(perStep.submits).toBeLessThanOrEqual(Math.ceil(perStep.dispatches / 15) + 1);

    // The teacher's loss falls. Compared over fixed windows (steps 1-16 and 29-44), not the last
    // rows: how far the run has got when they are read depends on the machine's speed, and this
    // small teacher's batch loss wanders by ±0.1 after step 40, so "the last 8 rows" failed at random
    // (CI saw 2.304 against 2.298). The seed fixes the batches and the start, so these windows don't.
    // The rows arrive with each batched metrics read, so they can trail the step counter by up
    // to a read's worth of steps (a fresh clone once had 41 rows at step 44): wait for them.
    const teacherRows = () =>
      page.evaluate(() => window.__kd.store.getState().run.teacherRows.map((r) => r.ce ?? Number.NaN));
    await expect
      .poll(async () => (await teacherRows()).length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(44);
    const rows = await teacherRows();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(rows.slice(28, 44))).toBeLessThan(mean(rows.slice(0, 16)));

    // The page's main thread stays responsive while training: no task of ours over 50 ms. On a real
    // GPU that is the long-task observer's wall time. On SwiftShader the emulated GPU shares the
    // two cores: even at nice 19 (yieldEmulatedGpu) a task can wait for a core, for as long as the
    // scheduler likes (CI saw a task of 56 ms wall whose work was 5-12 ms of CPU, and one of 127 ms
    // wall with 20.6 ms of CPU), so there the bound is on each task's CPU time, from a Chromium
    // trace of every task of the page's main thread; the wall times are logged.
    const tasks = await stopMainThreadTrace(browser);
    const longTasks = await takeLongTasks(page);
    // A trace without thread times throws here: a missing CPU time is never read as 0 ms.
    const longest = { wall: Math.max(0, ...tasks.map((t) => t.wall)), cpu: longestTaskCpu(tasks) };
    console.log(
      `long tasks from Start to the end of the window (${gpuPriority}):`,
      JSON.stringify(longTasks),
      'longest traced task (ms):',
      longest,
    );
    writeFileSync(
      artifactPath('long-tasks.json'),
      `${JSON.stringify({ gpuPriority, longestTracedTask: longest, tracedTasks: tasks.length, ...longTasks }, null, 2)}\n`,
    );
    expect(tasks.length).toBeGreaterThan(50);
    if (webgpuAdapterMode() === 'gpu') {
      expect(longTasks.longTasks.filter((ms) => ms >= 50)).toEqual([]);
    } else {
      expect(longest.cpu).toBeLessThan(50);
    }

    // Pause takes effect within one step: the worker reports the step it had reached when the
    // command arrived, and no step runs after it. (The counter on screen may lag the worker by
    // the few steps it enqueues ahead of the GPU, so the worker's own report is the reference.)
    await page.evaluate(() => {
      const w = window as unknown as { __pausedAt: number | null };
      w.__pausedAt = null;
      const store = window.__kd.store as unknown as {
        subscribe: (l: (s: { run: { status: string; step: number } }) => void) => () => void;
      };
      const stop = store.subscribe((s) => {
        if (s.run.status === 'paused' && w.__pausedAt === null) {
          w.__pausedAt = s.run.step;
          stop();
        }
      });
    });
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByTestId('status')).toHaveText(/^paused/);
    const pausedAt = await page.evaluate(() => (window as unknown as { __pausedAt: number }).__pausedAt);
    await page.waitForTimeout(1500);
    const paused = await stepValue(page);
    expect(paused - pausedAt).toBeLessThanOrEqual(1);
    await page.waitForTimeout(1500);
    expect(await stepValue(page)).toBe(paused);

    // Step runs exactly one step; step N exactly N.
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => stepValue(page)).toBe(paused + 1);
    await expect(page.getByTestId('status')).toHaveText(/^paused/);
    await page.evaluate(() => window.__kd.step(5));
    await expect.poll(() => stepValue(page)).toBe(paused + 6);
    await expect(page.getByTestId('status')).toHaveText(/^paused/);
    await page.waitForTimeout(1000);
    expect(await stepValue(page)).toBe(paused + 6);

    // Resume trains on; Reset ends the run.
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('status')).toHaveText(/^training/);
    await waitForStep(page, paused + 8);
    await page.screenshot({ path: artifactPath('training.png'), fullPage: true });
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await expect(page.getByTestId('status')).toHaveText(/^idle/);
    expect(await stepValue(page)).toBe(0);
  });

  test('Profile 10 steps: a per-kernel step profile on the GPU clock, exported as JSON, and GPU memory', async () => {
    // SwiftShader on a shared machine: the first steps alone can take minutes.
    test.setTimeout(900_000);
    // The page the test before left idle (its Reset), or a fresh one when it ran alone or failed.
    await expect(page.getByTestId('status')).toHaveText(/^idle/);
    await expect(page.getByTestId('backend')).toHaveText(/^webgpu/);
    const profileButton = page.getByRole('button', { name: 'Profile 10 steps' });
    await expect(profileButton).toBeDisabled();
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByTestId('status')).toHaveText(/^training/);

    // The dispatches of a plain step, counted by the worker's own WebGPU wrappers: the reference
    // the profile's calls per step are checked against.
    await waitForStep(page, 8, 400_000);
    const a = await page.evaluate(() => window.__kd.counters());
    await waitForStep(page, a.step + 10, 200_000);
    const b = await page.evaluate(() => window.__kd.counters());
    const plain = perStep(a, b);

    // GPU memory, reported with the metrics: in use now and its peak within the steps before.
    const memory = page.getByTestId('gpu-memory');
    await expect(memory).toContainText('GPU memory');
    const inUse = Number(await memory.getAttribute('data-bytes'));
    const peak = Number(await memory.getAttribute('data-peak-bytes'));
    expect(inUse).toBeGreaterThan(0);
    expect(peak).toBeGreaterThanOrEqual(inUse);

    await profileButton.click();
    const table = page.getByRole('table', { name: 'Step profile' });
    await expect(table).toBeVisible({ timeout: 300_000 });
    const clock = page.getByTestId('profile-clock');
    // SwiftShader offers timestamp-query: the GPU clock, of an emulated GPU.
    if (webgpuAdapterMode() === 'swiftshader') {
      await expect(clock).toHaveAttribute('data-clock', 'gpu-timestamps');
      await expect(clock).toContainText('emulated');
    }
    const rows = await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        kernel: tr.getAttribute('data-kernel') ?? '',
        calls: Number(tr.getAttribute('data-calls')),
        ms: Number(tr.getAttribute('data-ms')),
      })),
    );
    const total = Number(await table.getAttribute('data-total-ms'));
    console.log('Step profile (tiny, teacher phase):', { total, plain, rows: rows.slice(0, 12) });
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.filter((r) => r.ms > 0).length).toBeGreaterThanOrEqual(10);
    const sumMs = rows.reduce((s, r) => s + r.ms, 0);
    expect(total).toBeGreaterThan(0);
    expect(Math.abs(sumMs - total)).toBeLessThanOrEqual(0.2 * total);
    // Every program a step dispatches is in the table once: its calls are the plain step's dispatches.
    const calls = rows.reduce((s, r) => s + r.calls, 0);
    expect(Math.abs(calls - plain.dispatches)).toBeLessThanOrEqual(0.1 * plain.dispatches);

    // The export is the table, as JSON.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /^Export profile/ }).click(),
    ]);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(exported.kind).toBe('mkd-step-profile');
    expect(exported.steps).toBe(10);
    expect(exported.rows.map((r: { kernel: string }) => r.kernel)).toEqual(rows.map((r) => r.kernel));
    expect(exported.totalMsPerStep).toBeCloseTo(total, 6);

    // After the profiled steps nothing of the profiler is left on: TF.js submits in batches again
    // (profiling submits after every program), and the training goes on.
    const c = await page.evaluate(() => window.__kd.counters());
    await waitForStep(page, c.step + 10, 200_000);
    const d = await page.evaluate(() => window.__kd.counters());
    const after = perStep(c, d);
    expect(after.submits).toBeLessThanOrEqual(Math.ceil(after.dispatches / 15) + 1);
    expect(Math.abs(after.dispatches - plain.dispatches)).toBeLessThanOrEqual(0.1 * plain.dispatches);
  });
});

test('a loss weight changed mid-run changes the totals of the next steps', async ({ page }) => {
  test.setTimeout(480_000);
  // A short teacher phase, so the student phase (where the weights act) starts soon. The switch
  // evaluates the teacher on the test set and compiles the student's kernels: minutes on SwiftShader.
  await openApp(page, '#v=1&preset=tiny&seed=4&data=synthetic&lr=0.003&tSteps=8&steps=400&wCe=0.5');
  await trainTeacherHere(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('phase')).toHaveText(/Student/, { timeout: 280_000 });
  await expect
    .poll(() => page.evaluate(() => window.__kd.store.getState().run.studentRows.length), {
      timeout: 120_000,
    })
    .toBeGreaterThan(4);

  const intra = page.getByLabel('Intra-image weight');
  await intra.fill('0');
  await intra.press('Enter');
  await expect.poll(() => page.evaluate(() => window.__kd.store.getState().run.markers.length)).toBe(1);
  const markerStep = await page.evaluate(() => window.__kd.store.getState().run.markers[0]!.step);
  await expect
    .poll(
      () =>
        page.evaluate(
          (m) => window.__kd.store.getState().run.studentRows.filter((r) => r.step > m + 1).length,
          markerStep,
        ),
      { timeout: 150_000 },
    )
    .toBeGreaterThan(2);
  const rows = await page.evaluate(() => window.__kd.store.getState().run.studentRows);
  const early = rows.filter((r) => r.step < markerStep);
  const late = rows.filter((r) => r.step > markerStep + 1);
  expect(early.length).toBeGreaterThan(0);
  // Before: all five terms; total = 0.5 ce + kd + (4 intra + 0.1 inter + 0.2 random).
  for (const r of early) {
    expect(r.intra).toBeDefined();
    expect(r.total).toBeCloseTo(0.5 * r.ce! + r.kd! + 4 * r.intra! + 0.1 * r.inter! + 0.2 * r.random!, 4);
  }
  // After: the intra term is gone from the objective and from the total.
  for (const r of late) {
    expect(r.intra).toBeUndefined();
    expect(r.total).toBeCloseTo(0.5 * r.ce! + r.kd! + 0.1 * r.inter! + 0.2 * r.random!, 4);
  }
});

test('the charts of a long run redraw without blocking the page', async ({ page }) => {
  await observeLongTasks(page);
  await openApp(page, '#v=1&preset=tiny&seed=5');
  type Append = (phase: 'teacher' | 'student', rows: unknown[]) => void;
  // A long run's history, as the worker's metrics messages deliver it: 19,000 steps (near the
  // 20,000 the store keeps) of the teacher's CE and of the student's five terms and total.
  const append = async (from: number, count: number) =>
    page.evaluate(
      ({ from, count }) => {
        const appendMetrics = (window.__kd.store.getState() as unknown as { appendMetrics: Append })
          .appendMetrics;
        const noise = (i: number, k: number) => 1 + 0.05 * Math.sin(i * 12.9898 + k * 78.233);
        const rows = (values: (i: number) => Record<string, number>) =>
          Array.from({ length: count }, (_, j) => {
            const i = from + j;
            return { step: i, epoch: 1 + Math.floor(i / 3125), lr: 1e-3, values: values(i), baselines: {} };
          });
        appendMetrics(
          'teacher',
          rows((i) => ({ ce: (2.3 / (1 + i / 500)) * noise(i, 0) })),
        );
        appendMetrics(
          'student',
          rows((i) => ({
            ce: (2 / (1 + i / 800)) * noise(i, 1),
            kd: (1 / (1 + i / 400)) * noise(i, 2),
            intra: 0.5 * noise(i, 3),
            inter: 0.3 * noise(i, 4),
            random: 0.2 * noise(i, 5),
            total: (4 / (1 + i / 600)) * noise(i, 6),
          })),
        );
      },
      { from, count },
    );
  const drawnCount = async () =>
    Number(
      await page
        .getByTestId('chart-student-loss-terms')
        .getByTestId('chart-points')
        .locator('li[data-series="total"]')
        .getAttribute('data-count'),
    );

  await append(0, 19_000);
  await expect.poll(drawnCount).toBe(19_000);
  await page.waitForTimeout(1500);
  await takeLongTasks(page);

  // Then rows arrive as in training, 10 at a time, five times a second, for 8 s.
  for (let k = 0; k < 40; k++) {
    await append(19_000 + k * 10, 10);
    await page.waitForTimeout(200);
  }
  await expect.poll(drawnCount).toBe(19_400);
  const report = await takeLongTasks(page);
  console.log('long tasks while the charts of a 19,000-step run redrew:', report);
  writeFileSync(artifactPath('long-tasks-long-run.json'), `${JSON.stringify(report, null, 2)}\n`);
  expect(report.longTasks.filter((ms) => ms >= 50)).toEqual([]);

  // The pointer picks the nearest drawn step; the tooltip shows that step's raw values.
  const chart = page.getByTestId('chart-student-loss-terms');
  const plot = (await chart.locator('.metric-chart-hover-area').boundingBox())!;
  await page.mouse.move(plot.x + plot.width * 0.4, plot.y + plot.height / 2);
  const tooltip = chart.locator('.metric-chart-tooltip-box');
  await expect(tooltip).toBeVisible();
  await expect(chart.locator('.metric-chart-cursor')).toHaveCount(1);
  const step = Number(
    (await tooltip.locator('.metric-chart-tooltip-step').textContent())!.replace('step ', ''),
  );
  const row = await page.evaluate(
    (step) => window.__kd.store.getState().run.studentRows.find((r) => r.step === step),
    step,
  );
  expect(row).toBeDefined();
  const rawTotal = Number(
    await tooltip.locator('tr', { hasText: 'total' }).locator('td').nth(1).textContent(),
  );
  expect(Math.abs(rawTotal - row!.total!)).toBeLessThan(1e-3 * Math.abs(row!.total!));
  await chart.screenshot({ path: artifactPath('long-run-chart.png') });
  await page.mouse.move(0, 0);
  await expect(tooltip).toHaveCount(0);
});

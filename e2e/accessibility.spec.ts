import { expect, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { dropPicture, openApp, seriousViolations } from './helpers';

// Keyboard and screen reader: the heatmaps' cell cursor, the Tab order, and an axe-core scan of
// the page in both colour schemes. A tiny run on the shipped shapes teacher (wasm: this is about
// the page, not the GPU) stepped a few times, with a photo dropped, so every panel is there.

/** The page's intra-image maps as the store holds them: the reference the read-out must match. */
async function intraMaps(page: Page): Promise<{ n: number; teacher: number[]; student: number[] }> {
  return page.evaluate(() => {
    const maps = window.__kd.store.getState().maps!;
    const n = Math.round(Math.sqrt(maps.teacher.intra.length));
    return { n, teacher: Array.from(maps.teacher.intra), student: Array.from(maps.student!.intra) };
  });
}

/** The numbers of an announced read-out "patch i with patch j: teacher a, student b, difference c". */
function parseReadout(text: string): {
  i: number;
  j: number;
  teacher: number;
  student: number;
  difference: number;
} {
  const m = /^patch (\d+) with patch (\d+): teacher (\S+), student (\S+), difference (\S+)$/.exec(
    text.trim(),
  );
  if (!m) throw new Error(`not a read-out: "${text}"`);
  return {
    i: Number(m[1]),
    j: Number(m[2]),
    teacher: Number(m[3]),
    student: Number(m[4]),
    difference: Number(m[5]),
  };
}

/** Read-outs show 4 significant digits. */
function expectClose(shown: number, actual: number): void {
  expect(Math.abs(shown - actual)).toBeLessThanOrEqual(Math.max(1e-3, Math.abs(actual) * 1e-3));
}

test.beforeEach(async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page, '#v=1&preset=tiny&backend=wasm&data=synthetic&steps=400');
  // Start pauses after these steps; the maps are read at the pause.
  await page.evaluate(() => window.__kd.step(6));
  await expect(page.getByTestId('status')).toHaveText(/^paused/, { timeout: 120_000 });
  await expect(page.getByTestId('map-intra-difference')).toBeVisible({ timeout: 60_000 });
});

test('the arrow keys move a cell cursor over a relation map, and the announced read-out gives the three values there', async ({
  page,
}) => {
  const { n, teacher, student } = await intraMaps(page);
  const map = page.getByRole('img', { name: /^teacher intra-image relation/ });
  const figure = page.locator('figure.heatmap-triptych', { has: map });
  const announced = figure.getByRole('status');

  await map.focus();
  await expect(map).toBeFocused();
  // The first key puts the cursor on the top left cell; then right twice and down once.
  await page.keyboard.press('ArrowRight');
  await expect(announced).toHaveText(/^patch 0 with patch 0: /);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await expect(announced).toHaveText(/^patch 1 with patch 2: /);
  let readout = parseReadout((await announced.textContent()) ?? '');
  expectClose(readout.teacher, teacher[1 * n + 2]!);
  expectClose(readout.student, student[1 * n + 2]!);
  expectClose(readout.difference, student[1 * n + 2]! - teacher[1 * n + 2]!);

  // The cursor is shared by the three maps: Tab to the student's map and go on from there.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('img', { name: /^student intra-image relation/ })).toBeFocused();
  await page.keyboard.press('End');
  await expect(announced).toHaveText(new RegExp(`^patch 1 with patch ${n - 1}: `));
  await page.keyboard.press('PageDown');
  readout = parseReadout((await announced.textContent()) ?? '');
  expect([readout.i, readout.j]).toEqual([n - 1, n - 1]);
  expectClose(readout.teacher, teacher[n * n - 1]!);
  expectClose(readout.student, student[n * n - 1]!);
  // At the edge the cursor stays put.
  await page.keyboard.press('ArrowRight');
  await expect(announced).toHaveText(new RegExp(`^patch ${n - 1} with patch ${n - 1}: `));
  // The cell is outlined on every map of the term, and its two patches on the probe image.
  await expect(figure.locator('.heatmap-highlight')).toHaveCount(3);
  await figure.screenshot({ path: artifactPath('a11y-keyboard-cursor.png') });
});

test('Tab reaches every control in page order, and an axe-core scan finds nothing serious in the light or dark scheme', async ({
  page,
}) => {
  await dropPicture(page, 'square.png', 40, [
    ['#234', 0, 0, 40, 40],
    ['#eee', 8, 8, 24, 24],
  ]);
  // Judged by both models (their maps are in the card) before the page's controls are listed.
  await expect(
    page
      .getByRole('article', { name: 'Image square.png' })
      .getByRole('img', { name: 'student intra-image relation of square.png' }),
  ).toBeVisible({ timeout: 60_000 });

  // Every element Tab can stop at, in page order (none with a positive tabindex), ...
  const focusable = await page.evaluate(() => {
    const selector = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
    const all = Array.from(document.querySelectorAll<HTMLElement>(selector));
    const positive = all.filter((el) => el.tabIndex > 0).map((el) => el.outerHTML.slice(0, 80));
    const reachable = all.filter(
      (el) =>
        el.tabIndex >= 0 &&
        !(el as HTMLButtonElement).disabled &&
        el.getClientRects().length > 0 &&
        getComputedStyle(el).visibility !== 'hidden',
    );
    reachable.forEach((el, i) => {
      el.dataset.tabOrder = String(i);
    });
    return { count: reachable.length, positive };
  });
  expect(focusable.positive).toEqual([]);
  // ... is reached by Tab, one after another in that order. Chromium also stops at a scrolling
  // box with nothing focusable inside (so the keyboard can scroll it): those are the only extras.
  await page.locator('body').focus();
  const visited: number[] = [];
  const extras: string[] = [];
  for (let k = 0; k < focusable.count + 10 && visited.length < focusable.count; k++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return { order: -2, scroller: false, what: 'body' };
      const { overflowX, overflowY } = getComputedStyle(el);
      return {
        order: Number(el.dataset.tabOrder ?? -1),
        scroller: /auto|scroll/.test(overflowX + overflowY),
        what: el.outerHTML.slice(0, 100),
      };
    });
    if (stop.order >= 0) visited.push(stop.order);
    else if (!stop.scroller) extras.push(stop.what);
  }
  expect(extras).toEqual([]);
  expect(visited).toEqual(Array.from({ length: focusable.count }, (_, i) => i));
  // Not a vacuous walk: the run controls, settings, charts' controls and maps are all in it.
  expect(focusable.count).toBeGreaterThan(20);

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: artifactPath(`a11y-${scheme}.png`), fullPage: true });
    expect(await seriousViolations(page), `axe-core, ${scheme} scheme`).toEqual([]);
  }
});

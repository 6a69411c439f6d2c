import { readFileSync, writeFileSync } from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { artifactPath } from '../scripts/lib/browser';
import { openApp, trainTeacherHere } from './helpers';

// Figures for slides: a chart panel and a map panel export as PNG (2x the panel) and as SVG with
// their title and legend. Tiny preset, built-in shapes, wasm: a few seconds of training.

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk (the PNG spec: signature, then IHDR first). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function download(page: Page, button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

/** The browser's own decode of the PNG: its size and how many distinct colours it holds. */
function decodeInPage(page: Page, bytes: Buffer) {
  return page.evaluate(async (b64) => {
    // From bytes, not a data: URL: the page's content security policy allows no fetch of those.
    const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' });
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const colours = new Set<number>();
    for (let p = 0; p < data.length; p += 4 * 7)
      colours.add((data[p]! << 16) | (data[p + 1]! << 8) | data[p + 2]!);
    return { width: bitmap.width, height: bitmap.height, colours: colours.size };
  }, bytes.toString('base64'));
}

/** Parses the SVG with the browser's XML parser: its text, and how many <image>s it embeds. */
function parseSvg(page: Page, text: string) {
  return page.evaluate((svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      text: Array.from(doc.querySelectorAll('text'))
        .map((t) => t.textContent ?? '')
        .join(' '),
      images: doc.querySelectorAll('image').length,
    };
  }, text);
}

test('chart and map panels export as PNG at 2x and as SVG with title and legend, light and dark', async ({
  page,
}) => {
  test.setTimeout(150_000);
  await openApp(page, '#v=1&preset=tiny&data=synthetic&backend=wasm&tSteps=10&steps=10');
  await trainTeacherHere(page);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('status')).toHaveText(/^done/, { timeout: 120_000 });
  await expect(page.getByTestId('map-intra-student')).toBeVisible();

  const panels = [
    {
      title: 'Student loss terms',
      panel: page.getByTestId('chart-student-loss-terms'),
      // The legend entries the page shows (the terms active in this run).
      legend: page.getByTestId('chart-student-loss-terms').locator('.metric-chart-legend li'),
      images: 0,
    },
    {
      title: 'Intra-image (patch × patch, one image)',
      panel: page.locator('figure.heatmap-triptych', { hasText: 'Intra-image (patch' }),
      // Each map's title and the colour scale's label.
      legend: page
        .locator('figure.heatmap-triptych', { hasText: 'Intra-image (patch' })
        .locator('.heatmap-title, .color-legend-label'),
      // Teacher, student and difference maps.
      images: 3,
    },
  ];

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const { title, panel, legend, images } of panels) {
      await panel.scrollIntoViewIfNeeded();
      const box = (await panel.boundingBox())!;
      const slug = title.startsWith('Student') ? 'chart' : 'map';
      await panel.screenshot({ path: artifactPath(`export-${slug}-panel-${scheme}.png`) });

      const png = await download(page, panel.getByRole('button', { name: `Export PNG… ${title}` }));
      expect(png.name).toMatch(/^kd-playground_.+_step-\d+\.png$/);
      const size = pngSize(png.bytes);
      expect(size).toEqual({ width: 2 * Math.ceil(box.width), height: 2 * Math.ceil(box.height) });
      const decoded = await decodeInPage(page, png.bytes);
      expect(decoded.width).toBe(size.width);
      expect(decoded.height).toBe(size.height);
      // Not a blank image: curves or maps in several colours.
      expect(decoded.colours).toBeGreaterThan(8);
      writeFileSync(artifactPath(`export-${slug}-${scheme}.png`), png.bytes);

      const svg = await download(page, panel.getByRole('button', { name: `Export SVG… ${title}` }));
      expect(svg.name).toMatch(/\.svg$/);
      const parsed = await parseSvg(page, svg.bytes.toString('utf8'));
      expect(parsed.error).toBeNull();
      expect(parsed.root).toBe('svg');
      expect(parsed.text).toContain(title);
      const labels = await legend.allInnerTexts();
      expect(labels.length).toBeGreaterThanOrEqual(3);
      for (const label of labels) expect(parsed.text).toContain(label.trim());
      expect(parsed.text).not.toContain('Export');
      expect(parsed.images).toBe(images);
    }
  }
});

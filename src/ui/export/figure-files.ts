import { slugify } from '../charts/format';

/** Pixel density of exported PNGs and of canvases embedded in exported SVGs: sharp on a slide. */
export const EXPORT_SCALE = 2;

/**
 * File name of an exported figure: the app, the panel's title and the training step, e.g.
 * "kd-playground_student-loss-terms_step-120.png", so a folder of figures sorts by panel.
 */
export function figureFileName(title: string, step: number | null, extension: 'png' | 'svg'): string {
  const name = slugify(title) || 'figure';
  const at = step !== null && Number.isFinite(step) && step > 0 ? `_step-${Math.round(step)}` : '';
  return `kd-playground_${name}${at}.${extension}`;
}

/** Saves a blob under a file name through the browser's download. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Draws an SVG document into a canvas at `scale` x its size and encodes it as PNG. */
export async function svgToPng(
  svg: string,
  width: number,
  height: number,
  scale = EXPORT_SCALE,
): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser gave no 2D canvas to draw the figure: export as SVG instead.');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (b) =>
          b ? resolve(b) : reject(new Error('The browser could not encode the PNG: export as SVG instead.')),
        'image/png',
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

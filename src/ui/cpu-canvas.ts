/**
 * Canvas drawing on the page's main thread, kept off the GPU process's critical path. Chromium
 * creates the renderer's shared canvas context (a GPU command buffer) at the first 2D canvas draw
 * shown on the page, synchronously: the main thread waits for the GPU process. During a run that
 * process is busy with the training's WebGPU work, and a trace showed the first relation maps of a
 * run wait 760-810 ms there (SwiftShader; 7-15 ms of it was CPU).
 */

/** Options for every 2D context the page draws its maps on: small heatmaps filled by
 * putImageData, which gain nothing from GPU raster. */
export const CPU_CANVAS: CanvasRenderingContext2DSettings = { willReadFrequently: true };

/**
 * Draws one invisible pixel at start-up, before any run, so the shared canvas context exists
 * by the time the first maps arrive. Measured: the run's longest main-thread task went from
 * 770-900 ms to about 35 ms (e2e/training.spec.ts's trace).
 */
export function prepareCanvasDrawing(): void {
  const canvas = document.createElement('canvas');
  canvas.width = 1;
  canvas.height = 1;
  canvas.setAttribute('aria-hidden', 'true');
  canvas.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0;pointer-events:none';
  document.body.append(canvas);
  canvas.getContext('2d', CPU_CANVAS)?.putImageData(new ImageData(1, 1), 0, 0);
  // Kept for two frames: the context is made when the drawn canvas is first composited.
  requestAnimationFrame(() => requestAnimationFrame(() => canvas.remove()));
}

import type { ChartPoint } from './chart-data';

/** Maps a data value to a pixel coordinate; undefined when it cannot. */
export type PixelScale = (value: number) => number | undefined;

/**
 * Maps a domain onto a pixel range, linearly or logarithmically (base 10), as d3's scaleLinear and
 * scaleLog (and so recharts' axes) do for a fixed domain; `range` may run backwards (a y axis).
 * Off-domain values are still mapped; non-positive values on a log axis map to undefined.
 */
export function axisPixelScale(
  domain: readonly [number, number],
  range: readonly [number, number],
  log: boolean,
): PixelScale {
  const [r0, r1] = range;
  if (log) {
    const l0 = Math.log10(domain[0]);
    const span = Math.log10(domain[1]) - l0;
    return (v) => (v > 0 ? r0 + ((Math.log10(v) - l0) / span) * (r1 - r0) : undefined);
  }
  const [d0, d1] = domain;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** Pixel coordinate rounded to a tenth: finer than the screen shows, and much shorter strings. */
const px = (v: number) => Math.round(v * 10) / 10;

/**
 * SVG path data for one field of the points: a polyline through each point that has a value,
 * broken at points without one (or joined across them with `connectNulls`).
 */
export function linePath(
  points: readonly ChartPoint[],
  field: string,
  x: PixelScale,
  y: PixelScale,
  connectNulls: boolean,
): string {
  const parts: string[] = [];
  let penDown = false;
  for (const p of points) {
    const v = p[field];
    const cx = v === undefined ? undefined : x(p.step);
    const cy = v === undefined ? undefined : y(v);
    if (cx === undefined || cy === undefined || !Number.isFinite(cx) || !Number.isFinite(cy)) {
      if (!connectNulls) penDown = false;
      continue;
    }
    parts.push(`${penDown ? 'L' : 'M'}${px(cx)},${px(cy)}`);
    penDown = true;
  }
  return parts.join('');
}

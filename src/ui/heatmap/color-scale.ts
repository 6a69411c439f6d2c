import { interpolateCividis, interpolateRdBu } from 'd3-scale-chromatic';

/** Colour scheme of a heatmap: diverging around the middle of the domain, or sequential. */
export type HeatmapScheme = 'diverging' | 'sequential';

/** Matrix data as the worker sends it: row-major values, `rows * cols` long. */
export interface Matrix {
  values: Float32Array;
  rows: number;
  cols: number;
}

/** Number of entries in a colour lookup table. */
export const LUT_SIZE = 256;

/**
 * Interpolator for a scheme, t in [0, 1]. Both come from ColorBrewer / d3 and stay readable with
 * common colour-vision deficiencies: RdBu reversed (low = blue, middle = near white, high = red)
 * for signed values such as cosine similarities and differences; cividis (dark blue to yellow,
 * designed for deuteranopia) for non-negative values.
 */
export function interpolatorFor(scheme: HeatmapScheme): (t: number) => string {
  return scheme === 'diverging' ? (t) => interpolateRdBu(1 - t) : interpolateCividis;
}

/** Parses the colour strings d3-scale-chromatic returns ("rgb(r, g, b)" or "#rrggbb") into [r, g, b]. */
export function parseColor(color: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (hex) return [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16), Number.parseInt(hex[3]!, 16)];
  const rgb = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/i.exec(color);
  if (rgb) return [Math.round(Number(rgb[1])), Math.round(Number(rgb[2])), Math.round(Number(rgb[3]))];
  throw new Error(`Unrecognised colour string: ${color}`);
}

const lutCache = new Map<HeatmapScheme, Uint8ClampedArray>();

/** RGBA lookup table of LUT_SIZE entries for a scheme; built once per scheme and shared. */
export function colorLut(scheme: HeatmapScheme): Uint8ClampedArray {
  const cached = lutCache.get(scheme);
  if (cached) return cached;
  const interpolate = interpolatorFor(scheme);
  const lut = new Uint8ClampedArray(LUT_SIZE * 4);
  for (let k = 0; k < LUT_SIZE; k++) {
    const [r, g, b] = parseColor(interpolate(k / (LUT_SIZE - 1)));
    lut.set([r, g, b, 255], k * 4);
  }
  lutCache.set(scheme, lut);
  return lut;
}

/** LUT index of a value: the domain maps linearly onto [0, LUT_SIZE - 1], clamped; -1 for NaN/Infinity. */
export function lutIndex(value: number, domain: readonly [number, number]): number {
  if (!Number.isFinite(value)) return -1;
  const [lo, hi] = domain;
  const t = hi === lo ? 0.5 : (value - lo) / (hi - lo);
  return Math.round(Math.min(Math.max(t, 0), 1) * (LUT_SIZE - 1));
}

/**
 * Fills `out` (RGBA, 4 bytes per value) with the colours of `values`; non-finite values become
 * transparent so the checkerboard behind the canvas shows through.
 */
export function paintValues(
  values: Float32Array,
  domain: readonly [number, number],
  scheme: HeatmapScheme,
  out: Uint8ClampedArray,
): void {
  const lut = colorLut(scheme);
  for (let p = 0; p < values.length; p++) {
    const k = lutIndex(values[p]!, domain);
    const o = p * 4;
    if (k < 0) {
      out[o + 3] = 0;
      continue;
    }
    out[o] = lut[k * 4]!;
    out[o + 1] = lut[k * 4 + 1]!;
    out[o + 2] = lut[k * 4 + 2]!;
    out[o + 3] = 255;
  }
}

/** CSS linear-gradient (left to right) through `stops` evenly spaced colours of a scheme. */
export function gradientCss(scheme: HeatmapScheme, stops = 16): string {
  const interpolate = interpolatorFor(scheme);
  const n = Math.max(2, stops);
  const parts: string[] = [];
  for (let k = 0; k < n; k++) {
    const t = k / (n - 1);
    const [r, g, b] = parseColor(interpolate(t));
    parts.push(`rgb(${r}, ${g}, ${b}) ${(t * 100).toFixed(2)}%`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

/** Min, max (NaN when no finite value) and float64 sum of the finite values. */
export function summarize(values: Float32Array): { min: number; max: number; sum: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let p = 0; p < values.length; p++) {
    const v = values[p]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return min > max ? { min: Number.NaN, max: Number.NaN, sum } : { min, max, sum };
}

import { describe, expect, it } from 'vitest';
import { colorLut, gradientCss, LUT_SIZE, lutIndex, paintValues, parseColor, summarize } from './color-scale';

describe('color scale', () => {
  it('parses both colour formats d3-scale-chromatic returns', () => {
    expect(parseColor('rgb(5, 48, 97)')).toEqual([5, 48, 97]);
    expect(parseColor('#fde725')).toEqual([253, 231, 37]);
    expect(() => parseColor('blue')).toThrow();
  });

  it('maps the domain linearly onto the lookup table and clamps outside it', () => {
    expect(lutIndex(-1, [-1, 1])).toBe(0);
    expect(lutIndex(1, [-1, 1])).toBe(LUT_SIZE - 1);
    expect(lutIndex(0, [-1, 1])).toBe(128); // round(0.5 * 255)
    expect(lutIndex(-5, [-1, 1])).toBe(0);
    expect(lutIndex(7, [-1, 1])).toBe(LUT_SIZE - 1);
    expect(lutIndex(Number.NaN, [-1, 1])).toBe(-1);
    expect(lutIndex(3, [3, 3])).toBe(128);
  });

  it('draws the diverging scale blue for low, near white in the middle and red for high', () => {
    const lut = colorLut('diverging');
    const rgb = (k: number) => [lut[k * 4]!, lut[k * 4 + 1]!, lut[k * 4 + 2]!];
    const [r0, , b0] = rgb(0);
    const [r1, , b1] = rgb(LUT_SIZE - 1);
    expect(b0).toBeGreaterThan(r0!);
    expect(r1).toBeGreaterThan(b1!);
    for (const c of rgb(128)) expect(c).toBeGreaterThan(220);
  });

  it('paints non-finite values transparent and others opaque', () => {
    const out = new Uint8ClampedArray(3 * 4);
    paintValues(new Float32Array([-1, Number.NaN, 1]), [-1, 1], 'sequential', out);
    expect([out[3], out[7], out[11]]).toEqual([255, 0, 255]);
  });

  it('builds a 16-stop gradient', () => {
    const css = gradientCss('sequential', 16);
    expect(css.startsWith('linear-gradient(to right, rgb(')).toBe(true);
    expect(css.match(/rgb\(/g)).toHaveLength(16);
    expect(css.endsWith('100.00%)')).toBe(true);
  });

  it('summarises min, max and sum over the finite values', () => {
    expect(summarize(new Float32Array([0.5, -2, Number.NaN, 4]))).toEqual({ min: -2, max: 4, sum: 2.5 });
    const empty = summarize(new Float32Array([Number.NaN]));
    expect(empty.min).toBeNaN();
    expect(empty.sum).toBe(0);
  });
});

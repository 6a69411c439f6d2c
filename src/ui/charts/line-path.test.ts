import { describe, expect, it } from 'vitest';
import { axisPixelScale, linePath } from './line-path';

// A 100 x 100 plot: steps 0..10 left to right, values 0..1 bottom to top.
const x = (step: number) => step * 10;
const y = (value: number) => 100 - value * 100;

describe('linePath', () => {
  it('draws a polyline through the points of one field', () => {
    const points = [
      { step: 0, s0: 0.5, r0: 1 },
      { step: 5, s0: 0.25 },
      { step: 10, s0: 0 },
    ];
    expect(linePath(points, 's0', x, y, false)).toBe('M0,50L50,75L100,100');
    expect(linePath(points, 'r0', x, y, false)).toBe('M0,0');
  });

  it('breaks the line at missing values unless told to connect across them', () => {
    const points = [{ step: 1, s0: 0.1 }, { step: 2 }, { step: 3, s0: 0.3 }, { step: 4, s0: 0.4 }];
    expect(linePath(points, 's0', x, y, false)).toBe('M10,90M30,70L40,60');
    expect(linePath(points, 's0', x, y, true)).toBe('M10,90L30,70L40,60');
  });

  it('skips values the scale cannot place and rounds to a tenth of a pixel', () => {
    const logY = (v: number) => (v > 0 ? -Math.log10(v) * 33.333 : undefined);
    const points = [
      { step: 0, s0: 1 },
      { step: 1, s0: 0 },
      { step: 2, s0: 0.1 },
    ];
    expect(linePath(points, 's0', x, logY, false)).toBe('M0,0M20,33.3');
    expect(linePath([], 's0', x, y, false)).toBe('');
  });
});

describe('axisPixelScale', () => {
  it('maps a linear domain onto a pixel range, forwards or backwards', () => {
    const x = axisPixelScale([0, 400], [60, 860], false);
    expect([0, 100, 400, 500].map(x)).toEqual([60, 260, 860, 1060]);
    // A y axis: the domain's low end at the bottom of the plot.
    const y = axisPixelScale([0, 4], [248, 8], false);
    expect([0, 1, 4].map(y)).toEqual([248, 188, 8]);
  });

  it('maps a log domain by decades and has no place for non-positive values', () => {
    const y = axisPixelScale([0.01, 10], [300, 0], true);
    // Three decades over 300 px: 100 px per decade.
    expect(y(0.01)).toBeCloseTo(300, 9);
    expect(y(0.1)).toBeCloseTo(200, 9);
    expect(y(1)).toBeCloseTo(100, 9);
    expect(y(Math.sqrt(10))).toBeCloseTo(50, 9);
    expect(y(0)).toBeUndefined();
    expect(y(-1)).toBeUndefined();
  });
});

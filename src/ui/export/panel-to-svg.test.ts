import { describe, expect, it } from 'vitest';
import { gradientCss } from '../heatmap/color-scale';
import { escapeXml, parseHorizontalGradient } from './panel-to-svg';

describe('parseHorizontalGradient', () => {
  it('reads back every stop of the colour legend gradient', () => {
    const css = gradientCss('diverging', 5);
    const stops = parseHorizontalGradient(css);
    // The reference: the stops as written between the commas outside parentheses.
    const written = [...css.matchAll(/(rgb\([^)]*\)) ([\d.]+%)/g)].map((m) => ({
      color: m[1],
      offset: m[2],
    }));
    expect(written).toHaveLength(5);
    expect(stops).toEqual(written);
  });

  it('gives null for what is not a left-to-right gradient', () => {
    expect(parseHorizontalGradient('none')).toBeNull();
    expect(parseHorizontalGradient('radial-gradient(red, blue)')).toBeNull();
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`a<b & "c" 'd'>`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
  });
});

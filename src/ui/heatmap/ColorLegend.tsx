import { useMemo } from 'react';
import { formatValue } from '../charts/format';
import { gradientCss, type HeatmapScheme } from './color-scale';

export interface ColorLegendProps {
  domain: readonly [number, number];
  scheme: HeatmapScheme;
  /** What the colours mean, e.g. "cosine similarity". */
  label?: string;
  /** Bar width in CSS px. */
  width?: number;
}

/** Horizontal gradient bar for a heatmap colour scale, with min / mid / max tick labels. */
export function ColorLegend({ domain, scheme, label, width = 192 }: ColorLegendProps) {
  const background = useMemo(() => gradientCss(scheme, 16), [scheme]);
  const [lo, hi] = domain;
  const ticks = [lo, (lo + hi) / 2, hi].map(formatValue);
  const ends = scheme === 'diverging' ? ['blue', 'white', 'red'] : ['dark blue', '', 'yellow'];
  const name = `Colour scale${label ? ` for ${label}` : ''}: ${ticks[0]} (${ends[0]}) to ${ticks[2]} (${ends[2]})`;
  return (
    <div className="color-legend" role="img" aria-label={name} style={{ width }}>
      {label && <div className="color-legend-label">{label}</div>}
      <div className="color-legend-bar" style={{ background }} />
      <div className="color-legend-ticks">
        {ticks.map((t, k) => (
          <span key={['min', 'mid', 'max'][k]}>{t}</span>
        ))}
      </div>
    </div>
  );
}

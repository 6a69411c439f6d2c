import { memo, useMemo } from 'react';
import { useActiveTooltipLabel, usePlotArea } from 'recharts';
import type { AxisScale } from './axis-ticks';
import type { ChartPoint } from './chart-data';
import { axisPixelScale, linePath, type PixelScale } from './line-path';

/** How one field of the points is drawn. */
export interface LineSpec {
  /** Unique among the chart's lines; also the React key. */
  id: string;
  field: string;
  color: string;
  className: string;
  width: number;
  opacity: number;
  dash?: string;
  connectNulls: boolean;
  /** Draw a dot on this line at the step under the pointer. */
  activeDot?: boolean;
}

interface ChartLinesProps {
  points: readonly ChartPoint[];
  lines: readonly LineSpec[];
  /** The domains given to the chart's XAxis and YAxis (see buildChartData). */
  x: AxisScale | undefined;
  y: AxisScale | undefined;
  logY: boolean;
}

/** Pixel scales for the plot area, or null before recharts has laid the chart out. */
function usePixelScales(x: AxisScale | undefined, y: AxisScale | undefined, logY: boolean) {
  const area = usePlotArea();
  return useMemo(() => {
    if (!area || !x || !y || area.width <= 0 || area.height <= 0) return null;
    return {
      x: axisPixelScale(x.domain, [area.x, area.x + area.width], false),
      y: axisPixelScale(y.domain, [area.y + area.height, area.y], logY),
    };
  }, [area, x, y, logY]);
}

/**
 * Every line of a chart as plain SVG paths, inside a recharts chart that still draws the axes,
 * grid, markers and tooltip. Points are placed on the plot area (recharts' public usePlotArea)
 * with the same fixed domains the axes were given, so lines and ticks agree; reading recharts'
 * own scales instead would redraw every line twice per update (once more when its store catches
 * up with the new domain).
 *
 * Why not one recharts <Line> per series: each Line is a dozen components wired through
 * recharts' store, and a redraw re-runs their selectors and synchronous re-renders line by line.
 * With six loss terms drawn raw and smoothed that was 12 Lines, and each redraw held the page's
 * main thread for 80-270 ms (profiled: Long Animation Frames plus a CPU profile). Here a redraw
 * is one component building a few path strings.
 */
export const ChartLines = memo(function ChartLines({ points, lines, x, y, logY }: ChartLinesProps) {
  const scales = usePixelScales(x, y, logY);
  const paths = useMemo(() => {
    if (!scales) return [];
    return lines.map((line) => ({
      line,
      d: linePath(points, line.field, scales.x, scales.y, line.connectNulls),
    }));
  }, [points, lines, scales]);

  return (
    <g className="metric-chart-lines">
      {paths.map(({ line, d }) => (
        <path
          key={line.id}
          className={line.className}
          d={d}
          fill="none"
          stroke={line.color}
          strokeOpacity={line.opacity}
          strokeWidth={line.width}
          strokeDasharray={line.dash}
          strokeLinejoin="round"
          strokeLinecap="round"
        />
      ))}
      {scales && <ActiveDots points={points} lines={lines} x={scales.x} y={scales.y} />}
    </g>
  );
});

/** Dots on the lines at the step under the pointer (what recharts' activeDot did). */
function ActiveDots({
  points,
  lines,
  x,
  y,
}: {
  points: readonly ChartPoint[];
  lines: readonly LineSpec[];
  x: PixelScale;
  y: PixelScale;
}) {
  const label = useActiveTooltipLabel();
  const step = typeof label === 'number' ? label : Number(label);
  if (label === undefined || !Number.isFinite(step)) return null;
  const point = points.find((p) => p.step === step);
  if (!point) return null;
  const cx = x(step);
  return (
    <g className="metric-chart-active-dots">
      {lines.map((line) => {
        const v = line.activeDot ? point[line.field] : undefined;
        const cy = v === undefined ? undefined : y(v);
        if (cx === undefined || cy === undefined) return null;
        return <circle key={line.id} cx={cx} cy={cy} r={3} fill={line.color} />;
      })}
    </g>
  );
}

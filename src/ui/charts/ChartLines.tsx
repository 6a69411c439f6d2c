import { memo, type PointerEvent, useMemo } from 'react';
import { usePlotArea } from 'recharts';
import type { AxisScale } from './axis-ticks';
import { type ChartPoint, nearestIndex } from './chart-data';
import { axisPixelScale, linePath } from './line-path';

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

/** The drawn point under the pointer, and where it is on the plot (px, in the chart's SVG). */
export interface HoverPoint {
  step: number;
  x: number;
  plotTop: number;
  plotLeft: number;
  plotRight: number;
}

interface ChartLinesProps {
  points: readonly ChartPoint[];
  lines: readonly LineSpec[];
  /** The domains given to the chart's XAxis and YAxis (see buildChartData). */
  x: AxisScale | undefined;
  y: AxisScale | undefined;
  logY: boolean;
  hoverStep: number | null;
  onHover: (hover: HoverPoint | null) => void;
}

/** Pixel scales for the plot area, or null before recharts has laid the chart out. */
function usePixelScales(x: AxisScale | undefined, y: AxisScale | undefined, logY: boolean) {
  const area = usePlotArea();
  return useMemo(() => {
    if (!area || !x || !y || area.width <= 0 || area.height <= 0) return null;
    return {
      area,
      x: axisPixelScale(x.domain, [area.x, area.x + area.width], false),
      y: axisPixelScale(y.domain, [area.y + area.height, area.y], logY),
    };
  }, [area, x, y, logY]);
}

/**
 * Every line of a chart as plain SVG paths, inside a recharts chart that still draws the axes,
 * grid and markers. Points are placed on the plot area (recharts' public usePlotArea) with the
 * same fixed domains the axes were given, so lines and ticks agree.
 *
 * Why not recharts' <Line> and <Tooltip>: each Line is a dozen components wired through
 * recharts' store, and giving the chart its data makes every redraw re-run recharts' selectors
 * and re-render its subscribers synchronously. With six loss terms drawn raw and smoothed (12
 * Lines) a redraw held the page's main thread for 80-270 ms (profiled: Long Animation Frames
 * plus a CPU profile). Here recharts gets no data at all, and a redraw is one component building
 * a few path strings; the pointer is tracked here too (the nearest drawn step, its dots and a
 * cursor line) and the chart shows the tooltip.
 */
export const ChartLines = memo(function ChartLines({
  points,
  lines,
  x,
  y,
  logY,
  hoverStep,
  onHover,
}: ChartLinesProps) {
  const scales = usePixelScales(x, y, logY);
  const paths = useMemo(() => {
    if (!scales) return [];
    return lines.map((line) => ({
      line,
      d: linePath(points, line.field, scales.x, scales.y, line.connectNulls),
    }));
  }, [points, lines, scales]);
  const steps = useMemo(() => points.map((p) => p.step), [points]);
  if (!scales || !x) return null;
  const { area } = scales;

  const track = (event: PointerEvent<SVGRectElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const fraction = box.width > 0 ? (event.clientX - box.left) / box.width : 0;
    const i = nearestIndex(steps, x.domain[0] + fraction * (x.domain[1] - x.domain[0]));
    const step = steps[i];
    const px = step === undefined ? undefined : scales.x(step);
    if (step === undefined || px === undefined) return onHover(null);
    onHover({ step, x: px, plotTop: area.y, plotLeft: area.x, plotRight: area.x + area.width });
  };

  const hovered = hoverStep === null ? undefined : points[nearestIndex(steps, hoverStep)];
  const cx = hovered && hovered.step === hoverStep ? scales.x(hovered.step) : undefined;
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
      {hovered && cx !== undefined && (
        <g className="metric-chart-active-dots">
          <line className="metric-chart-cursor" x1={cx} x2={cx} y1={area.y} y2={area.y + area.height} />
          {lines.map((line) => {
            const v = line.activeDot ? hovered[line.field] : undefined;
            const cy = v === undefined ? undefined : scales.y(v);
            if (cy === undefined) return null;
            return <circle key={line.id} cx={cx} cy={cy} r={3} fill={line.color} />;
          })}
        </g>
      )}
      <rect
        className="metric-chart-hover-area"
        x={area.x}
        y={area.y}
        width={area.width}
        height={area.height}
        fill="transparent"
        onPointerMove={track}
        onPointerLeave={() => onHover(null)}
      />
    </g>
  );
});

import { memo, useMemo, useRef, useState } from 'react';
import { type BaseTickContentProps, CartesianGrid, LineChart, ReferenceLine, XAxis, YAxis } from 'recharts';
import { ExportButtons } from '../export/ExportButtons';
import { type AxisScale, sameScale } from './axis-ticks';
import { ChartLines, type HoverPoint, type LineSpec } from './ChartLines';
import {
  type ChartData,
  ChartDataBuilder,
  type GhostRun,
  ghostField,
  lastFinite,
  type MetricRow,
  nearestIndex,
  rawField,
  smoothField,
} from './chart-data';
import { formatStep, formatValue, slugify } from './format';
import { type ChartReference, ReferenceLegend, referenceElements } from './ReferenceMarks';

export type { GhostRun, MetricRow } from './chart-data';

/**
 * Okabe-Ito colours (Okabe & Ito 2008, "Color Universal Design"), distinct under the common
 * colour-vision deficiencies. Yellow (#F0E442) is left out: it vanishes on a light background; black
 * is replaced by a mid grey that keeps >= 3:1 contrast on both the light and the dark surface.
 * Loss terms (ce … total) are all distinct; accuracies (teacher, student, baseline) share a chart
 * of their own and reuse three of those colours.
 */
export const SERIES_COLORS = {
  /** Cross-entropy on labels: blue. */
  ce: '#0072B2',
  /** Logit KD: orange. */
  kd: '#E69F00',
  /** Intra-image patch relation: bluish green. */
  intra: '#009E73',
  /** Inter-image relation: reddish purple. */
  inter: '#CC79A7',
  /** Random-sampled relation: sky blue. */
  random: '#56B4E9',
  /** Weighted total: vermillion. */
  total: '#D55E00',
  /** Teacher accuracy (a fixed reference): grey. */
  teacher: '#888888',
  /** Student accuracy: vermillion. */
  student: '#D55E00',
  /** Student trained without distillation: blue. */
  baseline: '#0072B2',
} as const satisfies Record<string, string>;

export interface MetricSeries {
  /** Field of each row holding this series' values. */
  key: string;
  label: string;
  color: string;
}

export interface MetricChartProps {
  title: string;
  series: readonly MetricSeries[];
  /** In step order; appended over time (may be thousands of rows). */
  rows: readonly MetricRow[];
  /** De-biased EMA weight, 0..0.99 (0 = raw). */
  smoothing: number;
  logScale: boolean;
  /** Steps where a weight was changed, drawn as labelled vertical lines. */
  markers?: readonly { step: number; label: string }[];
  /** Earlier runs, drawn faint and dashed, labelled by what changed. */
  ghosts?: readonly GhostRun[];
  yLabel?: string;
  /** Plot height in CSS px. */
  height?: number;
  /** The run's planned last step: the step axis spans it from the start. */
  stepsTotal?: number;
  /** A fixed value axis (e.g. [0, 1] for accuracies). */
  yRange?: readonly [number, number];
  /** Measured values where runs like this one end, drawn as labelled levels. */
  references?: readonly ChartReference[];
}

const NONE: readonly never[] = [];
// Props recharts compares by identity: built once, so a redraw with new rows changes nothing in
// recharts (a changed object or callback makes it re-register the axis and redraw its frame).
const MARGIN = { top: 8, right: 16, bottom: 4, left: 4 };
const AUTO_DOMAIN = ['auto', 'auto'] as const;
const TICK_DY = { start: '0.71em', middle: '0.355em', end: '0' } as const;

/**
 * A tick label as a plain <text>. recharts' default (its Text component) measures the label's
 * words in the DOM on every redraw, to wrap them; a number never wraps.
 */
function AxisTick({
  x,
  y,
  payload,
  textAnchor,
  verticalAnchor,
  format,
}: BaseTickContentProps & { format: (v: number) => string }) {
  return (
    <text
      x={x}
      y={y}
      dy={TICK_DY[verticalAnchor]}
      textAnchor={textAnchor}
      className="recharts-text recharts-cartesian-axis-tick-value"
    >
      {format(Number(payload.value))}
    </text>
  );
}
const renderStepTick = (props: BaseTickContentProps) => <AxisTick {...props} format={formatStep} />;
const renderValueTick = (props: BaseTickContentProps) => <AxisTick {...props} format={formatValue} />;
const GHOST_DASHES = ['6 4', '2 3', '9 3 2 3', '1 5'];
/** Each series drawn twice: raw values faint and thin, the smoothed curve on top. */
const SERIES_STYLES = [
  { kind: 'raw', field: rawField, width: 1, opacity: 0.25, activeDot: false },
  { kind: 'smoothed', field: smoothField, width: 2, opacity: 1, activeDot: true },
] as const;
const KEY_SEPARATOR = '\u0000';

/** The values at the step under the pointer: smoothed and raw per series, and earlier runs'. */
function TooltipBody({
  step,
  data,
  series,
}: {
  step: number;
  data: ChartData;
  series: readonly MetricSeries[];
}) {
  const i = nearestIndex(data.steps, step);
  const ghostRows = data.ghosts.map((g) => ({ g, j: nearestIndex(g.steps, step) }));
  return (
    <div className="metric-chart-tooltip">
      <div className="metric-chart-tooltip-step">step {step}</div>
      <table>
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">smoothed</th>
            <th scope="col">raw</th>
          </tr>
        </thead>
        <tbody>
          {series.map((s, k) => (
            <tr key={s.key}>
              <th scope="row">
                <span className="metric-chart-swatch" style={{ background: s.color }} />
                {s.label}
              </th>
              <td>{i >= 0 && data.steps[i] === step ? formatValue(data.traces[k]!.smoothed[i]!) : '–'}</td>
              <td>{i >= 0 && data.steps[i] === step ? formatValue(data.traces[k]!.raw[i]!) : '–'}</td>
            </tr>
          ))}
          {ghostRows.map(({ g, j }) =>
            j < 0 || g.steps[j] !== step
              ? null
              : series.map((s, k) => (
                  <tr key={`${g.label}-${s.key}`} className="metric-chart-tooltip-ghost">
                    <th scope="row">
                      {g.label} · {s.label}
                    </th>
                    <td>{formatValue(g.smoothed[k]![j]!)}</td>
                    <td />
                  </tr>
                )),
          )}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The previous scale while the new one is equal by value. recharts compares axis props by
 * identity: a new but equal domain would make it recompute and redraw the axis.
 */
function useStableScale(scale: AxisScale | undefined): AxisScale | undefined {
  const kept = useRef(scale);
  if (!sameScale(kept.current, scale)) kept.current = scale;
  return kept.current;
}

/**
 * Line chart of several metric series over steps: each series' raw values faint beneath its
 * de-biased EMA, optional log-y, weight-change markers and faint earlier runs. Memoised, so a
 * parent re-render with the same props skips recharts entirely.
 */
export const MetricChart = memo(function MetricChart({
  title,
  series,
  rows,
  smoothing,
  logScale,
  markers = NONE,
  ghosts = NONE,
  yLabel,
  height = 240,
  stepsTotal,
  yRange,
  references = NONE,
}: MetricChartProps) {
  // Key the memo on the series keys, not the array identity, so an inline `series={[…]}` stays cheap.
  const keySig = series.map((s) => s.key).join(KEY_SEPARATOR);
  const keys = useMemo(() => (keySig === '' ? [] : keySig.split(KEY_SEPARATOR)), [keySig]);
  const builder = useRef<ChartDataBuilder | null>(null);
  builder.current ??= new ChartDataBuilder();
  const data = useMemo(
    () => builder.current!.build(rows, keys, smoothing, logScale, ghosts, { stepsTotal, yRange }),
    [rows, keys, smoothing, logScale, ghosts, stepsTotal, yRange],
  );

  const xScale = useStableScale(data.x);
  const yScale = useStableScale(data.y);

  const summary = useMemo(() => {
    const parts = series.map((s, k) => {
      const last = lastFinite(data.traces[k]!, data.steps);
      return `${s.label} ${last ? formatValue(last.value) : 'no data'}`;
    });
    const lastStep = data.steps.at(-1);
    if (lastStep === undefined) return `${title}: no data yet`;
    return `${title} at step ${lastStep} (smoothed): ${parts.join(', ')}`;
  }, [series, data, title]);

  const [hover, setHover] = useState<HoverPoint | null>(null);
  const figureRef = useRef<HTMLElement>(null);

  // With ghosts merged in, a series has no value at a ghost-only step; connect across those gaps.
  const connectNulls = ghosts.length > 0;
  const ghostCount = data.ghosts.length;
  const lines = useMemo(() => {
    const specs: LineSpec[] = [];
    for (let gi = 0; gi < ghostCount; gi++) {
      series.forEach((s, k) => {
        specs.push({
          id: `ghost-${gi}-${s.key}`,
          field: ghostField(gi, k),
          color: s.color,
          className: `metric-chart-ghost series-${s.key}`,
          width: 1.5,
          opacity: 0.45,
          dash: GHOST_DASHES[gi % GHOST_DASHES.length],
          connectNulls: true,
        });
      });
    }
    for (const style of SERIES_STYLES) {
      series.forEach((s, k) => {
        specs.push({
          id: `${style.kind}-${s.key}`,
          field: style.field(k),
          color: s.color,
          className: `metric-chart-${style.kind} series-${s.key}`,
          width: style.width,
          opacity: style.opacity,
          connectNulls,
          activeDot: style.activeDot,
        });
      });
    }
    return specs;
  }, [ghostCount, series, connectNulls]);
  // Reused elements (same identity) are not re-rendered when only the rows change.
  const markerLines = useMemo(
    () =>
      markers.map((m) => (
        <ReferenceLine
          key={`${m.step}-${m.label}`}
          x={m.step}
          className="metric-chart-marker"
          strokeDasharray="4 3"
          label={{ value: m.label, position: 'insideTopRight', className: 'metric-chart-marker-label' }}
        />
      )),
    [markers],
  );
  const referenceMarks = useMemo(() => referenceElements(references), [references]);
  const style = useMemo(() => ({ width: '100%', height }), [height]);
  const yAxisLabel = useMemo(
    () =>
      yLabel
        ? { value: yLabel, angle: -90, position: 'insideLeft' as const, className: 'metric-chart-ylabel' }
        : undefined,
    [yLabel],
  );

  return (
    <figure className="metric-chart" data-testid={`chart-${slugify(title)}`} ref={figureRef}>
      <figcaption>{title}</figcaption>
      <ExportButtons panel={figureRef} title={title} />
      <div className="metric-chart-plot" role="img" aria-label={summary}>
        <LineChart
          // No data for recharts: it draws the frame (axes, grid, markers); ChartLines draws the
          // data and tracks the pointer (see there for why).
          responsive
          style={style}
          margin={MARGIN}
          // The summary above is the accessible form; the keyboard layer would put a focusable
          // element inside role="img", whose children are presentational.
          accessibilityLayer={false}
        >
          <CartesianGrid strokeDasharray="3 3" />
          {/* Domains and ticks come from buildChartData (see axis-ticks.ts for why); interval 0
              shows every given tick without measuring labels. */}
          <XAxis
            // Without a dataKey recharts treats the horizontal axis as categories of the (absent) data.
            dataKey="step"
            type="number"
            domain={xScale?.domain ?? AUTO_DOMAIN}
            allowDataOverflow
            ticks={xScale?.ticks}
            interval={0}
            niceTicks="none"
            allowDecimals={false}
            tick={renderStepTick}
          />
          <YAxis
            type="number"
            scale={logScale ? 'log' : 'linear'}
            domain={yScale?.domain ?? AUTO_DOMAIN}
            ticks={yScale?.ticks}
            interval={0}
            niceTicks="none"
            allowDataOverflow
            tick={renderValueTick}
            width={56}
            label={yAxisLabel}
          />
          {markerLines}
          {referenceMarks}
          <ChartLines
            points={data.points}
            lines={lines}
            x={xScale}
            y={yScale}
            logY={logScale}
            hoverStep={hover?.step ?? null}
            onHover={setHover}
          />
        </LineChart>
        {hover && (
          // Beside the pointer, on the side with more room.
          <div
            className="metric-chart-tooltip-box"
            style={
              hover.x - hover.plotLeft > (hover.plotRight - hover.plotLeft) / 2
                ? { top: hover.plotTop, left: hover.x - 12, transform: 'translateX(-100%)' }
                : { top: hover.plotTop, left: hover.x + 12 }
            }
          >
            <TooltipBody step={hover.step} data={data} series={series} />
          </div>
        )}
      </div>
      <ul className="metric-chart-legend">
        {series.map((s) => (
          <li key={s.key}>
            <span className="metric-chart-swatch" style={{ background: s.color }} />
            {s.label}
          </li>
        ))}
        {ghosts.map((g, gi) => (
          <li key={`ghost-${g.label}`} className="metric-chart-legend-ghost">
            <svg width="24" height="8" aria-hidden="true">
              <line x1="0" y1="4" x2="24" y2="4" strokeDasharray={GHOST_DASHES[gi % GHOST_DASHES.length]} />
            </svg>
            {g.label} (earlier run)
          </li>
        ))}
        <ReferenceLegend references={references} />
      </ul>
      <ul data-testid="chart-points" className="chart-sr-only" aria-hidden="true">
        {data.traces.map((t) => (
          <li key={t.key} data-series={t.key} data-count={t.finiteCount} data-drawn={t.drawnCount}>
            {t.key}: {t.finiteCount}
          </li>
        ))}
      </ul>
    </figure>
  );
});

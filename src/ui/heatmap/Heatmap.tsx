import { type PointerEvent, useEffect, useMemo, useRef, useState } from 'react';
import { formatValue } from '../charts/format';
import { CPU_CANVAS } from '../cpu-canvas';
import { EXPORT_SKIP_ATTR } from '../export/panel-to-svg';
import { type HeatmapScheme, paintValues, summarize } from './color-scale';

/** A cell under the pointer, with its value. */
export interface HeatmapCell {
  /** Row index. */
  i: number;
  /** Column index. */
  j: number;
  value: number;
}

export interface HeatmapProps {
  /** Row-major, `rows * cols` long. */
  values: Float32Array;
  rows: number;
  cols: number;
  /** Values mapped onto the ends of the colour scale; values outside are clamped. */
  domain: readonly [number, number];
  scheme: HeatmapScheme;
  /** Accessible name of the canvas: model, term and layer pair (interfaces.md). */
  ariaLabel: string;
  /** Visible caption above the canvas. */
  title: string;
  /** CSS px of the longer side; cells are scaled up without smoothing. */
  size?: number;
  onHover?: (cell: HeatmapCell | null) => void;
  /** Cell to outline, e.g. the one hovered in a sibling heatmap. */
  highlight?: { i: number; j: number } | null;
  /** Show the "(i, j) = value" read-out under the canvas (default true). */
  showReadout?: boolean;
  /** Test id, put on the canvas next to data-min / data-max / data-sum. */
  'data-testid'?: string;
}

/** Smallest outline box in CSS px, so a highlighted 1.5 px cell of a 192 x 192 map stays visible. */
const MIN_OUTLINE_PX = 5;

/**
 * A matrix drawn one pixel per cell into a canvas and scaled up with `image-rendering: pixelated`.
 * The canvas is repainted (putImageData) only when the values, shape, domain or scheme change;
 * hover and highlight are drawn in the DOM on top of it.
 */
export function Heatmap({
  values,
  rows,
  cols,
  domain,
  scheme,
  ariaLabel,
  title,
  size = 192,
  onHover,
  highlight = null,
  showReadout = true,
  'data-testid': testId,
}: HeatmapProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ i: number; j: number } | null>(null);
  const [lo, hi] = domain;
  const stats = useMemo(() => summarize(values), [values]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d', CPU_CANVAS);
    if (!ctx || rows <= 0 || cols <= 0) return;
    const image = ctx.createImageData(cols, rows);
    const n = Math.min(values.length, rows * cols);
    paintValues(n === values.length ? values : values.subarray(0, n), [lo, hi], scheme, image.data);
    ctx.putImageData(image, 0, 0);
  }, [values, rows, cols, lo, hi, scheme]);

  const scale = size / Math.max(rows, cols, 1);
  const width = cols * scale;
  const height = rows * scale;

  const cellAt = (e: PointerEvent<HTMLCanvasElement>): HeatmapCell | null => {
    const rect = e.currentTarget.getBoundingClientRect();
    if (rect.width <= 0 || rect.height <= 0) return null;
    const j = Math.floor(((e.clientX - rect.left) / rect.width) * cols);
    const i = Math.floor(((e.clientY - rect.top) / rect.height) * rows);
    if (i < 0 || j < 0 || i >= rows || j >= cols) return null;
    return { i, j, value: values[i * cols + j] ?? Number.NaN };
  };

  const updateHover = (cell: HeatmapCell | null) => {
    if (cell?.i === hover?.i && cell?.j === hover?.j) return;
    setHover(cell && { i: cell.i, j: cell.j });
    onHover?.(cell);
  };

  const outline =
    highlight && highlight.i >= 0 && highlight.j >= 0 && highlight.i < rows && highlight.j < cols
      ? (() => {
          const box = Math.max(scale, MIN_OUTLINE_PX);
          return {
            left: (highlight.j + 0.5) * scale - box / 2,
            top: (highlight.i + 0.5) * scale - box / 2,
            width: box,
            height: box,
          };
        })()
      : null;

  return (
    <div className="heatmap">
      <div className="heatmap-title">{title}</div>
      <div className="heatmap-frame" style={{ width, height }}>
        <canvas
          ref={canvasRef}
          className="heatmap-canvas"
          width={Math.max(cols, 1)}
          height={Math.max(rows, 1)}
          style={{ width, height }}
          role="img"
          aria-label={ariaLabel}
          data-testid={testId}
          data-rows={rows}
          data-cols={cols}
          data-min={stats.min}
          data-max={stats.max}
          data-sum={stats.sum}
          onPointerMove={(e) => updateHover(cellAt(e))}
          onPointerDown={(e) => updateHover(cellAt(e))}
          onPointerLeave={() => updateHover(null)}
        />
        {outline && <div className="heatmap-highlight" style={outline} />}
      </div>
      {showReadout && (
        <div className="heatmap-readout" aria-live="polite" {...{ [EXPORT_SKIP_ATTR]: '' }}>
          {hover && hover.i < rows && hover.j < cols
            ? `(${hover.i}, ${hover.j}) = ${formatValue(values[hover.i * cols + hover.j] ?? Number.NaN)}`
            : '\u00a0'}
        </div>
      )}
    </div>
  );
}

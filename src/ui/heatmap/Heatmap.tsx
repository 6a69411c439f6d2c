import { type KeyboardEvent, type PointerEvent, useEffect, useMemo, useRef, useState } from 'react';
import { formatValue } from '../charts/format';
import { CPU_CANVAS } from '../cpu-canvas';
import { EXPORT_SKIP_ATTR } from '../export/panel-to-svg';
import { type HeatmapScheme, paintValues, summarize } from './color-scale';
import { CURSOR_KEYS, cellAfterKey } from './heatmap-cursor';

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
  /**
   * Cell to outline, e.g. the one hovered in a sibling heatmap (null: none). Left out, the map
   * outlines its own hovered or keyboard cell.
   */
  highlight?: { i: number; j: number } | null;
  /** Show the "(i, j) = value" read-out under the canvas (default true). */
  showReadout?: boolean;
  /** What one cell is, in words, for the read-out ("patch 3 with patch 5"); default "row i, column j". */
  describeCell?: (i: number, j: number) => string;
  /** Test id, put on the canvas next to data-min / data-max / data-sum. */
  'data-testid'?: string;
}

/** "row 3, column 5": a cell in words, when the caller has no better name for it. */
export const rowColumn = (i: number, j: number) => `row ${i}, column ${j}`;

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
  highlight,
  showReadout = true,
  describeCell = rowColumn,
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

  // What the read-out announced when the cursor last moved: a screen reader hears the cell it
  // moved to, not every refresh of the values under a resting cursor.
  const [announced, setAnnounced] = useState('');
  const readoutOf = (c: { i: number; j: number }) =>
    `${describeCell(c.i, c.j)}: ${formatValue(values[c.i * cols + c.j] ?? Number.NaN)}`;
  const moveTo = (cell: HeatmapCell | null) => {
    setHover(cell && { i: cell.i, j: cell.j });
    setAnnounced(cell ? readoutOf(cell) : '');
    onHover?.(cell);
  };
  const updateHover = (cell: HeatmapCell | null) => {
    if (cell?.i === hover?.i && cell?.j === hover?.j) return;
    moveTo(cell);
  };

  const shared = highlight === undefined ? hover : highlight;
  // The keyboard's cell cursor is the hover by other means: the same outline and read-out.
  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>) => {
    if (e.key === 'Escape') {
      updateHover(null);
      return;
    }
    // From the cursor the sibling maps share (highlight), else this map's own.
    const next = cellAfterKey(e.key, shared, rows, cols);
    if (!next) return;
    e.preventDefault(); // the arrows would scroll the page
    moveTo({ ...next, value: values[next.i * cols + next.j] ?? Number.NaN });
  };

  const outline =
    shared && shared.i >= 0 && shared.j >= 0 && shared.i < rows && shared.j < cols
      ? (() => {
          const box = Math.max(scale, MIN_OUTLINE_PX);
          return {
            left: (shared.j + 0.5) * scale - box / 2,
            top: (shared.i + 0.5) * scale - box / 2,
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
          // Focusable, so the cell cursor has a keyboard path: the arrows move it, and the
          // read-out (aria-live) announces what the pointer would show.
          tabIndex={0}
          aria-keyshortcuts={CURSOR_KEYS}
          onKeyDown={onKeyDown}
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
        <HeatmapReadout
          shown={hover && hover.i < rows && hover.j < cols ? readoutOf(hover) : '\u00a0'}
          announced={announced}
        />
      )}
    </div>
  );
}

/**
 * The read-out under a map, left out of an exported figure: `shown` follows the pointer, while a
 * screen reader hears `announced`, set when the cursor moves to a cell rather than at each refresh.
 */
export function HeatmapReadout({ shown, announced }: { shown: string; announced: string }) {
  return (
    <div className="heatmap-readout" {...{ [EXPORT_SKIP_ATTR]: '' }}>
      <span aria-hidden="true">{shown}</span>
      <span role="status" className="chart-sr-only">
        {announced}
      </span>
    </div>
  );
}

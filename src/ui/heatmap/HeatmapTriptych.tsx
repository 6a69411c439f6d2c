import { useMemo, useRef, useState } from 'react';
import { formatValue } from '../charts/format';
import { ExportButtons } from '../export/ExportButtons';
import { EXPORT_SKIP_ATTR } from '../export/panel-to-svg';
import { ColorLegend } from './ColorLegend';
import type { Matrix } from './color-scale';
import { Heatmap, type HeatmapCell } from './Heatmap';

export type { Matrix } from './color-scale';

/** Which panel of the triptych. */
export type TriptychPanel = 'teacher' | 'student' | 'difference';

export interface HeatmapTriptychProps {
  teacher: Matrix;
  student: Matrix;
  title: string;
  /** Accessible name of each canvas (model, term and layer pair). */
  labelFor: (model: TriptychPanel) => string;
  /** Hovered (i, j), or null on leave; for N x N maps the parent outlines patches i and j on the image. */
  onHoverCell?: (cell: { i: number; j: number } | null) => void;
  /** CSS px of each map's longer side. */
  size?: number;
  /** Test id prefix: canvases get `<prefix>-teacher`, `-student`, `-difference`. */
  testIdPrefix?: string;
}

/** Cosine similarities lie in [-1, 1]; the difference is drawn on the same scale, clamped. */
const DOMAIN: readonly [number, number] = [-1, 1];

const PANEL_TITLES: Record<TriptychPanel, string> = {
  teacher: 'Teacher',
  student: 'Student',
  difference: 'Student − teacher',
};

function sameShape(a: Matrix, b: Matrix): boolean {
  return a.rows === b.rows && a.cols === b.cols && a.values.length === b.values.length;
}

/**
 * Teacher, student and (student - teacher) relation maps for one term, side by side on one shared
 * diverging scale with one legend. Hovering a cell in any map outlines it in all three and reads
 * out the three values.
 */
export function HeatmapTriptych({
  teacher,
  student,
  title,
  labelFor,
  onHoverCell,
  size = 192,
  testIdPrefix,
}: HeatmapTriptychProps) {
  const [cell, setCell] = useState<{ i: number; j: number } | null>(null);
  const figureRef = useRef<HTMLElement>(null);
  const shapesMatch = sameShape(teacher, student);

  const difference = useMemo<Matrix | null>(() => {
    if (!shapesMatch) return null;
    const out = new Float32Array(student.values.length);
    for (let p = 0; p < out.length; p++) out[p] = student.values[p]! - teacher.values[p]!;
    return { values: out, rows: student.rows, cols: student.cols };
  }, [shapesMatch, teacher.values, student.values, student.rows, student.cols]);

  const onHover = (c: HeatmapCell | null) => {
    const next = c && { i: c.i, j: c.j };
    setCell(next);
    onHoverCell?.(next);
  };

  const panels: { panel: TriptychPanel; m: Matrix }[] = [
    { panel: 'teacher', m: teacher },
    { panel: 'student', m: student },
  ];
  if (difference) panels.push({ panel: 'difference', m: difference });

  const valueAt = (m: Matrix) =>
    cell && cell.i < m.rows && cell.j < m.cols
      ? formatValue(m.values[cell.i * m.cols + cell.j] ?? Number.NaN)
      : '–';

  return (
    <figure className="heatmap-triptych" ref={figureRef}>
      <figcaption>{title}</figcaption>
      <ExportButtons panel={figureRef} title={title} />
      <div className="heatmap-triptych-maps">
        {panels.map(({ panel, m }) => (
          <Heatmap
            key={panel}
            values={m.values}
            rows={m.rows}
            cols={m.cols}
            domain={DOMAIN}
            scheme="diverging"
            ariaLabel={labelFor(panel)}
            title={PANEL_TITLES[panel]}
            size={size}
            onHover={onHover}
            highlight={cell}
            showReadout={false}
            data-testid={testIdPrefix ? `${testIdPrefix}-${panel}` : undefined}
          />
        ))}
        {!difference && (
          <p className="heatmap-triptych-mismatch">
            No difference map: teacher is {teacher.rows} x {teacher.cols}, student is {student.rows} x{' '}
            {student.cols}.
          </p>
        )}
      </div>
      <div className="heatmap-triptych-footer">
        <ColorLegend domain={DOMAIN} scheme="diverging" label="cosine similarity" width={size} />
        {/* A hover hint, not part of an exported figure. */}
        <div className="heatmap-readout" aria-live="polite" {...{ [EXPORT_SKIP_ATTR]: '' }}>
          {cell
            ? `(${cell.i}, ${cell.j}): teacher ${valueAt(teacher)}, student ${valueAt(student)}${
                difference ? `, difference ${valueAt(difference)}` : ''
              }`
            : 'Hover a cell to compare teacher and student.'}
        </div>
      </div>
    </figure>
  );
}

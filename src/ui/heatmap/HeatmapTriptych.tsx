import { type ReactNode, useMemo, useRef, useState } from 'react';
import { formatValue } from '../charts/format';
import { ExportButtons } from '../export/ExportButtons';
import { EXPORT_SKIP_ATTR } from '../export/panel-to-svg';
import { ColorLegend } from './ColorLegend';
import type { Matrix } from './color-scale';
import { Heatmap, type HeatmapCell, HeatmapReadout, rowColumn } from './Heatmap';

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
  /** What one cell is, in words, for the read-out ("patch 3 with patch 5"). */
  describeCell?: (i: number, j: number) => string;
  /** A few plain sentences under the title: what a cell is and how to read the maps. */
  explanation?: ReactNode;
}

/** The explanation under a map's title: part of the page, not of an exported figure. */
export function MapExplanation({ children }: { children: ReactNode }) {
  return (
    <p className="map-explanation" {...{ [EXPORT_SKIP_ATTR]: '' }}>
      {children}
    </p>
  );
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
  describeCell = rowColumn,
  explanation,
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

  // Announced when the cursor moves (not at every refresh of the values under it).
  const [announced, setAnnounced] = useState('');
  const onHover = (c: HeatmapCell | null) => {
    const next = c && { i: c.i, j: c.j };
    setCell(next);
    setAnnounced(next ? readout(next) : '');
    onHoverCell?.(next);
  };

  const panels: { panel: TriptychPanel; m: Matrix }[] = [
    { panel: 'teacher', m: teacher },
    { panel: 'student', m: student },
  ];
  if (difference) panels.push({ panel: 'difference', m: difference });

  const valueAt = (m: Matrix, at: { i: number; j: number }) =>
    at.i < m.rows && at.j < m.cols ? formatValue(m.values[at.i * m.cols + at.j] ?? Number.NaN) : '–';
  /** The three values at a cell, in words: what the read-out shows and announces. */
  function readout(at: { i: number; j: number }): string {
    return `${describeCell(at.i, at.j)}: teacher ${valueAt(teacher, at)}, student ${valueAt(student, at)}${
      difference ? `, difference ${valueAt(difference, at)}` : ''
    }`;
  }

  return (
    <figure className="heatmap-triptych" ref={figureRef}>
      <figcaption>{title}</figcaption>
      <ExportButtons panel={figureRef} title={title} />
      {explanation && <MapExplanation>{explanation}</MapExplanation>}
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
        <HeatmapReadout
          shown={
            cell
              ? readout(cell)
              : 'Hover a cell, or focus a map and use the arrow keys, to compare teacher and student.'
          }
          announced={announced}
        />
      </div>
    </figure>
  );
}

import { ReferenceArea, ReferenceLine } from 'recharts';

/** A measured final value to compare a live curve with: a dashed line at `value`, a band of ± `std`. */
export interface ChartReference {
  /** Stable key, e.g. the objective. */
  id: string;
  value: number;
  std: number;
  /** Drawn on the line and listed in the legend, e.g. "reference: KD + all 56.9% ± 0.4". */
  label: string;
  /** 'own': where the run on screen should land (the student's colour); 'baseline': a comparison (grey). */
  tone: 'own' | 'baseline';
}

/**
 * The reference marks as recharts elements, for inside a chart. Where runs should end is a
 * level, not a point in time: a line across the plot reads from any step, and stays in view
 * while the step axis still fits the steps run so far. The higher mark's label sits above its
 * line and the lower one's below, so two close references do not print over each other.
 */
export function referenceElements(references: readonly ChartReference[]) {
  const top = Math.max(...references.map((r) => r.value));
  return references.flatMap((r) => [
    r.std > 0 ? (
      <ReferenceArea
        key={`band-${r.id}`}
        y1={r.value - r.std}
        y2={r.value + r.std}
        className={`metric-chart-reference-band reference-${r.tone}`}
        fillOpacity={0.15}
        strokeOpacity={0}
      />
    ) : null,
    <ReferenceLine
      key={`line-${r.id}`}
      y={r.value}
      className={`metric-chart-reference reference-${r.tone}`}
      strokeDasharray="2 3"
      label={{
        value: r.label,
        // recharts' inside-top of a level line is just below it, inside-bottom just above.
        position: r.value === top ? 'insideBottomRight' : 'insideTopRight',
        className: 'metric-chart-reference-label',
      }}
    />,
  ]);
}

/** The legend's entries for the marks, saying what they are. */
export function ReferenceLegend({ references }: { references: readonly ChartReference[] }) {
  return references.map((r) => (
    <li
      key={`reference-${r.id}`}
      className={`metric-chart-legend-reference reference-${r.tone}`}
      data-testid="reference-mark"
    >
      <svg className="reference-swatch" width="24" height="8" aria-hidden="true">
        <line x1="0" y1="4" x2="24" y2="4" strokeDasharray="2 3" />
      </svg>
      {r.label} (the PyTorch twin's final accuracy, mean ± std over seeds)
    </li>
  ));
}

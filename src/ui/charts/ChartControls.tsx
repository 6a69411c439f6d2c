import { memo, useId } from 'react';

export interface ChartControlsProps {
  /** De-biased EMA weight shown by the slider, 0..0.99. */
  smoothing: number;
  onSmoothingChange: (value: number) => void;
  logScale: boolean;
  onLogScaleChange: (value: boolean) => void;
  /** The step axis spans the run's planned length instead of the steps run so far. */
  wholeRun: boolean;
  onWholeRunChange: (value: boolean) => void;
}

/**
 * Smoothing slider, log-y and whole-run checkboxes shared by the metric charts; fully controlled. Memoised:
 * its parent re-renders on every metrics update, and React rewrites a controlled input's
 * attributes on each render.
 */
export const ChartControls = memo(function ChartControls({
  smoothing,
  onSmoothingChange,
  logScale,
  onLogScaleChange,
  wholeRun,
  onWholeRunChange,
}: ChartControlsProps) {
  const sliderId = useId();
  return (
    <div className="chart-controls">
      <label htmlFor={sliderId}>Smoothing</label>
      <input
        id={sliderId}
        type="range"
        min={0}
        max={0.99}
        step={0.01}
        value={smoothing}
        onChange={(e) => onSmoothingChange(Number(e.currentTarget.value))}
      />
      <output htmlFor={sliderId} className="chart-controls-value">
        {smoothing.toFixed(2)}
      </output>
      <Check label="Log scale" checked={logScale} onChange={onLogScaleChange} />
      <Check
        label="Whole run"
        title="Step axis over the whole planned run, not just the steps run so far"
        checked={wholeRun}
        onChange={onWholeRunChange}
      />
    </div>
  );
});

function Check({
  label,
  title,
  checked,
  onChange,
}: {
  label: string;
  title?: string;
  checked: boolean;
  onChange: (value: boolean) => void;
}) {
  const id = useId();
  return (
    <label htmlFor={id} className="chart-controls-check" title={title}>
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      {label}
    </label>
  );
}

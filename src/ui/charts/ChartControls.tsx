import { memo, useId } from 'react';

export interface ChartControlsProps {
  /** De-biased EMA weight shown by the slider, 0..0.99. */
  smoothing: number;
  onSmoothingChange: (value: number) => void;
  logScale: boolean;
  onLogScaleChange: (value: boolean) => void;
}

/**
 * Smoothing slider and log-y checkbox shared by the metric charts; fully controlled. Memoised:
 * its parent re-renders on every metrics update, and React rewrites a controlled input's
 * attributes on each render.
 */
export const ChartControls = memo(function ChartControls({
  smoothing,
  onSmoothingChange,
  logScale,
  onLogScaleChange,
}: ChartControlsProps) {
  const sliderId = useId();
  const logId = useId();
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
      <label htmlFor={logId} className="chart-controls-check">
        <input
          id={logId}
          type="checkbox"
          checked={logScale}
          onChange={(e) => onLogScaleChange(e.currentTarget.checked)}
        />
        Log scale
      </label>
    </div>
  );
});

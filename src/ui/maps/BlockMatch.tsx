import { useEffect, useRef, useState } from 'react';
import { effectiveLayerPairs, type LayerPair } from '../../engine/spec/config';
import type { ShownMaps } from '../../state/map-timeline';
import { resetRun, setMapView, startRun } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { CPU_CANVAS } from '../cpu-canvas';
import { ColorLegend } from '../heatmap/ColorLegend';
import { colorLut, lutIndex } from '../heatmap/color-scale';

const samePair = (a: LayerPair, b: LayerPair) => a[0] === b[0] && a[1] === b[1];
const pairText = (pairs: LayerPair[]) => pairs.map(([s, t]) => `${s}-${t}`).join('_');

/** The colour scale spans the grid's own range: the cells differ by little early in a run. */
function matchDomain(values: Float32Array): [number, number] {
  let [lo, hi] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** CSS px of one cell: big enough to click on a 2 x 2 grid, small enough for 12 x 12. */
function cellSize(rows: number, cols: number): number {
  return Math.max(14, Math.min(56, Math.floor(220 / Math.max(rows, cols))));
}

/**
 * The block-by-block match: student blocks (rows) x teacher blocks (columns), each cell the
 * intra-image map distance on the probe batch, the run's layer pairs outlined. Clicking a cell
 * shows that pair's maps and offers to add it to or remove it from the pairs of the next run.
 */
export function BlockMatch({ maps }: { maps: ShownMaps | null }) {
  const runConfig = useAppStore((s) => s.run.config);
  const editedPairs = useAppStore((s) => s.config.loss.layerPairs);
  const editedConfig = useAppStore((s) => s.config);
  const setConfig = useAppStore((s) => s.setConfig);
  const ref = useRef<HTMLCanvasElement>(null);
  const [picked, setPicked] = useState<LayerPair | null>(null);
  const match = maps?.blockMatch ?? null;
  const runPairs = runConfig ? effectiveLayerPairs(runConfig.loss, runConfig.student, runConfig.teacher) : [];

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d', CPU_CANVAS);
    if (!canvas || !ctx || !match) return;
    const { studentBlocks: rows, teacherBlocks: cols, values } = match;
    const cell = cellSize(rows, cols);
    const domain = matchDomain(values);
    const lut = colorLut('sequential');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const k = lutIndex(values[i * cols + j]!, domain);
        ctx.fillStyle = k < 0 ? 'transparent' : `rgb(${lut[k * 4]},${lut[k * 4 + 1]},${lut[k * 4 + 2]})`;
        ctx.fillRect(j * cell, i * cell, cell, cell);
      }
    // Black with a white core: visible on both ends of the scale, in either theme.
    for (const [s, t] of runPairs) {
      ctx.lineWidth = 4;
      ctx.strokeStyle = '#000';
      ctx.strokeRect(t * cell + 2, s * cell + 2, cell - 4, cell - 4);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(t * cell + 2, s * cell + 2, cell - 4, cell - 4);
    }
    if (picked) {
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#D55E00';
      ctx.strokeRect(picked[1] * cell + 5, picked[0] * cell + 5, cell - 10, cell - 10);
      ctx.setLineDash([]);
    }
  });

  if (!runConfig) return null;
  if (!match) {
    return (
      <section className="block-match" aria-label="Block-by-block match">
        <h3>Block-by-block match</h3>
        <p className="muted small">
          It appears with the student phase: each student block against each teacher block.
        </p>
      </section>
    );
  }
  const { studentBlocks: rows, teacherBlocks: cols, values } = match;
  const cell = cellSize(rows, cols);
  const domain = matchDomain(values);
  const nextPairs = editedPairs.length
    ? editedPairs
    : effectiveLayerPairs(editedConfig.loss, editedConfig.student, editedConfig.teacher);
  const pickedInNext = picked ? nextPairs.some((p) => samePair(p, picked)) : false;
  const changed = pairText(nextPairs) !== pairText(runPairs);

  const pickCell = (pair: LayerPair) => {
    setPicked(pair);
    const index = runPairs.findIndex((p) => samePair(p, pair));
    void setMapView(index >= 0 ? { pair: index, blocks: null } : { blocks: pair });
  };
  const togglePicked = () => {
    if (!picked) return;
    const next = pickedInNext
      ? nextPairs.filter((p) => !samePair(p, picked))
      : [...nextPairs, picked].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    setConfig({ loss: { layerPairs: next } });
  };

  return (
    <section className="block-match" aria-label="Block-by-block match">
      <h3>Block-by-block match</h3>
      <div className="block-match-body">
        <div>
          <div className="muted small">teacher block →</div>
          <canvas
            ref={ref}
            width={cols * cell}
            height={rows * cell}
            className="block-match-canvas"
            role="img"
            aria-label={`Block match: student blocks (rows, ${rows}) × teacher blocks (columns, ${cols}), intra-image map distance on the probe batch at step ${maps?.step}; outlined: the run's pairs ${pairText(runPairs)}`}
            data-rows={rows}
            data-cols={cols}
            data-outlined={pairText(runPairs)}
            data-testid="block-match"
            onClick={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              const j = Math.floor(((e.clientX - r.left) / r.width) * cols);
              const i = Math.floor(((e.clientY - r.top) / r.height) * rows);
              if (i >= 0 && i < rows && j >= 0 && j < cols) pickCell([i, j]);
            }}
          />
          <div className="muted small">↑ student block (row 0 at the top)</div>
          <ColorLegend domain={domain} scheme="sequential" label="mean squared difference" />
        </div>
        <div className="block-match-info small">
          <p className="muted">
            Low (dark) cells: the student block relates its patches the way that teacher block does. Outlined
            cells are the pairs this run distills; click a cell to see its maps.
          </p>
          {picked && (
            <div role="status" data-testid="block-match-pick">
              <p>
                Student block {picked[0]} ↔ teacher block {picked[1]}: distance{' '}
                {values[picked[0] * cols + picked[1]]!.toExponential(2)}
                {runPairs.some((p) => samePair(p, picked))
                  ? ' (a pair of this run)'
                  : ' (not a pair of this run)'}
                .
              </p>
              <button
                type="button"
                onClick={togglePicked}
                disabled={pickedInNext && nextPairs.length <= 1}
                title={pickedInNext && nextPairs.length <= 1 ? 'A run needs at least one pair.' : undefined}
              >
                {pickedInNext ? 'Remove from pairs' : 'Add to pairs'}
              </button>
            </div>
          )}
          {changed && (
            <p>
              Pairs for the next run: {nextPairs.map(([s, t]) => `${s}↔${t}`).join(', ')}. The running
              student's loss is built for its pairs, so it cannot take new ones mid-run.{' '}
              <button
                type="button"
                onClick={() => {
                  void resetRun().then(() => startRun());
                }}
              >
                Reset and start with these pairs
              </button>
            </p>
          )}
        </div>
      </div>
    </section>
  );
}

import { useDeferredValue, useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { effectiveLayerPairs } from '../../engine/spec/config';
import { snapshotIndex } from '../../state/map-timeline';
import { setMapView } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import type { ModelMaps } from '../../worker/shared/protocol';
import { CPU_CANVAS } from '../cpu-canvas';
import { ExportableFigure } from '../export/ExportButtons';
import { ColorLegend } from '../heatmap/ColorLegend';
import { Heatmap } from '../heatmap/Heatmap';
import { HeatmapTriptych, MapExplanation } from '../heatmap/HeatmapTriptych';
import { BlockMatch } from './BlockMatch';
import { MapTimeline } from './MapTimeline';

type Term = 'intra' | 'inter' | 'random';

/** A stable empty list: a fresh [] in a selector would re-render forever. */
const NO_NAMES: string[] = [];

/** Draws RGB bytes on a canvas, outlining up to two patches (the hovered cell of an N x N map). */
export function PatchImage({
  rgb,
  size,
  patch,
  highlight,
  onPickPatch,
  label,
}: {
  rgb: Uint8Array;
  size: number;
  patch: number;
  highlight: number[];
  onPickPatch?: (position: number) => void;
  label: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const scale = 6;
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d', CPU_CANVAS);
    if (!canvas || !ctx) return;
    const img = ctx.createImageData(size, size);
    for (let p = 0; p < size * size; p++) {
      img.data[p * 4] = rgb[p * 3]!;
      img.data[p * 4 + 1] = rgb[p * 3 + 1]!;
      img.data[p * 4 + 2] = rgb[p * 3 + 2]!;
      img.data[p * 4 + 3] = 255;
    }
    const tmp = new OffscreenCanvas(size, size);
    tmp.getContext('2d', CPU_CANVAS)?.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(tmp, 0, 0, size * scale, size * scale);
    const grid = size / patch;
    const colors = ['#E69F00', '#56B4E9'];
    highlight.forEach((pos, i) => {
      if (pos < 0 || pos >= grid * grid) return;
      ctx.strokeStyle = colors[i % 2]!;
      ctx.lineWidth = 3;
      ctx.strokeRect(
        (pos % grid) * patch * scale + 1.5,
        Math.floor(pos / grid) * patch * scale + 1.5,
        patch * scale - 3,
        patch * scale - 3,
      );
    });
  }, [rgb, size, patch, highlight]);
  return (
    <canvas
      ref={ref}
      width={size * scale}
      height={size * scale}
      className="patch-image"
      role="img"
      aria-label={label}
      onClick={(e) => {
        if (!onPickPatch) return;
        const r = e.currentTarget.getBoundingClientRect();
        const grid = size / patch;
        const x = Math.floor(((e.clientX - r.left) / r.width) * grid);
        const y = Math.floor(((e.clientY - r.top) / r.height) * grid);
        onPickPatch(y * grid + x);
      }}
    />
  );
}

/**
 * Under each map's title: what one cell is, what the student is pushed towards, and how to read
 * the difference (../shared/docs/manifold-distillation.md; the formula is in the Loss panel).
 */
const TERM_EXPLANATIONS: Record<Term, string> = {
  intra:
    'One cell is how alike two patches of the probe image are (cosine similarity of their tokens at this layer pair). ' +
    'The intra-image term pushes the student to relate the patches of each image as the teacher does. ' +
    'In the difference map, white is agreement; red where the student finds two patches more alike than the teacher does, blue less.',
  inter:
    'One cell is how alike two images of the probe batch are at one patch position (the one marked on the image). ' +
    'The inter-image term pushes the student to group and tell apart images as the teacher does, position by position. ' +
    'In the difference map, white is agreement; red where the student finds two images more alike than the teacher does, blue less.',
  random:
    'One cell is how alike two of K tokens drawn at random from the whole batch are, mostly from different images and positions. ' +
    'The random-sampled term pushes the student to match the teacher on these pairs, which the other two terms never compare. ' +
    'In the difference map, white is agreement; red where the student finds a pair more alike than the teacher does, blue less.',
};

const TERM_TITLES: Record<Term, string> = {
  intra: 'Intra-image (patch × patch, one image)',
  inter: 'Inter-image (image × image, one patch position)',
  random: 'Random-sampled (K tokens of the batch)',
};

/** Teacher, student and difference relation maps of the probe batch, refreshed while training. */
export function RelationMaps() {
  // The latest maps, or the timeline's snapshot being replayed.
  const shown = useAppStore((s) =>
    s.timelineStep === null
      ? s.maps
      : (s.mapTimeline[snapshotIndex(s.mapTimeline, s.timelineStep)]?.maps ?? s.maps),
  );
  const replaying = useAppStore((s) => s.timelineStep !== null && s.mapTimeline.length > 0);
  // Drawn in an interruptible transition, like the charts.
  const maps = useDeferredValue(shown);
  const view = useAppStore(useShallow((s) => s.mapView));
  const runConfig = useAppStore((s) => s.run.config);
  const classNames = useAppStore((s) => s.dataInfo?.classNames ?? NO_NAMES);
  const [hover, setHover] = useState<number[]>([]);

  if (!runConfig) return null;
  const pairs = effectiveLayerPairs(runConfig.loss, runConfig.student, runConfig.teacher);
  const pair = maps?.blocks ?? pairs[Math.min(view.pair, pairs.length - 1)] ?? [0, 0];
  // A pair picked on the block-match grid that the run does not train on.
  const extra = view.blocks && !pairs.some(([s, t]) => s === view.blocks?.[0] && t === view.blocks?.[1]);
  const pairLabel = `student block ${pair[0]} / teacher block ${pair[1]}`;
  const size = (t: Term) => (maps ? (t === 'intra' ? maps.patches : t === 'inter' ? maps.batch : maps.k) : 0);
  const where = (t: Term) =>
    t === 'intra'
      ? `, image ${maps?.view.image ?? 0}`
      : t === 'inter'
        ? `, patch position ${maps?.view.position ?? 0}`
        : '';
  const label = (t: Term) => (model: string) =>
    `${model} ${t}-image relation, ${pairLabel}${where(t)}`.replace('random-image', 'random-sampled');
  const matrix = (m: ModelMaps, t: Term) => ({ values: m[t], rows: size(t), cols: size(t) });
  /** One cell of a term's map in words, for the read-out a hover or the keyboard cursor gives. */
  const cellIn = (t: Term) => (i: number, j: number) => {
    if (t === 'intra') return `patch ${i} with patch ${j}`;
    if (t === 'random') return `sampled token ${i} with sampled token ${j}`;
    const image = (n: number) => {
      const label = maps?.labels[n];
      return label === undefined ? `image ${n}` : `image ${n} (${classNames[label] ?? `class ${label}`})`;
    };
    return `${image(i)} with ${image(j)}`;
  };

  return (
    <section className="panel maps" aria-labelledby="maps-heading">
      <div className="panel-head">
        <h2 id="maps-heading">Relation maps</h2>
        <span className="muted">
          {maps
            ? `${maps.phase === 'teacher' ? 'teacher phase' : 'student phase'}, step ${maps.step}${replaying ? ' (timeline)' : ''}`
            : 'waiting for the first maps…'}
        </span>
      </div>
      <div className="map-controls">
        <div className="field">
          <label htmlFor="map-pair">Layer pair</label>
          <select
            id="map-pair"
            value={extra ? -1 : view.pair}
            onChange={(e) => {
              const value = Number(e.target.value);
              if (value >= 0) void setMapView({ pair: value, blocks: null });
            }}
          >
            {extra && view.blocks && (
              <option value={-1}>
                student {view.blocks[0]} ↔ teacher {view.blocks[1]} (not a pair of this run)
              </option>
            )}
            {pairs.map(([s, t], i) => (
              <option key={`${s}-${t}`} value={i}>
                student {s} ↔ teacher {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="map-image">Probe image</label>
          <select
            id="map-image"
            value={view.image}
            onChange={(e) => void setMapView({ image: Number(e.target.value) })}
          >
            {(maps?.labels ?? [0, 1, 2, 3, 4, 5, 6, 7]).map((l, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: probe images are positions in a fixed batch
              <option key={i} value={i}>
                {i}: {classNames[l] ?? `class ${l}`}
              </option>
            ))}
          </select>
        </div>
        {maps && (
          <PatchImage
            rgb={maps.image}
            size={maps.imageSize}
            patch={maps.imageSize / Math.sqrt(maps.patches)}
            highlight={hover.length ? hover : [maps.view.position]}
            onPickPatch={(position) => void setMapView({ position })}
            label={`Probe image ${maps.view.image}; click a patch to choose the inter-image position`}
          />
        )}
        <p className="muted small">
          Hover an intra-image cell (or focus the map and move with the arrow keys) to outline its two
          patches; click the image to pick the patch position of the inter-image map.
        </p>
      </div>
      {maps &&
        (['intra', 'inter', 'random'] as const).map((t) =>
          maps.student ? (
            <HeatmapTriptych
              key={t}
              title={TERM_TITLES[t]}
              teacher={matrix(maps.teacher, t)}
              student={matrix(maps.student, t)}
              labelFor={label(t)}
              testIdPrefix={`map-${t}`}
              describeCell={cellIn(t)}
              explanation={TERM_EXPLANATIONS[t]}
              onHoverCell={t === 'intra' ? (c) => setHover(c ? [c.i, c.j] : []) : undefined}
            />
          ) : (
            <ExportableFigure
              key={t}
              className="triptych"
              title={TERM_TITLES[t]}
              caption={`${TERM_TITLES[t]} — the student appears after the teacher phase`}
            >
              <MapExplanation>{TERM_EXPLANATIONS[t]}</MapExplanation>
              <Heatmap
                values={maps.teacher[t]}
                rows={size(t)}
                cols={size(t)}
                domain={[-1, 1]}
                scheme="diverging"
                ariaLabel={label(t)('teacher')}
                title="Teacher"
                data-testid={`map-${t}-teacher`}
                describeCell={cellIn(t)}
                onHover={t === 'intra' ? (c) => setHover(c ? [c.i, c.j] : []) : undefined}
              />
              <ColorLegend domain={[-1, 1]} scheme="diverging" label="cosine similarity" />
            </ExportableFigure>
          ),
        )}
      <MapTimeline />
      <BlockMatch maps={maps} />
    </section>
  );
}

import { useEffect, useState } from 'react';
import { MAP_TERMS, type MapSnapshot, type MapTerm, snapshotIndex } from '../../state/map-timeline';
import { useAppStore } from '../../state/store';

/** Time between frames while the timeline plays. */
const PLAY_FRAME_MS = 350;
const TERM_COLORS: Record<MapTerm, string> = { intra: '#0072B2', inter: '#E69F00', random: '#009E73' };
const TERM_NAMES: Record<MapTerm, string> = {
  intra: 'intra-image',
  inter: 'inter-image',
  random: 'random-sampled',
};
const CHART = { width: 240, height: 90, pad: 4 };

/** Each term's map distance (teacher vs student) over the snapshots' steps, with the shown one marked. */
function DistanceChart({ ring, index }: { ring: MapSnapshot[]; index: number }) {
  const first = ring[0]!.step;
  const span = Math.max(1, ring.at(-1)!.step - first);
  const max = Math.max(1e-9, ...ring.flatMap((s) => MAP_TERMS.map((t) => s.distance[t])));
  const x = (step: number) => CHART.pad + ((step - first) / span) * (CHART.width - 2 * CHART.pad);
  const y = (v: number) => CHART.height - CHART.pad - (v / max) * (CHART.height - 2 * CHART.pad);
  const shown = ring[index]!;
  return (
    <figure className="timeline-chart">
      <svg
        width={CHART.width}
        height={CHART.height}
        role="img"
        aria-label={`Map distance (mean squared difference, teacher vs student) per term over steps ${first} to ${ring.at(-1)!.step}`}
      >
        <rect x={0.5} y={0.5} width={CHART.width - 1} height={CHART.height - 1} className="timeline-frame" />
        {MAP_TERMS.map((t) => (
          <polyline
            key={t}
            fill="none"
            stroke={TERM_COLORS[t]}
            strokeWidth={1.5}
            points={ring.map((s) => `${x(s.step).toFixed(1)},${y(s.distance[t]).toFixed(1)}`).join(' ')}
          />
        ))}
        <line
          x1={x(shown.step)}
          x2={x(shown.step)}
          y1={0}
          y2={CHART.height}
          className="timeline-cursor"
          strokeDasharray="3 2"
        />
      </svg>
      <figcaption className="small">
        {MAP_TERMS.map((t) => (
          <span key={t} className="timeline-key">
            <span className="swatch" style={{ background: TERM_COLORS[t] }} /> {TERM_NAMES[t]}{' '}
            {shown.distance[t].toExponential(2)}
          </span>
        ))}
        <span className="muted"> (top = {max.toExponential(1)})</span>
      </figcaption>
    </figure>
  );
}

/**
 * The scrubber under the relation maps: it picks a snapshot of the timeline (the maps above
 * then show that step) and plays them in order; at the right end the maps follow the run live.
 */
export function MapTimeline() {
  const ring = useAppStore((s) => s.mapTimeline);
  const timelineStep = useAppStore((s) => s.timelineStep);
  const setTimelineStep = useAppStore((s) => s.setTimelineStep);
  const [playing, setPlaying] = useState(false);
  const index = snapshotIndex(ring, timelineStep);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => {
      const { mapTimeline, timelineStep: at } = useAppStore.getState();
      const i = at === null ? mapTimeline.length - 1 : snapshotIndex(mapTimeline, at);
      if (i >= mapTimeline.length - 1) {
        setPlaying(false);
        setTimelineStep(null);
      } else setTimelineStep(mapTimeline[i + 1]!.step);
    }, PLAY_FRAME_MS);
    return () => clearInterval(timer);
  }, [playing, setTimelineStep]);

  if (!ring.length) {
    return (
      <p className="muted small timeline-empty">
        The timeline of relation maps starts with the student phase.
      </p>
    );
  }
  const live = timelineStep === null;
  const pick = (i: number) => setTimelineStep(i >= ring.length - 1 ? null : ring[i]!.step);
  return (
    <div className="map-timeline">
      <div className="timeline-scrub">
        <div className="field">
          <label htmlFor="map-timeline">Relation timeline</label>
          <input
            id="map-timeline"
            type="range"
            min={0}
            max={ring.length - 1}
            value={index}
            aria-valuetext={`step ${ring[index]!.step}${live ? ' (latest)' : ''}`}
            onChange={(e) => {
              setPlaying(false);
              pick(Number(e.target.value));
            }}
          />
        </div>
        <button
          type="button"
          onClick={() => {
            if (playing) return setPlaying(false);
            // From the latest, play from the start; from a scrubbed snapshot, play on from it.
            if (live && ring.length > 1) setTimelineStep(ring[0]!.step);
            setPlaying(true);
          }}
        >
          {playing ? 'Stop timeline' : 'Play timeline'}
        </button>
        <span className="muted small" data-testid="timeline-step">
          {live ? `latest, step ${ring[index]!.step}` : `step ${ring[index]!.step}`} · {index + 1} of{' '}
          {ring.length} snapshots
        </span>
      </div>
      <DistanceChart ring={ring} index={index} />
    </div>
  );
}

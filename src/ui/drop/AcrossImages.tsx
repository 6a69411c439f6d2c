import { useShallow } from 'zustand/react/shallow';
import { setMapView } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { Heatmap } from '../heatmap/Heatmap';
import { HeatmapTriptych } from '../heatmap/HeatmapTriptych';

/** Inter-image relations across the user's own images: image x image at one patch position. */
export function AcrossImages() {
  const across = useAppStore((s) => s.across);
  const images = useAppStore(useShallow((s) => s.images));
  const position = useAppStore((s) => s.mapView.position);
  if (!across || across.ids.length < 2) return null;
  const b = across.ids.length;
  const n = across.patches;
  const p = Math.min(position, n - 1);
  const slice = (m: Float32Array) => ({ values: m.slice(p * b * b, (p + 1) * b * b), rows: b, cols: b });
  const names = across.ids.map((id) => images.find((i) => i.id === id)?.name ?? id);
  const label = (model: string) => `${model} inter-image relation across your images, patch position ${p}`;
  return (
    <section className="across" aria-label="Across your images" data-testid="across-images">
      <div className="panel-head">
        <h3>Across your images</h3>
        <div className="field">
          <label htmlFor="across-position">Patch position</label>
          <select
            id="across-position"
            value={p}
            onChange={(e) => void setMapView({ position: Number(e.target.value) })}
          >
            {Array.from({ length: n }, (_, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: positions are the patch grid's indices
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="muted small">
        Rows and columns, in order: {names.join(', ')}. Each cell: how alike two images' tokens are at this
        patch position.
      </p>
      {across.student ? (
        <HeatmapTriptych
          title={`Inter-image, patch position ${p}`}
          teacher={slice(across.teacher)}
          student={slice(across.student)}
          labelFor={label}
          testIdPrefix="across"
        />
      ) : (
        <Heatmap
          values={slice(across.teacher).values}
          rows={b}
          cols={b}
          domain={[-1, 1]}
          scheme="diverging"
          title="Teacher"
          ariaLabel={label('teacher')}
          data-testid="across-teacher"
        />
      )}
    </section>
  );
}

import type { UserImage } from '../../state/images-slice';
import { useAppStore } from '../../state/store';
import type { Prediction } from '../../worker/shared/protocol';
import { Heatmap } from '../heatmap/Heatmap';

function Predictions({ who, prediction }: { who: string; prediction: Prediction | null }) {
  if (!prediction) return <p className="muted small">{who}: after the teacher phase</p>;
  return (
    <div className="predictions" data-testid={`${who.toLowerCase()}-predictions`}>
      <strong>{who}</strong>
      <ol>
        {prediction.top.map((t) => (
          <li key={t.label}>
            {t.name} <span className="muted">{(t.p * 100).toFixed(0)}%</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** One user image: the teacher's and the student's top classes and intra-image maps. */
export function ImageCard({ image }: { image: UserImage }) {
  const remove = useAppStore((s) => s.removeUserImage);
  const patches = useAppStore((s) => (s.maps ? s.maps.patches : null));
  const a = image.analysis;
  const n = a ? Math.round(Math.sqrt(a.teacherIntra.length)) : (patches ?? 0);
  return (
    <article className="image-card" data-testid="image-card" aria-label={`Image ${image.name}`}>
      <header>
        <img src={image.preview} alt={image.name} width={64} height={64} />
        <span className="name">{image.name}</span>
        <button
          type="button"
          className="close"
          aria-label={`Remove ${image.name}`}
          onClick={() => remove(image.id)}
        >
          ×
        </button>
      </header>
      {a ? (
        <>
          <div className="prediction-row">
            <Predictions who="Teacher" prediction={a.teacher} />
            <Predictions who="Student" prediction={a.student} />
          </div>
          <div className="prediction-row">
            <IntraMap who="Teacher" values={a.teacherIntra} n={n} imageName={image.name} />
            {a.studentIntra && (
              <IntraMap who="Student" values={a.studentIntra} n={n} imageName={image.name} />
            )}
          </div>
        </>
      ) : (
        <p className="muted small">Waiting for a run…</p>
      )}
    </article>
  );
}

/** A model's intra-image map of one image: N x N patch similarities on the cosine scale. */
function IntraMap({
  who,
  values,
  n,
  imageName,
}: {
  who: string;
  values: Float32Array;
  n: number;
  imageName: string;
}) {
  return (
    <Heatmap
      values={values}
      rows={n}
      cols={n}
      domain={[-1, 1]}
      scheme="diverging"
      size={120}
      title={who}
      ariaLabel={`${who.toLowerCase()} intra-image relation of ${imageName}`}
    />
  );
}

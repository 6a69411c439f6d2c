import { useRef } from 'react';
import { validateManifest } from '../../engine/spec/checkpoint-format';
import { currentExperimentLink } from '../../state/experiment-form';
import { timelineForExport } from '../../state/map-timeline';
import { exportModel, startRun } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { shareUrl } from '../../state/url-sync';
import { SavedRuns } from './SavedRuns';

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Share the experiment as a link; export and import weights and runs as files; continue a saved run. */
export function ShareAndKeep() {
  const notify = useAppStore((s) => s.notify);
  const runStatus = useAppStore((s) => s.run.status);
  const backendReady = useAppStore((s) => s.runtime.status === 'idle');
  const importRef = useRef<HTMLInputElement>(null);

  const share = async () => {
    // The Experiment panel's form goes along when it differs from a fresh one; results never do.
    const url = shareUrl(useAppStore.getState().config, currentExperimentLink());
    try {
      await navigator.clipboard.writeText(url);
      notify({ kind: 'info', message: 'Link copied: it holds every setting of this experiment.' });
    } catch {
      notify({ kind: 'info', message: `Copy this link: ${url}` });
    }
  };

  const exportWeights = async () => {
    const result = await exportModel();
    if (!result) return;
    const stem = `${result.manifest.phase}-step${result.manifest.position?.step ?? 0}`;
    download(
      `${stem}-model.json`,
      JSON.stringify(
        {
          ...result.manifest,
          weightsManifest: [{ ...result.manifest.weightsManifest[0]!, paths: [`${stem}-weights.bin`] }],
        },
        null,
        1,
      ),
      'application/json',
    );
    download(`${stem}-weights.bin`, result.weights, 'application/octet-stream');
  };

  const exportRun = () => {
    const { run, mapTimeline } = useAppStore.getState();
    const data = {
      config: run.config,
      teacherMetrics: run.teacherRows,
      studentMetrics: run.studentRows,
      accuracy: run.accuracyRows,
      weightChanges: run.markers,
      // Added with the relation-map timeline; files without it are older exports.
      mapTimeline: timelineForExport(mapTimeline),
      exportedAt: new Date().toISOString(),
    };
    download('run.json', JSON.stringify(data), 'application/json');
  };

  const importTeacher = async (files: FileList | null) => {
    const list = Array.from(files ?? []);
    const json = list.find((f) => f.name.endsWith('.json'));
    const bin = list.find((f) => f.name.endsWith('.bin'));
    if (!json || !bin) {
      notify({
        kind: 'error',
        message: 'Pick both files of a checkpoint: its model.json and its weights .bin.',
      });
      return;
    }
    try {
      const manifest = validateManifest(JSON.parse(await json.text()));
      if (!manifest.models.some((m) => m.role === 'teacher'))
        throw new Error(`${json.name} holds no teacher model.`);
      await startRun({ teacher: { kind: 'checkpoint', manifest, weights: await bin.arrayBuffer() } });
    } catch (err) {
      notify({
        kind: 'error',
        message: `Could not import: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  };

  const active = runStatus === 'training' || runStatus === 'paused' || runStatus === 'done';
  return (
    <section className="panel share" aria-label="Share and keep">
      <div className="buttons">
        <button type="button" onClick={() => void share()}>
          Share
        </button>
        <button type="button" disabled={!active} onClick={() => void exportWeights()}>
          Export weights
        </button>
        <button type="button" disabled={!active} onClick={exportRun}>
          Export run
        </button>
        <button
          type="button"
          disabled={!backendReady || runStatus === 'training'}
          onClick={() => importRef.current?.click()}
        >
          Import teacher
        </button>
        <input
          ref={importRef}
          type="file"
          multiple
          accept=".json,.bin"
          hidden
          aria-label="Teacher checkpoint files"
          onChange={(e) => void importTeacher(e.target.files)}
        />
      </div>
      <SavedRuns />
    </section>
  );
}

/**
 * A shipped teacher held in the worker before any run starts, so that images dropped on a fresh
 * page are judged at once by a model that knows the data's classes. Decoded once per name and
 * kept; a run's own teacher takes over as soon as there is a run.
 */
import { decodeCheckpoint } from '../engine/checkpoint';
import type { Normalization } from '../engine/data/gpu-data';
import type { RunConfig } from '../engine/spec/config';
import type { Vit } from '../engine/vit';
import type { DownloadProgress } from './download';
import { fetchSiteTeacher, type SiteTeacher } from './site-teacher';

export interface PreviewTeacher {
  name: string;
  /** The config it was trained under (its student shape and loss give the default layer pairs). */
  config: RunConfig;
  model: Vit;
  normalization: Normalization;
  classNames: string[];
}

let held: PreviewTeacher | null = null;

/** The named teacher, downloaded and decoded the first time it is asked for. */
export async function previewTeacher(
  source: SiteTeacher,
  report: (progress: DownloadProgress) => void,
): Promise<PreviewTeacher> {
  if (held?.name === source.name) return held;
  const files = await fetchSiteTeacher(source, report);
  const decoded = await decodeCheckpoint(files.manifest, files.weights, { withOptimizers: false });
  const model = decoded.models.get('teacher')?.model;
  if (!model) throw new Error(`The shipped teacher ${source.name} holds no teacher model.`);
  for (const [role, m] of decoded.models) if (role !== 'teacher') m.model.dispose();
  disposePreviewTeacher();
  held = {
    name: source.name,
    config: files.manifest.config,
    model,
    normalization: files.manifest.normalization,
    classNames: files.manifest.dataset.classNames,
  };
  return held;
}

/** Frees the held teacher (when the backend changes, or a run needs the memory). */
export function disposePreviewTeacher(): void {
  held?.model.dispose();
  held = null;
}

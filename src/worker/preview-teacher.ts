/**
 * A shipped teacher held in the worker before any run starts, so that images dropped on a fresh
 * page are judged at once by a model that knows the data's classes. Decoded once per name and
 * kept; a run's own teacher takes over as soon as there is a run.
 */
import { type CheckpointManifest, decodeCheckpoint } from '../engine/checkpoint';
import type { Normalization } from '../engine/data/gpu-data';
import type { Vit } from '../engine/vit';

export interface PreviewTeacher {
  name: string;
  model: Vit;
  normalization: Normalization;
  classNames: string[];
}

let held: PreviewTeacher | null = null;

/** The named teacher, decoded from its checkpoint the first time it is asked for. */
export async function previewTeacher(source: {
  name: string;
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
}): Promise<PreviewTeacher> {
  if (held?.name === source.name) return held;
  const decoded = await decodeCheckpoint(source.manifest, source.weights, false);
  const model = decoded.models.get('teacher')?.model;
  if (!model) throw new Error(`The shipped teacher ${source.name} holds no teacher model.`);
  for (const [role, m] of decoded.models) if (role !== 'teacher') m.model.dispose();
  disposePreviewTeacher();
  held = {
    name: source.name,
    model,
    normalization: source.manifest.normalization,
    classNames: source.manifest.dataset.classNames,
  };
  return held;
}

/** Frees the held teacher (when the backend changes, or a run needs the memory). */
export function disposePreviewTeacher(): void {
  held?.model.dispose();
  held = null;
}

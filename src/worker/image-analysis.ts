/**
 * What the models make of the user's images: each one's top classes and intra-image map by the
 * teacher and (in the student phase) the student, plus the inter-image maps across them. Works
 * from a run's models or, before any run, from a shipped teacher alone.
 */

import { DeviceImageSet, type Normalization } from '../engine/data/gpu-data';
import { analyzeImages } from '../engine/probe';
import type { LayerPair, VitConfig } from '../engine/spec/config';
import { patchCount } from '../engine/spec/config';
import * as tf from '../engine/tf';
import type { Vit } from '../engine/vit';
import type { ImageAnalysis, Prediction, ProbeImage, WorkerEvent } from './shared/protocol';

export interface AnalysisModels {
  teacher: Vit;
  student: Vit | null;
  normalization: Normalization;
  /** (student block, teacher block) pairs; the chosen one picks the blocks whose maps are shown. */
  pairs: LayerPair[];
  classNames: string[];
}

/** The probe batch of the relation maps (session.ts): analyses run at a multiple of it. */
export const ANALYSIS_BATCH = 8;

type Result = Omit<Extract<WorkerEvent, { type: 'images.result' }>, 'type' | 'requestId'>;

export async function analyzeUserImages(
  models: AnalysisModels,
  images: ProbeImage[],
  pairIndex: number,
): Promise<Result> {
  const config: VitConfig = models.teacher.config;
  const size = config.imageSize;
  for (const img of images) {
    if (img.rgb.length !== size * size * 3) {
      throw new Error(
        `Image ${img.id} has ${img.rgb.length} bytes; the model needs ${size}x${size} RGB (${size * size * 3}).`,
      );
    }
  }
  if (!images.length) return { results: [], across: null };
  // Padded to a multiple of the probe batch: the relation maps run both models at that batch
  // size all along, so their kernels are compiled already, and each new count of images costs
  // no fresh set of kernels (seconds on an emulated GPU). Images are independent in a ViT and
  // the maps are pairwise, so the padding changes none of the real images' figures.
  const count = Math.ceil(images.length / ANALYSIS_BATCH) * ANALYSIS_BATCH;
  const bytes = new Uint8Array(count * size * size * 3);
  images.forEach((img, i) => {
    bytes.set(img.rgb, i * size * size * 3);
  });
  const set = new DeviceImageSet(
    { images: bytes, labels: new Uint8Array(count), count, imageSize: size },
    models.normalization,
  );
  const idx = tf.range(0, count, 1, 'int32') as tf.Tensor1D;
  const batch = set.images(idx);
  idx.dispose();
  try {
    const pair = models.pairs[Math.min(pairIndex, models.pairs.length - 1)]!;
    const teacher = await analyzeImages(models.teacher, batch, pair[1]);
    const student = models.student ? await analyzeImages(models.student, batch, pair[0]) : null;
    const names = models.classNames;
    const results: ImageAnalysis[] = images.map((img, i) => ({
      id: img.id,
      teacher: topClasses(teacher.probs[i]!, names),
      student: student ? topClasses(student.probs[i]!, names) : null,
      teacherIntra: teacher.intra[i]!,
      studentIntra: student ? student.intra[i]! : null,
    }));
    const across =
      images.length >= 2
        ? {
            ids: images.map((img) => img.id),
            patches: patchCount(config),
            teacher: cropInter(teacher.inter, patchCount(config), count, images.length),
            student: student ? cropInter(student.inter, patchCount(config), count, images.length) : null,
          }
        : null;
    return { results, across };
  } finally {
    batch.dispose();
    set.dispose();
  }
}

/** The [N, b, b] corner of inter-image maps [N, padded, padded]. */
function cropInter(inter: Float32Array, n: number, padded: number, b: number): Float32Array {
  if (padded === b) return inter;
  const out = new Float32Array(n * b * b);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < b; i++)
      out.set(inter.subarray((p * padded + i) * padded, (p * padded + i) * padded + b), (p * b + i) * b);
  return out;
}

function topClasses(probs: Float32Array, names: string[], k = 3): Prediction {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
  return {
    top: order.slice(0, k).map((label) => ({ label, name: names[label] ?? String(label), p: probs[label]! })),
  };
}

/**
 * What the page draws: relation maps of a fixed probe batch for one layer pair, and
 * predictions and maps for the user's own images. Each call concatenates everything into
 * one tensor, so the page costs one device read per refresh.
 */
import { blockMatchDistances } from './block-match';
import { relationMatrices } from './losses';
import type { LayerPair } from './spec/config';
import * as tf from './tf';
import type { Vit } from './vit';

export interface MapSelection {
  /** Image of the batch whose N x N intra-image map is shown. */
  image: number;
  /** Patch position whose B x B inter-image map is shown. */
  position: number;
  /** K flat token indices of the random-sampled map, fixed so the map is stable between refreshes. */
  sampleIndices: Int32Array;
}

/** Flattened [intra N*N | inter B*B | random K*K] of one model's patch tokens at one block. */
function modelMaps(model: Vit, blocks: tf.Tensor3D[], block: number, sel: MapSelection): tf.Tensor1D {
  const blockOut = blocks[block];
  if (!blockOut) throw new Error(`Block ${block} does not exist; the model has ${blocks.length} blocks.`);
  const maps = relationMatrices(model.patchTokens(blockOut), {
    k: sel.sampleIndices.length,
    sampleIndices: sel.sampleIndices,
  });
  const [b, n] = [maps.inter.shape[1], maps.intra.shape[1]];
  const intra = maps.intra.slice([sel.image, 0, 0], [1, n, n]).reshape([-1]);
  const inter = maps.inter.slice([sel.position, 0, 0], [1, b, b]).reshape([-1]);
  return tf.concat([intra, inter, maps.random.reshape([-1])]) as tf.Tensor1D;
}

export interface ProbeMaps {
  intra: Float32Array;
  inter: Float32Array;
  random: Float32Array;
}

function split(data: Float32Array, offset: number, n: number, b: number, k: number): ProbeMaps {
  return {
    intra: data.slice(offset, offset + n * n),
    inter: data.slice(offset + n * n, offset + n * n + b * b),
    random: data.slice(offset + n * n + b * b, offset + n * n + b * b + k * k),
  };
}

/**
 * Relation maps of the teacher (and student) on a batch, for one layer pair; with a student,
 * also the block-by-block match [Ls * Lt] (row = student block), from the same forward pass
 * and in the same readback.
 */
export async function probeRelationMaps(
  teacher: Vit,
  student: Vit | null,
  images: tf.Tensor4D,
  pair: LayerPair,
  sel: MapSelection,
): Promise<{ teacher: ProbeMaps; student: ProbeMaps | null; blockMatch: Float32Array | null }> {
  const b = images.shape[0];
  const n = (teacher.config.imageSize / teacher.config.patchSize) ** 2;
  const k = sel.sampleIndices.length;
  const ls = student?.config.nLayers ?? 0;
  const lt = teacher.config.nLayers;
  const flat = tf.tidy(() => {
    const teacherBlocks = teacher.apply(images).blocks;
    const parts = [modelMaps(teacher, teacherBlocks, pair[1], sel)];
    if (student) {
      const studentBlocks = student.apply(images).blocks;
      parts.push(modelMaps(student, studentBlocks, pair[0], sel));
      const tokens = (model: Vit, blocks: tf.Tensor3D[]) => blocks.map((t) => model.patchTokens(t));
      parts.push(
        blockMatchDistances(tokens(student, studentBlocks), tokens(teacher, teacherBlocks)).reshape([-1]),
      );
    }
    return tf.concat(parts);
  });
  const data = (await flat.data()) as Float32Array; // GPU→CPU sync point
  flat.dispose();
  const size = n * n + b * b + k * k;
  return {
    teacher: split(data, 0, n, b, k),
    student: student ? split(data, size, n, b, k) : null,
    blockMatch: student ? data.slice(2 * size, 2 * size + ls * lt) : null,
  };
}

export interface ImageReport {
  /** Softmax probabilities [classes] of each image. */
  probs: Float32Array[];
  /** Intra-image map [N*N] of each image at the model's block. */
  intra: Float32Array[];
  /** Inter-image maps [N*B*B] across the images (one B x B map per patch position). */
  inter: Float32Array;
}

/** Predictions and intra-image maps of each image [B, H, W, 3] for one model and block. */
export async function analyzeImages(model: Vit, images: tf.Tensor4D, block: number): Promise<ImageReport> {
  const [b] = images.shape;
  const classes = model.config.numClasses;
  const n = (model.config.imageSize / model.config.patchSize) ** 2;
  const flat = tf.tidy(() => {
    const out = model.apply(images);
    const probs = tf.softmax(model.predictLogits(out)).reshape([-1]);
    const blockOut = out.blocks[block];
    if (!blockOut)
      throw new Error(`Block ${block} does not exist; the model has ${out.blocks.length} blocks.`);
    const maps = relationMatrices(model.patchTokens(blockOut), { k: 1, sampleIndices: new Int32Array([0]) });
    return tf.concat([probs, maps.intra.reshape([-1]), maps.inter.reshape([-1])]);
  });
  const data = (await flat.data()) as Float32Array; // GPU→CPU sync point
  flat.dispose();
  const probs = Array.from({ length: b }, (_, i) => data.slice(i * classes, (i + 1) * classes));
  const base = b * classes;
  const intra = Array.from({ length: b }, (_, i) => data.slice(base + i * n * n, base + (i + 1) * n * n));
  const inter = data.slice(base + b * n * n, base + b * n * n + n * b * b);
  return { probs, intra, inter };
}

/**
 * Which student block resembles which teacher block: the intra-image relation maps of every
 * block of both models on the probe batch, compared pairwise by mean squared difference.
 * Computed beside the probe maps and read back with them, so it adds no readback of its own.
 */
import { normalizeTokens } from './losses';
import * as tf from './tf';

/** Intra-image maps [B, N, N] (cosine similarity of each patch with each other) of tokens [B, N, D]. */
function intraMaps(tokens: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const f = normalizeTokens(tokens);
    return tf.matMul(f, f, false, true) as tf.Tensor3D;
  });
}

/**
 * [Ls, Lt] mean squared difference between the student's block-i and the teacher's block-j
 * intra-image maps over the whole batch: the quantity the intra-image loss would give for
 * that pair. Tokens are patch tokens [B, N, D] (widths may differ between the models).
 */
export function blockMatchDistances(studentBlocks: tf.Tensor3D[], teacherBlocks: tf.Tensor3D[]): tf.Tensor2D {
  if (!studentBlocks.length || !teacherBlocks.length)
    throw new Error('blockMatchDistances needs at least one block of each model.');
  return tf.tidy(() => {
    const flat = (blocks: tf.Tensor3D[]) =>
      tf.stack(blocks.map((t) => intraMaps(t).reshape([-1]))) as tf.Tensor2D;
    const s = flat(studentBlocks); // [Ls, M]
    const t = flat(teacherBlocks); // [Lt, M]
    // The broadcast difference (not |s|^2 + |t|^2 - 2 s.t) keeps small distances exact.
    return tf.mean(tf.squaredDifference(s.expandDims(1), t.expandDims(0)), 2) as tf.Tensor2D;
  });
}

/**
 * Keeps a dataset resident on the device and makes batches there.
 *
 * TF.js has no uint8 dtype, and int32 would take 4 bytes a channel. Each pixel's three
 * bytes are packed into one int32 (r + 256 g + 65536 b < 2^24, exact even where int32 is
 * emulated in float32 textures, as on WebGL): 4 bytes a pixel instead of 12. A batch is a
 * gather of rows, an exact unpack in float arithmetic (divisions by powers of two), a
 * per-channel normalisation, then random crop (4-pixel zero padding) and horizontal flip
 * in one cropAndResize call whose boxes are the only per-step upload (16 bytes an image;
 * on wasm, whose cropAndResize misplaces some windows, a gather: see augmentBatch).
 */
import { permutation, type Rng } from '../random';
import * as tf from '../tf';
import { type ImageSet, imageBytes } from './dataset';

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

export interface AugmentConfig {
  /** Zero padding on each side before a random crop back to the original size (0 = no crop). */
  cropPadding: number;
  /** Mirror half of the images left-right. */
  flip: boolean;
  /** Mixup's Beta(alpha, alpha) parameter: each batch blends with itself reversed (0 = off). */
  mixup: number;
}

export const STANDARD_AUGMENT: AugmentConfig = { cropPadding: 4, flip: true, mixup: 0 };
export const NO_AUGMENT: AugmentConfig = { cropPadding: 0, flip: false, mixup: 0 };

/** Mean and standard deviation per channel over a set, computed once on the CPU. */
export function channelStats(set: ImageSet): Normalization {
  const sum = [0, 0, 0];
  const sumSq = [0, 0, 0];
  const px = set.images;
  for (let i = 0; i < px.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      const v = px[i + c]! / 255;
      sum[c]! += v;
      sumSq[c]! += v * v;
    }
  }
  const n = px.length / 3;
  const mean = sum.map((s) => s / n) as [number, number, number];
  const std = sumSq.map((s, c) => Math.sqrt(Math.max(s / n - mean[c]! ** 2, 1e-6))) as [
    number,
    number,
    number,
  ];
  return { mean, std };
}

/** Packs NHWC bytes three to an int32 (one pixel each). */
export function packPixels(images: Uint8Array): Int32Array {
  const out = new Int32Array(images.length / 3);
  for (let i = 0, j = 0; i < out.length; i++, j += 3) {
    out[i] = images[j]! | (images[j + 1]! << 8) | (images[j + 2]! << 16);
  }
  return out;
}

/** One split (train or test) resident on the device. */
export class DeviceImageSet {
  /** [count, H*W] int32, one packed pixel each. */
  readonly pixels: tf.Tensor2D;
  /** [count] int32 labels. */
  readonly labels: tf.Tensor1D;
  readonly count: number;
  readonly imageSize: number;
  private readonly scale: tf.Tensor1D;
  private readonly shift: tf.Tensor1D;

  constructor(set: ImageSet, norm: Normalization) {
    if (set.images.length !== set.count * imageBytes(set.imageSize)) {
      throw new Error(
        `Image set holds ${set.images.length} bytes, expected ${set.count} images of ${set.imageSize}px.`,
      );
    }
    this.count = set.count;
    this.imageSize = set.imageSize;
    this.pixels = tf.tensor2d(packPixels(set.images), [set.count, set.imageSize * set.imageSize], 'int32');
    this.labels = tf.tensor1d(Int32Array.from(set.labels), 'int32');
    // (x / 255 - mean) / std  ==  x * scale + shift
    this.scale = tf.tensor1d(norm.std.map((s) => 1 / (255 * s)));
    this.shift = tf.tensor1d(norm.mean.map((m, c) => -m / norm.std[c]!));
  }

  /** Normalised images [B, H, W, 3] for the given indices, on the device. */
  images(indices: tf.Tensor1D): tf.Tensor4D {
    const size = this.imageSize;
    return tf.tidy(() => {
      const packed = tf.gather(this.pixels, indices).toFloat(); // [B, H*W]
      const b = packed.mul(1 / 65536).floor();
      const rest = packed.sub(b.mul(65536));
      const g = rest.mul(1 / 256).floor();
      const r = rest.sub(g.mul(256));
      const rgb = tf.stack([r, g, b], -1); // [B, H*W, 3]
      return rgb.mul(this.scale).add(this.shift).reshape([-1, size, size, 3]) as tf.Tensor4D;
    });
  }

  batchLabels(indices: tf.Tensor1D): tf.Tensor1D {
    return tf.gather(this.labels, indices);
  }

  dispose(): void {
    tf.dispose([this.pixels, this.labels, this.scale, this.shift]);
  }
}

/**
 * Random crop and flip of a batch [B, H, W, C] in one cropAndResize: each box is an
 * integer-aligned window of the padded image, given right-to-left to mirror it. On wasm, one
 * gather of the windows' pixels instead: tfjs-backend-wasm 4.22's CropAndResize copies a box
 * that needs no interpolation row by row from column 0, whatever its left edge, so every
 * unmirrored window at the top (offset 0, x) came out as the one at (0, 0): 7 of the 162
 * windows of a 4-pixel pad, about 4% of the images, cropped at the wrong place.
 */
export function augmentBatch(images: tf.Tensor4D, cfg: AugmentConfig, rng: Rng): tf.Tensor4D {
  if (cfg.cropPadding <= 0 && !cfg.flip) return images.clone();
  const [b, h, w] = images.shape;
  const pad = Math.max(0, cfg.cropPadding);
  const windows = Array.from({ length: b }, () => {
    const oy = pad ? Math.floor(rng() * (2 * pad + 1)) : 0;
    const ox = pad ? Math.floor(rng() * (2 * pad + 1)) : 0;
    return { oy, ox, flip: cfg.flip && rng() < 0.5 };
  });
  return tf.tidy(() => {
    const padded = (
      pad
        ? images.pad([
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0],
          ])
        : images
    ) as tf.Tensor4D;
    return tf.getBackend() === 'wasm'
      ? gatherWindows(padded, windows, h, w)
      : cropWindows(padded, windows, h, w);
  });
}

interface CropWindow {
  oy: number;
  ox: number;
  flip: boolean;
}

/** The windows as cropAndResize boxes: 16 bytes an image to upload. */
function cropWindows(padded: tf.Tensor4D, windows: CropWindow[], h: number, w: number): tf.Tensor4D {
  const [b, ph, pw] = padded.shape;
  const boxes = new Float32Array(b * 4);
  windows.forEach(({ oy, ox, flip }, i) => {
    // Normalised corners: sample k of the crop lands exactly on padded pixel (offset + k).
    const y1 = oy / (ph - 1);
    const y2 = (oy + h - 1) / (ph - 1);
    const x1 = ox / (pw - 1);
    const x2 = (ox + w - 1) / (pw - 1);
    boxes.set(flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2], i * 4);
  });
  const boxInd = tf.range(0, b, 1, 'int32') as tf.Tensor1D;
  return tf.image.cropAndResize(padded, tf.tensor2d(boxes, [b, 4]), boxInd, [h, w], 'bilinear');
}

/** The windows as one gather of pixel rows: an index a pixel, a copy on the CPU's memory. */
function gatherWindows(padded: tf.Tensor4D, windows: CropWindow[], h: number, w: number): tf.Tensor4D {
  const [b, ph, pw, c] = padded.shape;
  const rows = new Int32Array(b * h * w);
  windows.forEach(({ oy, ox, flip }, i) => {
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        rows[(i * h + y) * w + x] = (i * ph + oy + y) * pw + ox + (flip ? w - 1 - x : x);
  });
  return tf.gather(padded.reshape([b * ph * pw, c]), tf.tensor1d(rows, 'int32')).reshape([b, h, w, c]);
}

/**
 * Walks the training set in epochs: a fresh permutation per epoch (one upload), batches
 * sliced from it on the device. Incomplete last batches are dropped so every step has B images.
 */
export class EpochSampler {
  readonly count: number;
  readonly batch: number;
  readonly stepsPerEpoch: number;
  epoch = 0;
  /** Batches already taken from the current epoch. */
  cursor = 0;
  private order: Int32Array;
  private orderTensor: tf.Tensor1D;
  private readonly rng: Rng;

  constructor(
    count: number,
    batch: number,
    rng: Rng,
    resume?: { epoch: number; cursor: number; order: Int32Array },
  ) {
    if (batch > count) throw new Error(`Batch size ${batch} is larger than the ${count} training images.`);
    this.count = count;
    this.batch = batch;
    this.rng = rng;
    this.stepsPerEpoch = Math.floor(count / batch);
    if (resume) {
      if (resume.order.length !== count)
        throw new Error('Saved epoch order does not match the dataset size.');
      this.epoch = resume.epoch;
      this.cursor = resume.cursor;
      this.order = resume.order;
    } else {
      this.order = permutation(count, rng);
    }
    this.orderTensor = tf.tensor1d(this.order, 'int32');
  }

  /** Indices of the next batch [B] int32 on the device; the caller disposes them. */
  next(): tf.Tensor1D {
    if (this.cursor >= this.stepsPerEpoch) {
      this.epoch += 1;
      this.cursor = 0;
      this.order = permutation(this.count, this.rng);
      this.orderTensor.dispose();
      this.orderTensor = tf.tensor1d(this.order, 'int32');
    }
    const start = this.cursor * this.batch;
    this.cursor += 1;
    return this.orderTensor.slice(start, this.batch);
  }

  /** Where the sampler is, for checkpoints: enough to continue with the same batches. */
  position(): { epoch: number; cursor: number; order: Int32Array } {
    return { epoch: this.epoch, cursor: this.cursor, order: this.order };
  }

  dispose(): void {
    this.orderTensor.dispose();
  }
}

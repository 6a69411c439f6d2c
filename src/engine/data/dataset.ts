/**
 * A labelled image set in CPU memory, the common form of every data source (CIFAR-10,
 * CIFAR-100, the built-in synthetic set) before it is uploaded to the device once.
 */

export interface ImageSet {
  /** Pixels as bytes, NHWC: image i, row y, column x, channel c at ((i*size + y)*size + x)*3 + c. */
  images: Uint8Array;
  /** Class index of each image, in [0, classNames.length). */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
  /** Side of the square images in pixels. */
  imageSize: number;
}

export interface Dataset {
  /** 'synthetic', 'cifar10', 'cifar100' (fine labels) or 'cifar100-coarse'. */
  name: string;
  classNames: string[];
  train: ImageSet;
  test: ImageSet;
}

/** Bytes of one RGB image of the given side. */
export function imageBytes(imageSize: number): number {
  return imageSize * imageSize * 3;
}

/** Images per class, for reports and tests. */
export function classCounts(set: ImageSet, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of set.labels) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
}

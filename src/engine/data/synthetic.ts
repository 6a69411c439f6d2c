/**
 * The built-in synthetic set: ten classes of procedurally drawn shapes on textured
 * backgrounds, reproducible from a seed, no download: the default 12000 images take under
 * a second of CPU in Node.
 *
 * Each class is defined by shape and structure only. Foreground and background colours are
 * drawn independently of the class, any hue, so the mean colour of an image says next to
 * nothing about its class; position, scale, rotation, edge softness, background texture
 * (gradient, faint stripes, blotches) and pixel noise vary per image, so a model has to learn
 * the spatial layout of the patches.
 *
 * The set is tuned to be learnable by small ViTs in a few hundred to a few thousand steps: the
 * shape is always the lighter of the two (a dark-to-mid background, a mid-to-light shape, so
 * the contrast is clear), a shape's frame is at least about 16 px across (two 8-px patches), and the
 * texture and noise stay well below the contrast. With either polarity at random, a contrast
 * that was sometimes faint, objects from 12 px and stronger clutter, the tiny preset's teacher
 * (patch 8, 32 wide, 2 blocks) stayed at chance after 1000 steps; each of those choices cost it
 * accuracy, the contrast the most.
 *
 * Shapes are drawn with signed distance functions: each pixel's distance to the shape's
 * edge, in pixels, gives an anti-aliased coverage, which blends foreground over background.
 */
import { makeRng, type Rng } from '../random';
import type { Dataset, ImageSet } from './dataset';
import { drawRotation, drawShapeParams, shapeDistance } from './synthetic-shapes';

export const SYNTHETIC_CLASS_NAMES = [
  'disc',
  'ring',
  'square',
  'triangle',
  'cross',
  'horizontal stripes',
  'vertical stripes',
  'checkerboard',
  'diagonal bar',
  'two dots',
] as const;

/** One line per class, in class order, for the README and the UI. */
export const SYNTHETIC_CLASS_DESCRIPTIONS: readonly string[] = [
  'a filled circle',
  'a circle outline: a thick annulus with a hole showing the background',
  'a filled square at any rotation',
  'a filled equilateral triangle at any rotation',
  'a plus sign of two crossing arms at any rotation (at 45° it reads as an X)',
  'three or four parallel bars, roughly horizontal (within ±15°)',
  'three or four parallel bars, roughly vertical (within ±15°)',
  'a square patch of 3×3 or 4×4 alternating cells at any rotation',
  'one long bar along either diagonal (within ±12° of 45°)',
  'two small discs side by side at any orientation',
];

export interface SyntheticOptions {
  /** Seed of the whole set (default 0); train and test use separate streams of it. */
  seed?: number;
  /** Training images (default 10000). */
  trainCount?: number;
  /** Test images (default 2000). */
  testCount?: number;
  /** Side of the square images in pixels (default 32). */
  imageSize?: number;
}

const CLASSES = SYNTHETIC_CLASS_NAMES.length;
const GRID = 5; // the background blotches: value noise on GRID x GRID knots across the image
const COLUMN = 8; // values per column in Scratch.columns
// Strength of the background texture and pixel noise: at full strength (1) they slowed the
// tiny teacher down without making the classes any more interesting.
const CLUTTER = 0.6;

/** Generates the synthetic set; the same options always give byte-identical images. */
export function makeSyntheticDataset(options: SyntheticOptions = {}): Dataset {
  const seed = options.seed ?? 0;
  const trainCount = options.trainCount ?? 10000;
  const testCount = options.testCount ?? 2000;
  const imageSize = options.imageSize ?? 32;
  if (!Number.isInteger(imageSize) || imageSize < 4) throw new Error(`imageSize ${imageSize}: need >= 4`);
  for (const [name, n] of [
    ['trainCount', trainCount],
    ['testCount', testCount],
  ] as const) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} ${n}: need an integer >= 0`);
  }
  return {
    name: 'synthetic',
    classNames: [...SYNTHETIC_CLASS_NAMES],
    train: makeSplit(makeRng(seed, 'synthetic/train'), trainCount, imageSize),
    test: makeSplit(makeRng(seed, 'synthetic/test'), testCount, imageSize),
  };
}

/** Balanced labels (class counts differ by at most one), shuffled, then one image per label. */
function makeSplit(rng: Rng, count: number, imageSize: number): ImageSet {
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % CLASSES;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = labels[i]!;
    labels[i] = labels[j]!;
    labels[j] = t;
  }
  const stride = imageSize * imageSize * 3;
  const images = new Uint8Array(count * stride);
  // The same bytes seen as clamped: a store rounds and clips to [0, 255] natively.
  const clamped = new Uint8ClampedArray(images.buffer, images.byteOffset, images.length);
  const scratch: Scratch = {
    coverage: new Float32Array(imageSize * imageSize),
    columns: new Float64Array(imageSize * COLUMN),
    row: new Float64Array(GRID),
  };
  for (let i = 0; i < count; i++) {
    drawImage(rng, labels[i]!, imageSize, clamped, i * stride, scratch);
  }
  return { images, labels, count, imageSize };
}

// ---------------------------------------------------------------------------------------------
// Colours and textures.
// ---------------------------------------------------------------------------------------------

function luminance(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : Math.min(x, 1);
}

/** A random colour (any hue) shifted to about the given luminance. */
function colourAt(rng: Rng, target: number): number[] {
  const colour = [rng(), rng(), rng()];
  // Shift towards the target luminance, then re-shift twice to make up for clamping.
  for (let k = 0; k < 3; k++) {
    const shift = target - luminance(colour[0]!, colour[1]!, colour[2]!);
    for (let c = 0; c < 3; c++) colour[c] = clamp01(colour[c]! + shift);
  }
  return colour;
}

/** Buffers reused from image to image. */
interface Scratch {
  /** Shape coverage per pixel, in [0, 1]. */
  coverage: Float32Array;
  /** Per column, COLUMN values: see the compositing loop. */
  columns: Float64Array;
  /** The blotch knots interpolated to the current row. */
  row: Float64Array;
}

function drawImage(
  rng: Rng,
  label: number,
  size: number,
  out: Uint8ClampedArray,
  offset: number,
  scratch: Scratch,
): void {
  const { coverage, columns, row } = scratch;
  // --- The shape: placement, scale, rotation, edge softness.
  const cx = size * (0.5 + (rng() - 0.5) * 0.36);
  const cy = size * (0.5 + (rng() - 0.5) * 0.36);
  const scale = size * (0.26 + rng() * 0.17); // pixels per shape unit: object diameter 17 to 27 px at 32
  const angle = drawRotation(rng, label);
  const params = drawShapeParams(rng, label);
  const soft = 0.7 + rng() * 1.3; // anti-aliasing width in pixels, sometimes blurry
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  // Every shape lies within radius 1.55 of its centre: pixels beyond (plus the blur) are background.
  const reach = 1.55 + soft / scale;
  const reach2 = reach * reach;
  for (let y = 0; y < size; y++) {
    const py = y + 0.5 - cy;
    for (let x = 0; x < size; x++) {
      const px = x + 0.5 - cx;
      const u = px * cos + py * sin;
      const v = -px * sin + py * cos;
      if (u * u + v * v > reach2) {
        coverage[y * size + x] = 0;
        continue;
      }
      const d = shapeDistance(label, u, v, params) * scale;
      coverage[y * size + x] = clamp01(0.5 - d / soft);
    }
  }

  // --- Colours: independent of the class; a darker background (luminance 0.05 to 0.45) and a
  // lighter shape (0.6 to 0.95), so the luminance contrast is 0.15 to 0.9, 0.3 to 0.75 in five images of six.
  const bg = colourAt(rng, 0.05 + rng() * 0.4);
  const fg = colourAt(rng, 0.6 + rng() * 0.35);
  const contrast = luminance(fg[0]!, fg[1]!, fg[2]!) - luminance(bg[0]!, bg[1]!, bg[2]!);
  // Clutter scales with the contrast, so a fainter shape is not also buried in texture, and
  // stays at most CLUTTER of the full strength.
  const clutter = CLUTTER * Math.min(1, Math.max(0.4, contrast / 0.35));

  // --- Background texture: a linear gradient, faint stripes and blotches, each with a random weight.
  const gradAngle = rng() * 2 * Math.PI;
  const gradAmp = rng() < 0.5 ? (rng() - 0.5) * 0.5 * clutter : 0;
  const gx = (Math.cos(gradAngle) * gradAmp) / size;
  const gy = (Math.sin(gradAngle) * gradAmp) / size;
  const gradTint = [0.6 + rng() * 0.4, 0.6 + rng() * 0.4, 0.6 + rng() * 0.4];
  const stripeAmp = rng() < 0.3 ? (0.03 + rng() * 0.09) * clutter : 0;
  const stripeAngle = rng() * Math.PI;
  const stripeFreq = (2 * Math.PI) / (3 + rng() * 6);
  const sx = Math.cos(stripeAngle) * stripeFreq;
  const sy = Math.sin(stripeAngle) * stripeFreq;
  const stripePhase = rng() * 2 * Math.PI;
  const blotchAmp = rng() < 0.5 ? rng() * 0.25 * clutter : 0;
  const knots = new Float32Array(GRID * GRID);
  for (let k = 0; k < knots.length; k++) knots[k] = rng() - 0.5;
  const blotchTint = [rng(), rng(), rng()];
  // The foreground gets a gentle shading of its own.
  const shadeAngle = rng() * 2 * Math.PI;
  const shadeAmp = (rng() - 0.5) * 0.3;
  const fx = (Math.cos(shadeAngle) * shadeAmp) / size;
  const fy = (Math.sin(shadeAngle) * shadeAmp) / size;
  // Sometimes the foreground is striped too, finely, so that stripes alone do not name a class.
  // Kept under half the contrast, so the silhouette still reads as one shape.
  const fgStripeAmp = rng() < 0.25 ? Math.min(0.06 + rng() * 0.12, 0.45 * contrast) : 0;
  const fgStripeAngle = rng() * Math.PI;
  const fgStripeFreq = (2 * Math.PI) / (2.5 + rng() * 2.5);
  const fsx = Math.cos(fgStripeAngle) * fgStripeFreq;
  const fsy = Math.sin(fgStripeAngle) * fgStripeFreq;

  // --- Pixel noise: a table of normal samples, indexed by a tiny xorshift seeded per image.
  const sigma = (rng() < 0.3 ? rng() * 0.02 : 0.02 + rng() * 0.07) * clutter;
  let state = (Math.floor(rng() * 0xfffffffe) + 1) | 0;
  const table = normalTable();

  // --- Compositing, in byte units (0 to 255); the clamped store rounds and clips.
  const br = bg[0]! * 255;
  const bgG = bg[1]! * 255;
  const bb = bg[2]! * 255;
  const fr = fg[0]! * 255;
  const fgG = fg[1]! * 255;
  const fb = fg[2]! * 255;
  const gtr = gradTint[0]!;
  const gtg = gradTint[1]!;
  const gtb = gradTint[2]!;
  const blotchScale = 2 * blotchAmp * 255;
  const btr = (blotchTint[0]! - 0.5) * blotchScale;
  const btg = (blotchTint[1]! - 0.5) * blotchScale;
  const btb = (blotchTint[2]! - 0.5) * blotchScale;
  const noise = sigma * 255;
  const half = size / 2 - 0.5; // pixel x sits at x - half from the centre
  // Per column: the x parts of everything. A stripe's phase is separable,
  // sin(ax + by + c) = sin(ax) cos(by + c) + cos(ax) sin(by + c), so a sine per column and per
  // row replaces one per pixel.
  const cell = (GRID - 1) / size;
  for (let x = 0; x < size; x++) {
    const px = x - half;
    const kx = (x + 0.5) * cell;
    const ix = Math.min(Math.floor(kx), GRID - 2);
    const w = COLUMN * x;
    columns[w] = Math.sin(px * sx);
    columns[w + 1] = Math.cos(px * sx);
    columns[w + 2] = Math.sin(px * fsx);
    columns[w + 3] = Math.cos(px * fsx);
    columns[w + 4] = px * gx * 255;
    columns[w + 5] = px * fx * 255;
    columns[w + 6] = ix;
    columns[w + 7] = kx - ix;
  }
  let o = offset;
  for (let y = 0; y < size; y++) {
    const py = y - half;
    const ky = (y + 0.5) * cell;
    const iy = Math.min(Math.floor(ky), GRID - 2);
    const ty = ky - iy;
    const rowPhase = py * sy + stripePhase;
    const bgCos = stripeAmp * 255 * Math.cos(rowPhase);
    const bgSin = stripeAmp * 255 * Math.sin(rowPhase);
    const fgCos = fgStripeAmp * 255 * Math.cos(py * fsy);
    const fgSin = fgStripeAmp * 255 * Math.sin(py * fsy);
    const gradY = py * gy * 255;
    const shadeY = py * fy * 255;
    // The blotch knots, interpolated down to this row.
    for (let k = 0; k < GRID; k++) {
      const up = knots[iy * GRID + k]!;
      row[k] = up + (knots[(iy + 1) * GRID + k]! - up) * ty;
    }
    for (let x = 0; x < size; x++) {
      const w = COLUMN * x;
      const ix = columns[w + 6]!;
      const left = row[ix]!;
      const blotch = left + (row[ix + 1]! - left) * columns[w + 7]!;
      const grad = columns[w + 4]! + gradY;
      const stripe = columns[w]! * bgCos + columns[w + 1]! * bgSin;
      // Three noise samples from one 32-bit xorshift draw, 10 bits each.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      let r = br + grad * gtr + stripe + blotch * btr;
      let g = bgG + grad * gtg + stripe + blotch * btg;
      let b = bb + grad * gtb + stripe + blotch * btb;
      const a = coverage[y * size + x]!;
      if (a > 0) {
        const shade = columns[w + 5]! + shadeY + columns[w + 2]! * fgCos + columns[w + 3]! * fgSin;
        r += (fr + shade - r) * a;
        g += (fgG + shade - g) * a;
        b += (fb + shade - b) * a;
      }
      out[o] = r + table[state & 1023]! * noise;
      out[o + 1] = g + table[(state >>> 10) & 1023]! * noise;
      out[o + 2] = b + table[(state >>> 20) & 1023]! * noise;
      o += 3;
    }
  }
}

let normals: Float32Array | undefined;

/** 1024 standard normal quantiles (a fixed table, so no randomness is spent on it). */
function normalTable(): Float32Array {
  if (normals) return normals;
  normals = new Float32Array(1024);
  for (let i = 0; i < 1024; i++) normals[i] = inverseNormal((i + 0.5) / 1024);
  return normals;
}

/** The standard normal quantile function (Acklam's rational approximation, error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < low ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

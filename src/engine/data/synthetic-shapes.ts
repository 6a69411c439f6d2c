/**
 * The synthetic set's ten shapes, as signed distances in the shape's own frame (object radius
 * about 1; negative inside), and the per-image draw of each shape's parameters. synthetic.ts
 * turns a distance into anti-aliased coverage over a textured background.
 */
import type { Rng } from '../random';

const SQRT3 = Math.sqrt(3);

/** Axis-aligned box of half-sizes (bx, by) centred at the origin. */
function sdBox(u: number, v: number, bx: number, by: number): number {
  const qx = Math.abs(u) - bx;
  const qy = Math.abs(v) - by;
  const ox = Math.max(qx, 0);
  const oy = Math.max(qy, 0);
  const inside = Math.max(qx, qy);
  return Math.sqrt(ox * ox + oy * oy) + Math.min(inside, 0);
}

/** Equilateral triangle of half-side r, centroid at the origin (Inigo Quilez's form). */
function sdTriangle(u: number, v: number, r: number): number {
  let px = Math.abs(u) - r;
  let py = v + r / SQRT3;
  if (px + SQRT3 * py > 0) {
    const nx = (px - SQRT3 * py) / 2;
    const ny = (-SQRT3 * px - py) / 2;
    px = nx;
    py = ny;
  }
  const c = px < -2 * r ? -2 * r : Math.min(px, 0);
  px -= c;
  const len = Math.sqrt(px * px + py * py);
  return py > 0 ? -len : len;
}

/** Parallel bars across v in [-1, 1] (bars run along u), clipped to |u| <= halfLength. */
function sdBars(u: number, v: number, period: number, halfWidth: number, halfLength: number): number {
  let m = (v + 1) % period;
  if (m < 0) m += period;
  const dBars = Math.abs(m - period / 2) - halfWidth;
  const dWindow = sdBox(u, v, halfLength, 1);
  return Math.max(dBars, dWindow);
}

/** Shape parameters drawn per image; which fields are used depends on the class. */
export interface ShapeParams {
  a: number;
  b: number;
  c: number;
}

export function shapeDistance(label: number, u: number, v: number, p: ShapeParams): number {
  switch (label) {
    case 0: // disc
      return Math.sqrt(u * u + v * v) - 1;
    case 1: // ring: centre radius a, half-thickness b
      return Math.abs(Math.sqrt(u * u + v * v) - p.a) - p.b;
    case 2: // square
      return sdBox(u, v, 0.85, 0.85);
    case 3: // triangle
      return sdTriangle(u, v, 0.95);
    case 4: {
      // cross: arms of half-width a
      const h = sdBox(u, v, 1, p.a);
      const w = sdBox(u, v, p.a, 1);
      return Math.min(h, w);
    }
    case 5: // horizontal stripes: period a, bar half-width b, half-length c
      return sdBars(u, v, p.a, p.b, p.c);
    case 6: // vertical stripes: the same with the axes swapped
      return sdBars(v, u, p.a, p.b, p.c);
    case 7: {
      // checkerboard: n x n cells of side a inside a square window of half-side 1; only the
      // inner grid lines count as edges, or the window's border would draw a half-tone outline
      const n = Math.round(2 / p.a);
      const cu = (u + 1) / p.a;
      const cv = (v + 1) / p.a;
      const fu = Math.min(Math.max(Math.floor(cu), 0), n - 1);
      const fv = Math.min(Math.max(Math.floor(cv), 0), n - 1);
      const du = Math.min(fu > 0 ? cu - fu : 1e9, fu < n - 1 ? fu + 1 - cu : 1e9) * p.a;
      const dv = Math.min(fv > 0 ? cv - fv : 1e9, fv < n - 1 ? fv + 1 - cv : 1e9) * p.a;
      const edge = Math.min(du, dv);
      const dCheck = (fu + fv) & 1 ? edge : -edge;
      const dWindow = sdBox(u, v, 1, 1);
      return Math.max(dCheck, dWindow);
    }
    case 8: // diagonal bar (the rotation makes it diagonal): half-width a
      return sdBox(u, v, 1.25, p.a);
    default: {
      // two dots: radius a at (+-b, 0)
      const d1 = Math.sqrt((u - p.b) * (u - p.b) + v * v) - p.a;
      const d2 = Math.sqrt((u + p.b) * (u + p.b) + v * v) - p.a;
      return Math.min(d1, d2);
    }
  }
}

/** Rotation of the shape in radians, by class: free where the shape allows, limited where it defines it. */
export function drawRotation(rng: Rng, label: number): number {
  const deg = Math.PI / 180;
  switch (label) {
    case 5:
    case 6:
      return (rng() * 30 - 15) * deg;
    case 8:
      return ((rng() < 0.5 ? 45 : 135) + rng() * 24 - 12) * deg;
    default:
      return rng() * 2 * Math.PI;
  }
}

export function drawShapeParams(rng: Rng, label: number): ShapeParams {
  const p: ShapeParams = { a: 0, b: 0, c: 0 };
  switch (label) {
    case 1:
      p.a = 0.68 + rng() * 0.12;
      p.b = 0.14 + rng() * 0.1;
      break;
    case 4:
      p.a = 0.2 + rng() * 0.1;
      break;
    case 5:
    case 6: {
      const bars = rng() < 0.5 ? 3 : 4;
      p.a = 2 / bars;
      p.b = (p.a / 2) * (0.45 + rng() * 0.2);
      p.c = 0.8 + rng() * 0.35;
      break;
    }
    case 7:
      p.a = rng() < 0.5 ? 2 / 3 : 2 / 4;
      break;
    case 8:
      p.a = 0.16 + rng() * 0.1;
      break;
    case 9:
      p.a = 0.3 + rng() * 0.1;
      p.b = 0.6 + rng() * 0.2;
      break;
  }
  return p;
}

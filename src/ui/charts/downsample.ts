/**
 * Indices of the points to draw when a series has more than `maxPoints` rows: every `stride`-th
 * row plus the last one, so the newest point is always on screen.
 *
 * Why: every redraw rebuilds each line's SVG path from every drawn point; a chart is at most
 * ~1000 px wide, so a few thousand points cost frame time without adding anything visible. The smoothed series is computed from all rows before this thinning, and
 * the tooltip reads exact values from the full rows, so only the faint raw line loses detail.
 *
 * The stride is a power of two, so between stride changes the kept rows (multiples of the stride)
 * do not shift as rows are appended and the drawn curve does not shimmer while training.
 *
 * @param length number of rows
 * @param maxPoints upper bound on the returned count (at least 2)
 */
export function downsampleIndices(length: number, maxPoints: number): number[] {
  const max = Math.max(2, Math.floor(maxPoints));
  if (length <= max) return Array.from({ length }, (_, i) => i);
  const needed = (length - 1) / (max - 1);
  const stride = 2 ** Math.ceil(Math.log2(needed));
  const out: number[] = [];
  for (let i = 0; i < length - 1; i += stride) out.push(i);
  out.push(length - 1);
  return out;
}

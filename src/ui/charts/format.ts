/** Compact number for read-outs: 4 significant digits, exponent form for very large or small values. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** A step count for an axis: 2500, 12.5k, 1.2M (steps are whole numbers, so no exponents). */
export function formatStep(v: number): string {
  if (!Number.isFinite(v)) return formatValue(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Math.round(v));
}

/** Lower-case, dash-separated form of a title for test ids: "Loss terms (val)" -> "loss-terms-val". */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Layer pairs as text, one format for the share link and the form: `student-teacher` pairs
 * joined by `_`, as in `0-0_1-1_5-5` (only unreserved URL characters, so nothing gets
 * percent-encoded). `auto` (or nothing) is the empty list, which means defaultLayerPairs().
 * Reading also takes the older forms: `:` inside a pair (the form's `0:0 5:5`) and `,`, `.` or
 * spaces between pairs.
 */
import type { LayerPair } from './config';

export function formatLayerPairs(pairs: readonly LayerPair[]): string {
  return pairs.length ? pairs.map(([s, t]) => `${s}-${t}`).join('_') : 'auto';
}

export function parseLayerPairs(
  text: string,
): { ok: true; value: LayerPair[] } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'auto') return { ok: true, value: [] };
  const pairs: LayerPair[] = [];
  for (const part of trimmed.split(/[_,.\s]+/)) {
    const m = /^(\d+)[-:](\d+)$/.exec(part);
    if (!m) return { ok: false, reason: `'${part}' is not a student-teacher block pair like 0-0` };
    pairs.push([Number(m[1]), Number(m[2])]);
  }
  return { ok: true, value: pairs };
}

/**
 * Axis domains and tick values for the metric charts, computed here rather than by recharts.
 *
 * Why: with `domain={['auto', 'auto']}` recharts derives "nice" ticks with arbitrary-precision
 * decimal arithmetic and measures every tick label in the DOM, for every axis of every chart on
 * every redraw. Profiled while training, that was the largest share of the page's main-thread time
 * (chart redraws were the only tasks over 50 ms). Plain floating point on a 1-2-5 ladder gives the
 * same kind of ticks in microseconds, and explicit ticks let recharts skip its label measuring.
 */

/** A domain and the tick values inside it (ascending, both ends included where they are ticks). */
export interface AxisScale {
  domain: [number, number];
  ticks: number[];
}

const LADDER = [1, 2, 5, 10] as const;

/** Removes binary noise from a computed tick (0.30000000000000004 -> 0.3). */
const clean = (v: number) => Number(v.toPrecision(12));

/** The smallest value of the 1-2-5 ladder (times a power of ten) that is >= `x` (x > 0). */
function niceAtLeast(x: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(x));
  for (const m of LADDER) if (m * magnitude >= x * (1 - 1e-12)) return m * magnitude;
  return 10 * magnitude;
}

/**
 * Ticks for a linear axis covering [min, max] with about `count` ticks on a 1-2-5 step.
 * `extend` widens the domain outwards to whole steps (a value axis); without it the domain stays
 * [min, max] and only the ticks inside it are kept (a step axis, whose ends are the data's ends).
 * A single value gets a small band around it. Returns undefined when min or max is not finite.
 */
export function linearScale(min: number, max: number, count = 5, extend = true): AxisScale | undefined {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) return undefined;
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    if (!extend) return { domain: [min, max], ticks: [min] };
    return linearScale(min - pad, max + pad, count, true);
  }
  const step = niceAtLeast((max - min) / Math.max(1, count - 1));
  const lo = extend ? Math.floor(min / step + 1e-9) * step : Math.ceil(min / step - 1e-9) * step;
  const hi = extend ? Math.ceil(max / step - 1e-9) * step : Math.floor(max / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(clean(lo + i * step));
  return { domain: extend ? [clean(lo), clean(hi)] : [min, max], ticks };
}

/**
 * Ticks for a log axis covering [min, max] (both > 0): the domain runs from the 1-2-5 value at or
 * below min to the one at or above max; ticks are the 1-2-5 values inside, or only the powers of
 * ten when that would give more than `maxTicks`. Returns undefined without a positive finite range.
 */
export function logScale(min: number, max: number, maxTicks = 8): AxisScale | undefined {
  if (!(min > 0) || !Number.isFinite(max) || min > max) return undefined;
  const candidates: number[] = [];
  for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)); e++)
    for (const m of [1, 2, 5]) candidates.push(clean(m * 10 ** e));
  const below = candidates.filter((v) => v <= min * (1 + 1e-12));
  const above = candidates.filter((v) => v >= max * (1 - 1e-12));
  let lo = below.at(-1)!;
  let hi = above[0]!;
  if (lo === hi) {
    // One value exactly on the ladder: show the rungs on either side of it.
    lo = below.at(-2)!;
    hi = above[1]!;
  }
  const inside = candidates.filter((v) => v >= lo && v <= hi);
  const powers = inside.filter((v) => Number.isInteger(Math.log10(v)) || v === lo || v === hi);
  return { domain: [lo, hi], ticks: inside.length <= maxTicks ? inside : powers };
}

/** Rungs of the step axis's end: fine enough that the end is never much past the run, coarse enough to move rarely. */
const END_LADDER = [1, 1.5, 2, 3, 4, 5, 6, 8, 10] as const;
/** The step axis spans at least this many steps, so the first few points are not stretched edge to edge. */
const MIN_STEP_SPAN = 20;
/** Room past the last step, as a fraction of it: the curve never ends on the plot's edge. */
const STEP_HEADROOM = 0.25;

/**
 * Where a step axis fitted to the run so far ends: the first rung of END_LADDER (times a power of
 * ten) at or past `stepsSoFar` plus STEP_HEADROOM, at most `planned` (the run's last step, when
 * known). On the ladder the end moves only when the run outgrows it, about every 1.3-1.5x of
 * steps: a moved axis makes recharts redraw the chart's whole frame, so it must not move each read.
 */
export function fittedStepEnd(stepsSoFar: number, planned?: number): number {
  const want = Math.max(MIN_STEP_SPAN, Math.max(0, stepsSoFar) * (1 + STEP_HEADROOM));
  const magnitude = 10 ** Math.floor(Math.log10(want));
  let end = 10 * magnitude;
  for (const rung of END_LADDER) {
    if (rung * magnitude >= want * (1 - 1e-12)) {
      end = rung * magnitude;
      break;
    }
  }
  end = clean(end);
  return planned !== undefined && planned > 0 ? Math.min(end, Math.max(planned, stepsSoFar)) : end;
}

/** True when two scales have the same domain and ticks (both undefined counts as the same). */
export function sameScale(a: AxisScale | undefined, b: AxisScale | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.domain[0] === b.domain[0] &&
    a.domain[1] === b.domain[1] &&
    a.ticks.length === b.ticks.length &&
    a.ticks.every((t, i) => t === b.ticks[i])
  );
}

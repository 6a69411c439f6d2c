import { useEffect, useRef, useState } from 'react';

/**
 * The next moment at or after `earliest` that falls in a slot: times t with
 * t ≡ slot·periodMs (mod periodMs). Pure, for the hook below and its test.
 */
export function nextSlotTime(earliest: number, periodMs: number, slot: number): number {
  const offset = slot * periodMs;
  return Math.ceil((earliest - offset) / periodMs - 1e-9) * periodMs + offset;
}

/**
 * The value, updated at most once per `periodMs`, and only in its slot of the period (the latest
 * value always arrives). Charts redraw all their SVG on each new row; once a second is plenty to
 * watch a loss move. Giving each chart its own slot (0, 1/3, 2/3 of the period) spreads their
 * redraws over separate tasks, so no single task pays for all of them.
 *
 * @param slot fraction of the period, in [0, 1), at which this value updates
 */
export function useThrottled<T>(value: T, periodMs: number, slot = 0): T {
  const [shown, setShown] = useState(value);
  const last = useRef(Number.NEGATIVE_INFINITY);
  useEffect(() => {
    const now = performance.now();
    const at = nextSlotTime(Math.max(now, last.current + periodMs), periodMs, slot);
    const timer = setTimeout(() => {
      last.current = at;
      setShown(value);
    }, at - now);
    return () => clearTimeout(timer);
  }, [value, periodMs, slot]);
  return shown;
}

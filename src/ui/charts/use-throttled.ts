import { useEffect, useRef, useState } from 'react';

/**
 * The value, updated at most once per `ms` (the latest value always arrives). Charts redraw
 * all their SVG on each new row; once a second is plenty to watch a loss move, and keeps the
 * page's main thread free between redraws.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - performance.now();
    if (wait <= 0) {
      last.current = performance.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

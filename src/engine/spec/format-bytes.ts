/** Sizes of downloads in words, shared by the worker (its messages) and the page (its run panel). */

const MB = 1e6;

/**
 * "12 of 31 MB", "0.4 of 4.8 MB", or "12 MB" when the total is unknown: decimal megabytes, as
 * browsers' download lists count them, whole ones from 10 MB on.
 */
export function formatDownloaded(loaded: number, total: number | null): string {
  const digits = (total ?? loaded) >= 10 * MB ? 0 : 1;
  const mb = (bytes: number) => (bytes / MB).toFixed(digits);
  return total === null ? `${mb(loaded)} MB` : `${mb(Math.min(loaded, total))} of ${mb(total)} MB`;
}

/**
 * The browser side of the share URL (the codec is url-codec.ts). Reads the hash at start-up
 * and whenever it changes (link-open.ts), and keeps it in step with the config being edited: debounced, with
 * history.replaceState, and only when the encoded string changes; never by assigning
 * location.hash (which would add a history entry and fire hashchange on every keystroke).
 *
 * Decoupled from the store's type: startUrlSync takes a subscribe function, e.g.
 *   startUrlSync((listener) => useAppStore.subscribe((s) => s.config, listener))
 * with zustand's subscribeWithSelector.
 */
import type { RunConfig } from '../engine/spec/config';
import { type DecodedHash, decodeHash, type ExperimentLink, encodeHash } from './url-codec';

/** Milliseconds a config must stay unchanged before the URL is rewritten. */
export const URL_WRITE_DELAY_MS = 250;

/** The config the page's hash describes, with a notice for everything not taken as written. */
export function readUrlState(): DecodedHash {
  return decodeHash(window.location.hash);
}

/** The page's URL without its hash. */
function baseUrl(): string {
  const href = window.location.href;
  const hash = href.indexOf('#');
  return hash < 0 ? href : href.slice(0, hash);
}

/** The full link that opens this page with this config (and this Experiment panel form). */
export function shareUrl(config: RunConfig, experiment?: ExperimentLink): string {
  return baseUrl() + encodeHash(config, experiment);
}

/** Rewrites the hash now, if the encoding differs from it; true when it wrote. */
export function writeUrlState(config: RunConfig, experiment?: ExperimentLink): boolean {
  const next = encodeHash(config, experiment);
  if (next === window.location.hash) return false;
  // Keep history.state: other code (or the router of a later version) may have put something there.
  window.history.replaceState(window.history.state, '', baseUrl() + next);
  return true;
}

export interface UrlSyncOptions {
  /** Debounce in milliseconds (default URL_WRITE_DELAY_MS). */
  delayMs?: number;
}

/**
 * Writes each new config to the hash, at most once per quiet period. A pending write is
 * flushed when the page is hidden or closed and when sync stops, so the last edit is not lost.
 * Returns the function that stops syncing.
 */
export function startUrlSync(
  subscribe: (listener: (config: RunConfig, experiment?: ExperimentLink) => void) => () => void,
  options: UrlSyncOptions = {},
): () => void {
  const delay = options.delayMs ?? URL_WRITE_DELAY_MS;
  let pending: { config: RunConfig; experiment?: ExperimentLink } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending === undefined) return;
    const { config, experiment } = pending;
    pending = undefined;
    writeUrlState(config, experiment);
  };

  const unsubscribe = subscribe((config, experiment) => {
    pending = { config, experiment };
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, delay);
  });
  window.addEventListener('pagehide', flush);

  return () => {
    unsubscribe();
    window.removeEventListener('pagehide', flush);
    flush();
  };
}

/**
 * Calls listener with the decoded config when the user edits the hash or follows a link to
 * this page with another hash (replaceState does not fire hashchange, so our own writes never
 * come back here). Returns the function that stops listening.
 */
export function onUrlStateChange(listener: (state: DecodedHash) => void): () => void {
  const handler = () => listener(readUrlState());
  window.addEventListener('hashchange', handler);
  return () => window.removeEventListener('hashchange', handler);
}

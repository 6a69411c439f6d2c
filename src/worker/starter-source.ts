/**
 * Data the site itself serves, fetched and checked in the worker: the CIFAR-10 starter set
 * (public/data/starter/, verified against its manifest) and an official archive placed in
 * public/data/ by `npm run data:cifar10`, streamed into the archive reader.
 */
import type { Dataset } from '../engine/data/dataset';
import { loadStarter, StarterDataError, validateStarterManifest } from '../engine/data/starter';

async function get(url: string, what: string, fix: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new StarterDataError(`Could not load ${what} (${url}: ${(err as Error).message}).`);
  }
  if (!res.ok || !res.body) {
    throw new StarterDataError(`Could not load ${what} (${url}: HTTP ${res.status}). ${fix}`);
  }
  return res;
}

/** The starter set under `folderUrl` (ends with '/'): manifest first, then both files, verified. */
export async function loadStarterFrom(folderUrl: string): Promise<Dataset> {
  const what = 'the CIFAR-10 starter set';
  const fix = 'Rebuild it with npm run data:starter, or pick another dataset.';
  const res = await get(`${folderUrl}manifest.json`, what, fix);
  // A dev server answers a missing file with its index page: say what is missing, not a JSON error.
  const json = await res.json().catch(() => {
    throw new StarterDataError(`Could not load ${what}: ${folderUrl}manifest.json is not there. ${fix}`);
  });
  const manifest = validateStarterManifest(json);
  return loadStarter(manifest, async (name) => (await get(new URL(name, folderUrl).href, what, fix)).body!);
}

/** The body of a site-served archive, as a stream for loadCifarArchive. */
export async function fetchArchiveStream(url: string): Promise<ReadableStream<Uint8Array>> {
  return (await get(url, 'the CIFAR-10 archive', 'Put it back with npm run data:cifar10.')).body!;
}

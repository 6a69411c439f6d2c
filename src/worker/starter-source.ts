/**
 * Data the site itself serves, fetched and checked in the worker: the CIFAR-10 starter set
 * (public/data/starter/, verified against its manifest) and an official archive placed in
 * public/data/ by `npm run data:cifar10`, streamed into the archive reader.
 */
import type { Dataset } from '../engine/data/dataset';
import { loadStarter, StarterDataError, validateStarterManifest } from '../engine/data/starter';
import type { Download } from './download';

/** Bytes of one CIFAR-10 record (label + 32 x 32 x 3). */
const RECORD_BYTES = 3073;

async function get(
  download: Download,
  url: string,
  what: string,
  fix: string,
  decodedBytes?: number,
): Promise<Response> {
  let res: Response;
  try {
    res = await download.fetch(url, decodedBytes);
  } catch (err) {
    throw new StarterDataError(`Could not load ${what} (${url}: ${(err as Error).message}).`);
  }
  if (!res.ok || !res.body) {
    throw new StarterDataError(`Could not load ${what} (${url}: HTTP ${res.status}). ${fix}`);
  }
  return res;
}

/**
 * The starter set under `folderUrl` (ends with '/'): manifest first, then both files, verified.
 * Fetched through `download`, which counts the bytes for the page.
 */
export async function loadStarterFrom(folderUrl: string, download: Download): Promise<Dataset> {
  const what = 'the CIFAR-10 starter set';
  const fix = 'Rebuild it with npm run data:starter, or pick another dataset.';
  const res = await get(download, `${folderUrl}manifest.json`, what, fix);
  // A dev server answers a missing file with its index page: say what is missing, not a JSON error.
  const json = await res.json().catch(() => {
    throw new StarterDataError(`Could not load ${what}: ${folderUrl}manifest.json is not there. ${fix}`);
  });
  const manifest = validateStarterManifest(json);
  // A host that sends the .gz files compressed (Content-Encoding) hands over the records themselves.
  const records = (name: string) =>
    [manifest.train, manifest.test].find((f) => f.name === name)?.records ?? 0;
  return loadStarter(
    manifest,
    async (name) =>
      (
        await get(
          download,
          new URL(name, folderUrl).href,
          what,
          fix,
          records(name) * RECORD_BYTES || undefined,
        )
      ).body!,
  );
}

/** The body of a site-served archive, as a stream for loadCifarArchive, fetched through `download`. */
export async function fetchArchiveStream(
  url: string,
  download: Download,
): Promise<ReadableStream<Uint8Array>> {
  return (await get(download, url, 'the CIFAR-10 archive', 'Put it back with npm run data:cifar10.')).body!;
}
